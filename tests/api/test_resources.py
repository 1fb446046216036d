"""Every route through the Flask test client: status codes, shapes, sync state, tombstones."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.bootstrap import Container
from bridge.domain.model import SyncState, SyncStatus
from bridge.reconcile.ports import Kind, Ref
from tests.api.paths import concrete
from tests.fixtures.app import ApiClient

P = "/api/v1/projects"
PASSWORD = "pa55-w0rd-never-returned"


@pytest.fixture
def seeded(api: ApiClient) -> ApiClient:
    assert api.post("/api/v1/workspaces", {"name": "ws", "clusters": ["host"]}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws", "cluster": "host"}).status_code == 201
    r = api.post(
        f"{P}/demo/credentials",
        {"id": "git", "type": "basic-auth", "data": {"username": "bot", "password": PASSWORD}},
    )
    assert r.status_code == 201
    return api


def test_workspace_lifecycle(api: ApiClient) -> None:
    r = api.post("/api/v1/workspaces", {"name": "ws", "description": "d", "clusters": ["a", "b"]})
    assert r.status_code == 201 and r.json["clusters"] == ["a", "b"] and r.json["resource_version"] == 1
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 409
    assert len(api.get("/api/v1/workspaces").json["items"]) == 1
    r = api.patch("/api/v1/workspaces/ws", {"description": "new"})
    assert r.status_code == 200 and r.json["description"] == "new" and r.json["clusters"] == ["a", "b"]
    assert api.get("/api/v1/workspaces/nope").status_code == 404
    assert api.delete("/api/v1/workspaces/ws").status_code == 204
    assert api.get("/api/v1/workspaces/ws").status_code == 404


def test_project_lifecycle(seeded: ApiClient, container: Container) -> None:
    api = seeded
    r = api.get(f"{P}/demo")
    assert r.status_code == 200 and r.json["sync"] == {
        "status": "pending",
        "synced_at": None,
        "message": None,
    }
    assert r.headers["ETag"] == '"1"'
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 409
    assert api.post(P, {"name": "other", "workspace": "missing"}).json["errors"][0]["field"] == "workspace"
    assert api.post(P, {"name": "other", "workspace": "ws", "cluster": "elsewhere"}).status_code == 400
    assert [p["name"] for p in api.get(f"{P}?workspace=ws").json["items"]] == ["demo"]
    assert api.get(f"{P}?workspace=none").json == {"items": [], "continue": None}
    r = api.patch(f"{P}/demo", {"description": "changed", "cluster": None})
    assert r.status_code == 200 and r.json["cluster"] is None and r.json["resource_version"] == 2
    stale = api.patch(f"{P}/demo", {"description": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert api.patch(f"{P}/demo", {"description": "y"}, headers={"If-Match": '"2"'}).status_code == 200
    container.desired.take_dirty()
    container.desired.record_sync(
        Ref(Kind.PROJECT, "demo"), SyncState(SyncStatus.ERROR, message="folder taken")
    )
    assert api.get(f"{P}/demo").json["sync"]["message"] == "folder taken"
    r = api.delete(f"{P}/demo")
    assert r.status_code == 202 and r.json == {
        "kind": "project",
        "project": "demo",
        "name": "",
        "status": "deleting",
    }
    assert api.get(f"{P}/demo").status_code == 404
    assert api.get(f"{P}/demo/credentials").status_code == 404
    assert [t.key for t in container.desired.tombstones()] == [Ref(Kind.PROJECT, "demo")]
    assert api.delete(f"{P}/demo").status_code == 404


def test_credentials_are_write_only(seeded: ApiClient) -> None:
    api = seeded
    r = api.get(f"{P}/demo/credentials/git")
    assert r.json["data"] == {"username": "bot"} and r.json["secret_keys"] == ["password"]
    r = api.patch(f"{P}/demo/credentials/git", {"description": "rotated later"})
    assert r.status_code == 200 and r.json["secret_keys"] == ["password"] and r.json["resource_version"] == 2
    r = api.put(f"{P}/demo/credentials/git", {"type": "secret-text", "data": {"secret": "tok-" + PASSWORD}})
    assert r.status_code == 200 and r.json["type"] == "secret-text" and r.json["data"] == {}
    r = api.put(f"{P}/demo/credentials/git", {"type": "basic-auth", "data": {"username": "x"}})
    assert r.status_code == 400 and r.json["errors"] == [
        {"field": "data.password", "message": "is required for a basic-auth credential"}
    ]
    bad = api.post(
        f"{P}/demo/credentials",
        {"id": "k", "type": "ssh-auth", "data": {"username": "u", "private_key": "k", "extra": "x"}},
    )
    assert bad.status_code == 400 and bad.json["errors"][0]["field"] == "data.extra"
    assert api.post(f"{P}/demo/credentials", {"id": "k", "type": "nope", "data": {}}).status_code == 400
    assert (
        api.post(
            f"{P}/missing/credentials", {"id": "k", "type": "secret-text", "data": {"secret": "s"}}
        ).status_code
        == 404
    )
    ok = api.post(
        f"{P}/demo/credentials", {"id": "kube", "type": "kubeconfig", "data": {"content": "apiVersion: v1"}}
    )
    assert ok.status_code == 201
    assert {c["id"] for c in api.get(f"{P}/demo/credentials").json["items"]} == {"git", "kube"}
    assert api.delete(f"{P}/demo/credentials/kube").status_code == 202
    assert api.get(f"{P}/demo/credentials/kube").status_code == 404


def pipeline_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "build",
        "description": "d",
        "scm": {"url": "https://git.example/r.git", "branch": "main", "credential": "git"},
        "parameters": [
            {"name": "ENV", "type": "choice", "choices": ["dev", "prod"], "default": "dev"},
            {"name": "DRY", "type": "boolean", "default": False},
        ],
        "discarder": {"days": 3},
        "concurrent": False,
        "cron": "H H(0-5) * * 1-5",
    }
    return body | over


def test_pipeline_lifecycle(seeded: ApiClient, container: Container) -> None:
    api = seeded
    r = api.post(f"{P}/demo/pipelines", pipeline_body())
    assert r.status_code == 201, r.json
    assert r.json["scm"]["script_path"] == "Jenkinsfile" and r.json["parameters"][1]["default"] is False
    assert api.post(f"{P}/demo/pipelines", pipeline_body()).status_code == 409
    missing_cred = api.post(
        f"{P}/demo/pipelines", pipeline_body(name="b2", scm={"url": "https://x/y", "credential": "no"})
    )
    assert missing_cred.status_code == 400 and missing_cred.json["errors"][0]["field"] == "scm.credential"
    r = api.patch(f"{P}/demo/pipelines/build", {"jenkinsfile": "pipeline { agent any }", "scm": None})
    assert r.status_code == 200 and r.json["scm"] is None and r.json["cron"] == "H H(0-5) * * 1-5"
    r = api.put(f"{P}/demo/pipelines/build", {"jenkinsfile": "node {}"})
    assert (
        r.status_code == 200
        and r.json["parameters"] == []
        and r.json["cron"] is None
        and r.json["concurrent"] is True
    )
    assert (
        api.put(f"{P}/demo/pipelines/build", {"jenkinsfile": "node {}", "cron": "* * *"}).status_code == 400
    )
    assert len(api.get(f"{P}/demo/pipelines").json["items"]) == 1
    assert api.delete(f"{P}/demo/pipelines/build").status_code == 202
    assert api.get(f"{P}/demo/pipelines/build").status_code == 404
    keys = container.desired.take_dirty()
    assert Ref(Kind.PIPELINE, "demo", "build") in keys
    assert Ref(Kind.PIPELINE, "demo", "build") in [t.key for t in container.desired.tombstones()]


def test_sync_summary(seeded: ApiClient, container: Container) -> None:
    api = seeded
    api.post(f"{P}/demo/pipelines", pipeline_body())
    container.desired.take_dirty()
    container.desired.record_sync(
        Ref(Kind.PIPELINE, "demo", "build"), SyncState(SyncStatus.ERROR, message="boom")
    )
    s = api.get("/api/v1/sync").json
    assert s["counts"]["project"]["pending"] == 1 and s["counts"]["pipeline"]["error"] == 1
    assert s["errors"] == [{"kind": "pipeline", "project": "demo", "name": "build", "message": "boom"}]
    assert s["queued"] == 0 and s["tombstones"] == 0


def test_health_and_readiness(api: ApiClient, container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    anonymous = ApiClient(api.client, token=None)
    assert anonymous.get("/healthz").json == {"status": "ok"}
    assert anonymous.get("/readyz").json == {
        "status": "ready",
        "store": "ok",
        "jenkins": "unknown",
        "leader": "none",
    }
    container.jenkins_probe = lambda: False
    assert anonymous.get("/readyz").json["jenkins"] == "unreachable"
    container.jenkins_probe = lambda: 1 / 0 == 0  # a probe that fails is reported, never blocks
    assert anonymous.get("/readyz").json == {
        "status": "ready",
        "store": "ok",
        "jenkins": "unreachable",
        "leader": "none",
    }

    def down() -> None:
        raise OSError("database gone")

    monkeypatch.setattr(container.store, "ping", down)
    r = anonymous.get("/readyz")
    assert r.status_code == 503 and r.json["store"] == "unreachable"


def test_authentication_is_required_everywhere_but_public_routes(app: Any) -> None:
    from bridge.api.auth import PUBLIC, is_signed

    registry = app.extensions["bridge.registry"]
    for token in (None, "wrong-token-wrong-token"):
        client = ApiClient(app.test_client(), token=token)
        for route in registry.routes:
            path = concrete(route.path)
            r = client.request(route.method, path, json={} if route.request else None)
            if route.permission == PUBLIC:
                assert r.status_code < 400, path
            elif is_signed(route.permission):  # no bearer token: a request that is no delivery is refused
                assert r.status_code in (400, 401), (route.method, path, r.status_code)
            else:
                assert r.status_code == 401, (route.method, path)
                assert r.headers["WWW-Authenticate"].startswith("Bearer")
                assert r.mimetype == "application/problem+json"


def test_every_route_declares_a_permission(app: Any) -> None:
    registry = app.extensions["bridge.registry"]
    flask_rules = {
        (rule.rule, m) for rule in app.url_map.iter_rules() for m in rule.methods - {"HEAD", "OPTIONS"}
    }
    declared = {(r.path, r.method) for r in registry.routes if r.view is not None}
    assert flask_rules - {("/static/<path:filename>", "GET")} == declared
    assert all(r.permission for r in registry.routes)
    # the documented-only routes are exactly the ones answered before Flask
    from bridge.api.receiving import PATHS

    assert {(r.path, r.method) for r in registry.routes if r.view is None} == {(p, "POST") for p in PATHS}


def test_workspace_cluster_names_agree_between_schema_and_api(api: ApiClient, app: Any) -> None:
    """The OpenAPI document says what the API accepts: no empty or repeated cluster names."""
    schemas = app.extensions["bridge.openapi"]["components"]["schemas"]
    for model in ("WorkspaceIn", "WorkspacePatch"):
        clusters = schemas[model]["properties"]["clusters"]
        assert clusters["items"]["minLength"] == 1 and clusters["items"]["maxLength"] == 63
        assert clusters["uniqueItems"] is True
    for bad in ([""], ["a", "a"], ["x" * 64]):
        r = api.post("/api/v1/workspaces", {"name": "ws", "clusters": bad})
        assert r.status_code == 400 and r.mimetype == "application/problem+json", bad
    assert api.post("/api/v1/workspaces", {"name": "ws", "clusters": ["a", "b"]}).status_code == 201
    assert api.patch("/api/v1/workspaces/ws", {"clusters": [""]}).status_code == 400


@pytest.mark.parametrize("name", ["BRIDGE_REQUESTED_BY", "bridge_anything"])
def test_parameter_names_the_bridge_reserves_are_refused(seeded: ApiClient, name: str) -> None:
    body = {"name": "p1", "jenkinsfile": "echo hi", "parameters": [{"name": name}]}
    r = seeded.post(f"{P}/demo/pipelines", body)
    assert r.status_code == 400, r.json
    assert r.json["errors"][0]["field"] == "parameters[0].name"
    assert "bridge's own" in r.json["errors"][0]["message"]
