"""Database work per authenticated request stays small, however many roles the caller holds.

Counted with SQLAlchemy events (statements executed, connections checked out of the pool), not timed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from bridge.bootstrap import Container
from bridge.identity.token_store import TokenStore
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects"
ROLES = 30
#: Authentication (token lookup), one bindings-with-workspaces query, the view's own reads.
#: (Before the fix: 35 statements and 34 checkouts for 30 roles, one lookup per bound project.)
MAX_STATEMENTS = 6
MAX_CHECKOUTS = 4
#: SQLite transactions begin explicitly (``bridge.store.engine``): counted as checkouts, not statements.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")


@dataclass
class Counter:
    statements: list[str] = field(default_factory=list)
    checkouts: int = 0


@pytest.fixture
def caller(api: ApiClient, container: Container) -> ApiClient:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    for i in range(ROLES):
        assert api.post(P, {"name": f"p{i:02d}", "workspace": "ws"}).status_code == 201
        member = {"subject": "ada", "role": "viewer"}
        assert api.post(f"{P}/p{i:02d}/members", member).status_code == 200
    token = TokenStore(container.store.engine).create(user="ada", groups=(), created_by="test").token
    register_secret(token)
    return ApiClient(api.client, token=token)


@pytest.fixture
def counter(container: Container) -> Iterator[Counter]:
    engine, found = container.store.engine, Counter()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            found.statements.append(statement)

    def on_checkout(*args: Any) -> None:
        found.checkouts += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine.pool, "checkout", on_checkout)
    yield found
    event.remove(engine, "before_cursor_execute", on_execute)
    event.remove(engine.pool, "checkout", on_checkout)


@pytest.mark.parametrize("path", [f"{P}/p07", P, f"{P}/p07/pipelines"], ids=["item", "list", "children"])
def test_a_get_by_a_user_with_many_roles_runs_few_statements(
    caller: ApiClient, counter: Counter, path: str
) -> None:
    r = caller.get(path)
    assert r.status_code == 200
    if path == P:
        assert len(r.json["items"]) == ROLES  # the one grants query saw every binding
    assert len(counter.statements) <= MAX_STATEMENTS, "\n".join(counter.statements)
    assert counter.checkouts <= MAX_CHECKOUTS


def test_an_unbound_project_is_still_invisible(caller: ApiClient, api: ApiClient) -> None:
    assert api.post(P, {"name": "other", "workspace": "ws"}).status_code == 201
    assert caller.get(f"{P}/other").status_code == 404
