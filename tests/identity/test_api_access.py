"""Access control through the HTTP API: the route table, roles, listings, 404 for the invisible, proxy."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask, request

from bridge.api import access, build_registry
from bridge.bootstrap import Container
from bridge.identity.roles import RULES, RuleScope
from bridge.identity.token_store import TokenStore
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects"
W = "/api/v1/workspaces"
PROXY_TOKEN = "proxy-token-for-the-console-0123456789"
PASSWORD = "s3cret-pa55word-of-proj-a"


@pytest.fixture
def settings(tmp_path):
    register_secret(PROXY_TOKEN)
    return make_settings(tmp_path, BRIDGE_AUTH_PROXY_TOKEN=PROXY_TOKEN)


def test_every_route_has_an_access_rule() -> None:
    registry = build_registry()
    assert registry.routes
    for route in registry.routes:
        rule = RULES.get(route.permission)
        where = f"{route.method} {route.path} ({route.permission})"
        assert rule is not None, f"no access rule for {where}"
        if rule.scope is RuleScope.PUBLIC:
            assert not route.path.startswith("/api/v1/") or route.path == "/api/v1/openapi.json", where
        if rule.scope is RuleScope.PROJECT:
            assert "project" in route.path_params, where
        if rule.scope is RuleScope.WORKSPACE:
            assert "workspace" in route.path_params or route.permission == "project.create", where
        if route.method not in ("GET", "HEAD"):
            assert rule.scope not in (RuleScope.PUBLIC, RuleScope.AUTHENTICATED), f"unscoped write {where}"


@dataclass
class World:
    admin: ApiClient
    tokens: dict[str, str]
    app: Flask

    def as_(self, who: str) -> ApiClient:
        return ApiClient(self.app.test_client(), token=self.tokens[who])


@pytest.fixture
def world(api: ApiClient, app: Flask, container: Container) -> World:
    for ws in ("ws-a", "ws-b"):
        assert api.post(W, {"name": ws}).status_code == 201
    for project, ws in (("proj-a", "ws-a"), ("proj-b", "ws-b")):
        assert api.post(P, {"name": project, "workspace": ws}).status_code == 201
        r = api.post(f"{P}/{project}/pipelines", {"name": "build", "jenkinsfile": "pipeline {}"})
        assert r.status_code == 201, r.json
    body = {"id": "git", "type": "basic-auth", "data": {"username": "bot", "password": PASSWORD}}
    assert api.post(f"{P}/proj-a/credentials", body).status_code == 201
    grants = [
        ("proj-a", {"subject": "vera", "role": "viewer"}),
        ("proj-a", {"subject": "otto", "role": "operator"}),
        ("proj-a", {"subject": "team-a", "kind": "group", "role": "admin"}),
    ]
    for project, member in grants:
        assert api.post(f"{P}/{project}/members", member).status_code == 200
    assert api.post(f"{W}/ws-b/members", {"subject": "wanda", "role": "admin"}).status_code == 200
    store = TokenStore(container.store.engine)
    tokens = {}
    for user, groups in (("vera", ()), ("otto", ()), ("ada", ("team-a",)), ("wanda", ()), ("nobody", ())):
        tokens[user] = store.create(user=user, groups=groups, created_by="test").token
        register_secret(tokens[user])
    return World(admin=api, tokens=tokens, app=app)


def test_viewer_reads_but_cannot_change(world: World) -> None:
    vera = world.as_("vera")
    assert vera.get(f"{P}/proj-a").status_code == 200
    assert len(vera.get(f"{P}/proj-a/pipelines").json["items"]) == 1
    creds = vera.get(f"{P}/proj-a/credentials")
    assert creds.status_code == 200 and PASSWORD not in creds.get_data(as_text=True)
    assert vera.post(f"{P}/proj-a/pipelines", {"name": "x", "jenkinsfile": "pipeline {}"}).status_code == 403
    assert vera.patch(f"{P}/proj-a", {"description": "mine"}).status_code == 403
    assert vera.post(f"{P}/proj-a/members", {"subject": "vera", "role": "admin"}).status_code == 403


def test_operator_cannot_edit_credentials_or_pipelines(world: World) -> None:
    otto = world.as_("otto")
    assert otto.patch(f"{P}/proj-a/credentials/git", {"data": {"password": "x" * 12}}).status_code == 403
    assert otto.delete(f"{P}/proj-a/credentials/git").status_code == 403
    assert otto.patch(f"{P}/proj-a/pipelines/build", {"description": "x"}).status_code == 403
    assert otto.get(f"{P}/proj-a/audit").status_code == 403


def test_a_user_of_project_a_cannot_see_project_b(world: World) -> None:
    for who in ("vera", "otto", "ada"):
        client = world.as_(who)
        assert client.get(f"{P}/proj-b").status_code == 404
        assert client.get(f"{P}/proj-b/credentials").status_code == 404
        missing = client.get(f"{P}/no-such-project")
        hidden = client.get(f"{P}/proj-b")
        assert (hidden.status_code, hidden.json["title"]) == (missing.status_code, missing.json["title"])
        assert [p["name"] for p in client.get(P).json["items"]] == ["proj-a"]
        assert [w["name"] for w in client.get(W).json["items"]] == ["ws-a"]
    nobody = world.as_("nobody")
    assert nobody.get(P).json == {"items": [], "continue": None}
    assert nobody.get(f"{W}/ws-a").status_code == 404


def test_group_admin_manages_project_and_reads_its_audit(world: World) -> None:
    ada = world.as_("ada")
    assert (
        ada.patch(f"{P}/proj-a/credentials/git", {"data": {"password": "n3w-pa55word-x"}}).status_code == 200
    )
    register_secret("n3w-pa55word-x")
    assert ada.post(f"{P}/proj-a/members", {"subject": "carl", "role": "viewer"}).status_code == 200
    assert ada.delete(f"{P}/proj-a/members/user/carl").status_code == 204
    entries = ada.get(f"{P}/proj-a/audit").json["items"]
    assert {e["project"] for e in entries} == {"proj-a"}
    assert {(e["actor"], e["action"]) for e in entries} >= {
        ("ada", "credential.write"),
        ("ada", "members.write"),
    }
    assert ada.get("/api/v1/audit").status_code == 403
    assert ada.get("/api/v1/sync").status_code == 403


def test_workspace_admin_creates_projects_in_its_workspace_only(world: World) -> None:
    wanda = world.as_("wanda")
    assert wanda.post(P, {"name": "proj-b2", "workspace": "ws-b"}).status_code == 201
    assert wanda.post(P, {"name": "proj-a2", "workspace": "ws-a"}).status_code == 403
    assert wanda.patch(f"{P}/proj-b", {"workspace": "ws-a"}).status_code == 403  # moving out needs ws-a admin
    assert sorted(p["name"] for p in wanda.get(P).json["items"]) == ["proj-b", "proj-b2"]
    assert wanda.get(f"{P}/proj-a").status_code == 404
    assert wanda.post(W, {"name": "ws-c"}).status_code == 403


def test_whoami_and_unauthenticated(world: World) -> None:
    me = world.as_("ada").get("/api/v1/whoami").json
    assert (me["user"], me["groups"], me["projects"], me["platform_admin"]) == (
        "ada",
        ["team-a"],
        {"proj-a": "admin"},
        False,
    )
    anonymous = ApiClient(world.app.test_client(), token=None)
    r = anonymous.get(P)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    assert ApiClient(world.app.test_client(), token="jbt_" + "x" * 43).get(P).status_code == 401


def test_revoked_and_expired_tokens_are_401(world: World, container: Container) -> None:
    store = TokenStore(container.store.engine)
    vera = world.as_("vera")
    assert vera.get(P).status_code == 200
    (info,) = store.list(user="vera")
    store.revoke(info.id)
    assert vera.get(P).status_code == 401


def test_proxy_headers_need_the_proxy_credential(world: World) -> None:
    console = ApiClient(world.app.test_client(), token=None)
    as_vera = {"X-Bridge-Proxy-Token": PROXY_TOKEN, "X-Remote-User": "vera"}
    assert console.get("/api/v1/whoami", headers=as_vera).json["user"] == "vera"
    assert console.get(f"{P}/proj-a", headers=as_vera).status_code == 200
    team = {**as_vera, "X-Remote-User": "zed", "X-Remote-Group": "team-a"}
    assert console.patch(f"{P}/proj-a", {"description": "via proxy"}, headers=team).status_code == 200
    forged = {"X-Remote-User": "bootstrap-admin", "X-Remote-Group": "jenkins-bridge:platform-admins"}
    assert console.get(P, headers=forged).status_code == 401
    otto = world.as_("otto")
    me = otto.get("/api/v1/whoami", headers=forged).json
    assert (me["user"], me["groups"], me["platform_admin"]) == ("otto", [], False)
    wrong = {"X-Bridge-Proxy-Token": "guess" * 8, "X-Remote-User": "vera"}
    assert otto.get(P, headers=wrong).status_code == 401


def test_untrusted_proxy_headers_are_stripped_from_the_request(app: Flask, container: Container) -> None:
    token = TokenStore(container.store.engine).create(user="otto", created_by="t").token
    register_secret(token)
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Remote-User": "admin",
        "X-Bridge-Proxy-Token": PROXY_TOKEN[:-1],
    }
    with app.test_request_context("/api/v1/whoami", headers=headers):
        with pytest.raises(Exception, match="proxy credential"):
            access.authenticate(container.identity, request)
        assert "X-Remote-User" not in request.headers and "X-Bridge-Proxy-Token" not in request.headers
    with app.test_request_context("/api/v1/whoami", headers={**headers, "X-Bridge-Proxy-Token": ""}):
        assert access.authenticate(container.identity, request).name == "otto"
        assert "X-Remote-User" not in request.headers
    trusted = {"X-Bridge-Proxy-Token": PROXY_TOKEN, "X-Remote-User": "vera"}
    with app.test_request_context("/api/v1/whoami", headers=trusted):
        assert access.authenticate(container.identity, request).name == "vera"
        assert request.headers["X-Remote-User"] == "vera" and "X-Bridge-Proxy-Token" not in request.headers


def test_writes_are_audited_with_outcomes(world: World) -> None:
    vera, admin = world.as_("vera"), world.admin
    vera.patch(f"{P}/proj-a", {"description": "no"}, headers={"X-Request-Id": "req-denied-1"})
    vera.patch(f"{P}/proj-b", {"description": "no"}, headers={"X-Request-Id": "req-hidden-1"})
    ApiClient(world.app.test_client(), token=None).post(
        P, {"name": "x"}, headers={"X-Request-Id": "req-anon-1"}
    )
    items = admin.get("/api/v1/audit?limit=500").json["items"]
    by_id = {e["request_id"]: e for e in items}
    assert (by_id["req-denied-1"]["outcome"], by_id["req-denied-1"]["status"]) == ("denied", 403)
    assert (by_id["req-hidden-1"]["outcome"], by_id["req-hidden-1"]["status"]) == ("denied", 404)
    assert "req-anon-1" not in by_id  # counted and logged, not stored (tests/audit/test_api_audit.py)
    created = [e for e in items if e["action"] == "project.create" and e["outcome"] == "success"]
    assert {e["project"] for e in created} == {"proj-a", "proj-b"}
    assert admin.get("/api/v1/audit?user=vera").json["items"][0]["actor"] == "vera"
    page = admin.get("/api/v1/audit?limit=2").json
    older = admin.get(f"/api/v1/audit?limit=2&continue={page['continue']}").json["items"]
    assert older and all(e["id"] < page["items"][-1]["id"] for e in older)
    assert admin.get("/api/v1/audit?since=not-a-time").status_code == 400
    assert admin.get("/api/v1/audit?until=0.5").status_code == 400
    assert admin.get("/api/v1/audit?since=2020-01-01T00:00:00Z").status_code == 200


def test_no_api_route_edits_the_audit_log() -> None:
    audit_routes = [r for r in build_registry().routes if re.search(r"/audit$", r.path)]
    assert audit_routes and all(r.method == "GET" for r in audit_routes)


def test_security_headers_and_size_limit(world: World) -> None:
    r = world.admin.get(P)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert world.admin.get("/healthz").headers["X-Frame-Options"] == "DENY"
    huge = {"name": "big", "workspace": "ws-a", "description": "x" * (2 * 1024 * 1024)}
    assert world.admin.post(P, huge).status_code == 413


def test_deleting_a_project_removes_its_members(world: World) -> None:
    admin = world.admin
    assert admin.post(f"{P}/proj-b/members", {"subject": "vera", "role": "admin"}).status_code == 200
    assert world.as_("vera").get(f"{P}/proj-b").status_code == 200
    assert admin.delete(f"{P}/proj-b").status_code == 202
    assert admin.post(P, {"name": "proj-b", "workspace": "ws-b"}).status_code == 201
    assert admin.get(f"{P}/proj-b/members").json == {"items": [], "continue": None}
    assert world.as_("vera").get(f"{P}/proj-b").status_code == 404


def test_members_of_missing_projects_and_bad_bodies(world: World) -> None:
    admin = world.admin
    assert admin.get(f"{P}/nope/members").status_code == 404
    assert admin.post(f"{P}/proj-a/members", {"subject": "x", "role": "owner"}).status_code == 400
    assert admin.post(f"{P}/proj-a/members", {"subject": "bad\nname", "role": "viewer"}).status_code == 400
    assert admin.delete(f"{P}/proj-a/members/user/never-granted").status_code == 404
    assert admin.get(f"{W}/nope/members").status_code == 404


def test_current_actor_carries_user_and_request_id(app: Flask, container: Container) -> None:
    token = TokenStore(container.store.engine).create(user="otto", groups=("qa",), created_by="t").token
    register_secret(token)
    headers = {"Authorization": f"Bearer {token}", "X-Request-Id": "req-42"}
    with app.test_request_context("/api/v1/whoami", headers=headers):
        access.authenticate(container.identity, request)
        actor = access.current_actor(request)
    assert (actor.user, actor.groups, actor.request_id) == ("otto", frozenset({"qa"}), "req-42")
    assert actor.run_parameters() == {"BRIDGE_REQUESTED_BY": "otto"}
