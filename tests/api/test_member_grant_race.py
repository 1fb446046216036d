"""A grant and a delete of its project cannot interleave into a binding the next same-named project inherits.

The race is made deterministic: the project is deleted right before the grant's own transaction starts,
which is exactly the gap between a separate existence check and the insert.
"""

from __future__ import annotations

from typing import Any

import pytest

from bridge.bootstrap import Container
from bridge.identity.bindings import BindingStore, Scope
from tests.fixtures.app import ApiClient

P = "/api/v1/projects"
W = "/api/v1/workspaces"


def _delete_first(monkeypatch: pytest.MonkeyPatch, delete: Any) -> None:
    real = BindingStore.grant

    def grant(self: BindingStore, **kwargs: Any) -> Any:
        delete()  # the concurrent delete commits after any check the route made before the grant
        return real(self, **kwargs)

    monkeypatch.setattr(BindingStore, "grant", grant)


def test_a_project_deleted_during_a_grant_leaves_no_binding(
    api: ApiClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.post(W, {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    _delete_first(monkeypatch, lambda: container.projects.delete("demo"))

    r = api.post(f"{P}/demo/members", {"subject": "mallory", "role": "admin"})

    assert r.status_code == 404
    assert container.identity.bindings.of_scope(Scope.PROJECT, "demo") == []
    monkeypatch.undo()
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    assert api.get(f"{P}/demo/members").json["items"] == []  # the new project inherits nobody


def test_a_workspace_deleted_during_a_grant_leaves_no_binding(
    api: ApiClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.post(W, {"name": "ws"}).status_code == 201
    _delete_first(monkeypatch, lambda: container.workspaces.delete("ws"))

    assert api.post(f"{W}/ws/members", {"subject": "mallory", "role": "admin"}).status_code == 404
    assert container.identity.bindings.of_scope(Scope.WORKSPACE, "ws") == []


def test_a_grant_on_an_existing_project_still_works(api: ApiClient) -> None:
    assert api.post(W, {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    assert api.post(f"{P}/demo/members", {"subject": "ada", "role": "viewer"}).status_code == 200
    assert [m["subject"] for m in api.get(f"{P}/demo/members").json["items"]] == ["ada"]
    assert api.post(f"{P}/nothing/members", {"subject": "ada", "role": "viewer"}).status_code == 404
