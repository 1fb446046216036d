"""Every list endpoint pages with ``limit`` and an opaque ``continue`` token, in its stated order.

The walk covers every GET route of the registry whose response has ``items``: a list route added
later without pagination (or without seeded items here) fails it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from bridge.api.paging import encode
from bridge.api.registry import Route
from bridge.api.schemas.common import PageOut, PageQuery
from bridge.bootstrap import Container
from bridge.domain.approvals import InputState, PendingInput
from bridge.domain.clusters import ClusterRecord, SourceKind
from bridge.domain.runs import Run, RunStatus, Trigger, TriggerKind
from bridge.identity.token_store import TokenStore
from tests.api.paths import concrete, openapi_path
from tests.fixtures.app import ApiClient
from tests.webhooks.samples import SECRET, load

P = "/api/v1/projects"
W = "/api/v1/workspaces"
#: Items of each list the walk needs at least, so that a page of 2 leaves several pages.
AT_LEAST = 5


def _list_routes(app: Flask) -> list[Route]:
    registry = app.extensions["bridge.registry"]
    routes = [
        r
        for r in registry.routes
        if r.method == "GET" and r.response is not None and "items" in r.response.model_fields
    ]
    assert len(routes) >= 9  # workspaces, projects, credentials, pipelines, 2 x members, 2 x audit, clusters
    return routes


@pytest.fixture
def seeded(api: ApiClient, container: Container) -> ApiClient:
    names = ("k-3", "k-1", "k-5", "k-2", "k-4")
    kubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\n"
    clusters = {
        n: ClusterRecord(n, SourceKind.STATIC, f"file {n}", kubeconfig=kubeconfig, devops=True) for n in names
    }
    container.clusters.catalog.sync(clusters, authoritative=set(SourceKind))
    assert api.post(W, {"name": "ws", "clusters": list(names)}).status_code == 201  # entitles its projects
    for ws in ("ws-c", "ws-a", "ws-e", "ws-b", "ws-d"):
        assert api.post(W, {"name": ws}).status_code == 201
    for name in ("demo", "p-3", "p-1", "p-5", "p-2", "p-4"):
        assert api.post(P, {"name": name, "workspace": "ws"}).status_code == 201
    assert api.post(P, {"name": "elsewhere", "workspace": "ws-a"}).status_code == 201
    for cid in ("c-3", "c-1", "c-5", "c-2", "c-4"):
        body = {"id": cid, "type": "secret-text", "data": {"secret": f"s3cr3t-value-{cid}"}}
        assert api.post(f"{P}/demo/credentials", body).status_code == 201
    for name in ("b-3", "b-1", "b-5", "b-2", "b-4"):
        assert api.post(f"{P}/demo/pipelines", {"name": name, "jenkinsfile": "echo hi"}).status_code == 201
    targets = [{"cluster": c, "namespace": n} for c in ("k-2", "k-1") for n in ("web", "api", "db")]
    hook = {"name": "p", "scm": {"url": "https://github.com/acme/widget"}, "webhook": {"secret": SECRET}}
    # the route walk's sample pipeline: runs, deliveries and targets
    assert api.post(f"{P}/demo/pipelines", hook | {"targets": targets}).status_code == 201
    with container.store.write() as tx:  # the run index is written by the run side, not by this API
        for number in (1, 2, 3, 4, 5):
            run = Run(project="demo", pipeline="p", trigger=Trigger(TriggerKind.JENKINS), number=number)
            tx.runs.add(run.with_(status=RunStatus.SUCCEEDED, result="SUCCESS"))
        # inputs: five decided ones of run 1 (its inputs list) and five waiting ones (the inbox)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for i, (number, state) in enumerate([(1, InputState.APPROVED)] * 5 + [(2, InputState.WAITING)] * 5):
            since = start + timedelta(minutes=i)
            tx.approvals.add(PendingInput("demo", "p", number, f"In-{i}", "ok?", since, state=state))
    for n in range(5):  # deliveries: the project's list and the pipeline's
        s = load("github-push").with_headers(X_GitHub_Delivery=f"d-{n}")
        assert api.client.post("/webhooks/github", data=s.body, headers=s.headers).status_code == 202
    members = [("user", "zoe"), ("group", "team-b"), ("user", "al"), ("group", "team-a"), ("user", "mo")]
    for kind, subject in members:
        body = {"subject": subject, "kind": kind, "role": "viewer"}
        assert api.post(f"{P}/demo/members", body).status_code == 200
        assert api.post(f"{W}/ws/members", body).status_code == 200
    return api


def _walk(api: ApiClient, path: str, limit: int) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = []
    token: str | None = None
    while True:
        url = f"{path}?limit={limit}" + (f"&continue={token}" if token else "")
        r = api.get(url)
        assert r.status_code == 200, (url, r.json)
        pages.append(r.json["items"])
        token = r.json["continue"]
        if token is None:
            return pages
        assert len(pages) < 100, "the walk does not end"


def _key(path: str, item: dict[str, Any]) -> tuple[Any, ...]:
    if path.endswith("/members"):
        return (item["kind"], item["subject"])
    if path.endswith("/credentials"):
        return (item["id"],)
    if path.startswith(P) and path.endswith("/clusters"):
        return (item["cluster"],)
    if path.endswith("/credentials"):
        return (item["id"],)
    if path.endswith("/targets"):
        return (item["cluster"], item["namespace"])
    if path.endswith("/audit") or path.endswith("/webhook-deliveries"):
        return (-item["id"],)  # newest first
    if path.endswith("/inputs") or path.endswith("/approvals"):
        return (item["since"],)  # oldest first (seeded one minute apart)
    if path.endswith("/runs"):
        return (-item["number"],)  # newest first (indexed in build order here)
    return (item["name"],)


def test_every_list_route_pages_through_its_whole_list_in_its_stated_order(
    seeded: ApiClient, app: Flask
) -> None:
    for route in _list_routes(app):
        path = concrete(route.path)
        whole = seeded.get(f"{path}?limit=500").json
        assert whole["continue"] is None, path
        items = whole["items"]
        assert len(items) >= AT_LEAST, f"{path}: seed at least {AT_LEAST} items for this list"
        keys = [_key(path, i) for i in items]
        assert keys == sorted(keys) and len(set(keys)) == len(keys), path
        pages = _walk(seeded, path, limit=2)
        assert all(len(p) == 2 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 2, path
        assert [i for p in pages for i in p] == items, path


def test_every_list_route_declares_limit_and_continue_in_openapi(app: Flask) -> None:
    document = app.extensions["bridge.openapi"]
    for route in _list_routes(app):
        assert route.query is not None and issubclass(route.query, PageQuery), route.path
        assert route.response is not None and issubclass(route.response, PageOut), route.path
        op = document["paths"][openapi_path(route.path)]["get"]
        params = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
        assert params["limit"]["schema"]["maximum"] == 500 and params["limit"]["schema"]["minimum"] == 1
        assert "opaque" in params["continue"]["schema"]["description"]
        schema_name = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        schema = document["components"]["schemas"][schema_name]
        assert "continue" in schema["properties"] and "continue_" not in schema["properties"]
        order = schema["properties"]["items"]["description"]
        assert "Ordered by" in order or "Newest first" in order, (route.path, order)


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=501", "limit=ten", "continue=", "continue=not-a-token", "continue=" + "A" * 2000],
)
def test_bad_limits_and_tokens_are_400_problems_on_every_list(
    seeded: ApiClient, app: Flask, query: str
) -> None:
    for route in _list_routes(app):
        r = seeded.get(f"{concrete(route.path)}?{query}")
        assert r.status_code == 400, (route.path, query, r.status_code)
        assert r.mimetype == "application/problem+json"
        assert r.json["errors"][0]["field"].startswith(query.split("=")[0])


def test_a_token_of_another_list_or_filter_is_refused(seeded: ApiClient) -> None:
    token = seeded.get(f"{P}?limit=2").json["continue"]
    assert token
    assert seeded.get(f"{P}?limit=2&continue={token}").status_code == 200
    for other in (W, f"{P}?workspace=ws", f"{P}/demo/pipelines", f"{P}/p-1/credentials"):
        sep = "&" if "?" in other else "?"
        r = seeded.get(f"{other}{sep}limit=2&continue={token}")
        assert r.status_code == 400 and r.mimetype == "application/problem+json", other
    # the right list, but a key of the wrong shape (an audit id where a name belongs)
    forged = encode('["projects",null]', (7,))
    assert seeded.get(f"{P}?continue={forged}").status_code == 400


def test_items_created_or_deleted_between_pages_move_nothing_else(seeded: ApiClient) -> None:
    first = seeded.get(f"{P}/demo/pipelines?limit=2").json
    assert [i["name"] for i in first["items"]] == ["b-1", "b-2"]
    assert seeded.post(f"{P}/demo/pipelines", {"name": "a-0", "jenkinsfile": "echo"}).status_code == 201
    assert seeded.delete(f"{P}/demo/pipelines/b-2").status_code == 202
    names: list[str] = []
    token = first["continue"]
    while token:
        page = seeded.get(f"{P}/demo/pipelines?limit=2&continue={token}").json
        names += [i["name"] for i in page["items"]]
        token = page["continue"]
    assert names == ["b-3", "b-4", "b-5", "p"]


def test_pages_hold_only_what_the_caller_may_see_and_are_full(
    seeded: ApiClient, app: Flask, container: Container
) -> None:
    for project in ("p-1", "p-4", "p-5"):
        assert seeded.post(f"{P}/{project}/members", {"subject": "vic", "role": "viewer"}).status_code == 200
    assert seeded.post(f"{W}/ws-d/members", {"subject": "vic", "role": "viewer"}).status_code == 200
    token = TokenStore(container.store.engine).create(user="vic", groups=(), created_by="test").token
    vic = ApiClient(app.test_client(), token=token)
    pages = _walk(vic, P, limit=2)
    assert [[i["name"] for i in p] for p in pages] == [["p-1", "p-4"], ["p-5"]]
    workspaces = [[i["name"] for i in p] for p in _walk(vic, W, limit=1)]
    assert [n for p in workspaces for n in p] == ["ws", "ws-d"]  # ws through its projects
