"""A project's audit log starts at its creation: a deleted namesake's entries stay with platform admins."""

from __future__ import annotations

from tests.fixtures.app import ApiClient

P = "/api/v1/projects"


def _paths(response: object) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in response.json["items"]]  # type: ignore[attr-defined]


def test_a_recreated_project_does_not_show_its_predecessors_entries(api: ApiClient) -> None:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    assert api.patch(f"{P}/demo", {"description": "old team's secret plans"}).status_code == 200
    assert api.post(f"{P}/demo/members", {"subject": "old-admin", "role": "admin"}).status_code == 200
    assert api.delete(f"{P}/demo").status_code == 202
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    assert api.patch(f"{P}/demo", {"description": "new"}).status_code == 200

    mine = api.get(f"{P}/demo/audit")
    assert mine.status_code == 200
    assert _paths(mine) == [("PATCH", f"{P}/demo"), ("POST", P)]  # newest first, this incarnation

    everything = api.get("/api/v1/audit", query_string={"project": "demo"})
    assert len(everything.json["items"]) == 6  # platform admins still see the whole history
    assert ("POST", f"{P}/demo/members") in _paths(everything)


def test_an_explicit_since_still_narrows_and_a_missing_project_is_404(api: ApiClient) -> None:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    r = api.get(f"{P}/demo/audit", query_string={"since": "2000-01-01T00:00:00Z"})
    assert _paths(r) == [("POST", P)]
    r = api.get(f"{P}/demo/audit", query_string={"since": "2999-01-01T00:00:00Z"})
    assert r.json["items"] == []
    assert api.get(f"{P}/gone/audit").status_code == 404
