"""API writes and their audit entries: unauthenticated floods store nothing (counted and logged),
request ids are bounded and sanitised, and a success entry commits in the transaction of its change."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa
from flask import Flask, request

from bridge.api import access, auditing
from bridge.identity.tables import audit_log, writing
from tests.fixtures.app import ApiClient

WORKSPACES = "/api/v1/workspaces"


def _rows(app: Flask) -> list[sa.Row]:
    engine = app.extensions["bridge"].store.engine
    with engine.connect() as conn:
        return list(conn.execute(sa.select(audit_log).order_by(audit_log.c.id)))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_unauthenticated_writes_are_counted_and_logged_not_stored(app: Flask, caplog) -> None:
    clock = FakeClock()
    counter = app.extensions[auditing.UNAUTHENTICATED] = auditing.UnauthenticatedWrites(
        interval=60, clock=clock
    )
    anonymous = ApiClient(app.test_client(), token=None)
    garbage = ApiClient(app.test_client(), token="jbt_" + "x" * 40)
    caplog.set_level(logging.WARNING, logger="bridge.api.auditing")
    for n in range(150):
        assert (
            anonymous.post(WORKSPACES, {"name": f"w{n}"}, headers={"X-Request-Id": f"flood-{n}"}).status_code
            == 401
        )
        assert garbage.delete(f"{WORKSPACES}/w{n}").status_code == 401
    assert _rows(app) == []
    assert counter.total == 300
    warnings = [r.getMessage() for r in caplog.records if r.name == "bridge.api.auditing"]
    assert len(warnings) == 1 and warnings[0].startswith("1 unauthenticated write attempt")
    clock.now += 61
    anonymous.post(WORKSPACES, {"name": "late"})
    warnings = [r.getMessage() for r in caplog.records if r.name == "bridge.api.auditing"]
    assert len(warnings) == 2 and warnings[1].startswith("300 unauthenticated write attempt(s)")
    assert "301 in all" in warnings[1]


def test_authenticated_writes_still_get_their_entry(api: ApiClient, app: Flask) -> None:
    assert api.post(WORKSPACES, {"name": "ws-a"}, headers={"X-Request-Id": "mine-1"}).status_code == 201
    assert api.post(WORKSPACES, {"name": "ws-a"}, headers={"X-Request-Id": "mine-2"}).status_code == 409
    rows = {r.request_id: r for r in _rows(app)}
    assert (rows["mine-1"].outcome, rows["mine-1"].status) == ("success", 201)
    assert (rows["mine-2"].outcome, rows["mine-2"].status) == ("failed", 409)
    assert len(rows) == 2


@pytest.mark.parametrize(
    "given",
    ["a" * 65, "<script>", "two words", "ok\n", "ok\r\nX-Injected: 1", "", "é-accent", "semi;colon"],
)
def test_request_ids_from_callers_are_bounded_and_sanitised(app: Flask, given: str) -> None:
    with app.test_request_context("/api/v1/whoami", environ_base={"HTTP_X_REQUEST_ID": given}):
        chosen = access.request_id(request)
    assert chosen != given and re.fullmatch(r"[0-9a-f]{32}", chosen)


@pytest.mark.parametrize("given", ["abc", "a" * 64, "trace-1.2:3_x"])
def test_well_formed_request_ids_are_kept(app: Flask, given: str) -> None:
    with app.test_request_context("/api/v1/whoami", environ_base={"HTTP_X_REQUEST_ID": given}):
        assert access.request_id(request) == given


def test_a_change_whose_audit_entry_cannot_be_written_does_not_happen(container) -> None:
    """The entry is the last statement of the change's transaction: if it fails, the change rolls back.
    (An app of its own: the every-write-is-audited check would rightly fail this request.)"""
    from bridge.app import create_app

    app = create_app(container=container)
    api = ApiClient(app.test_client())
    engine = container.store.engine
    with writing(engine) as conn, conn.begin():
        conn.execute(
            sa.text(
                "CREATE TRIGGER audit_unwritable BEFORE INSERT ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit log unavailable'); END"
            )
        )
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = api.post(WORKSPACES, {"name": "ws-unaudited"})
    assert response.status_code >= 400
    with writing(engine) as conn, conn.begin():
        conn.execute(sa.text("DROP TRIGGER audit_unwritable"))
    assert api.get(f"{WORKSPACES}/ws-unaudited").status_code == 404
    assert all(r.status < 400 or r.path != f"{WORKSPACES}/ws-unaudited" for r in _rows(app))


def test_a_success_entry_and_its_change_commit_together(api: ApiClient, app: Flask) -> None:
    """The entry carries the route's success status and is written before the response exists."""
    from bridge.audit.recorder import AuditRecorder

    written: list[int | None] = []
    original = AuditRecorder.after_commit

    def spy(self: AuditRecorder) -> None:
        original(self)
        written.append(self.row_id)

    AuditRecorder.after_commit = spy  # type: ignore[method-assign]
    try:
        assert api.post(WORKSPACES, {"name": "ws-b"}, headers={"X-Request-Id": "tx-1"}).status_code == 201
    finally:
        AuditRecorder.after_commit = original  # type: ignore[method-assign]
    rows = [r for r in _rows(app) if r.request_id == "tx-1"]
    assert len(rows) == 1 and written == [rows[0].id] and rows[0].status == 201
