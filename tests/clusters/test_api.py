"""GET /api/v1/clusters: what the inventory holds, never a kubeconfig, and only the caller's clusters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask

from bridge.bootstrap import Container
from bridge.domain.clusters import ClusterRecord, ClusterRole, Placement, Reachability, SourceKind
from bridge.identity.token_store import TokenStore
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

C, W, P = "/api/v1/clusters", "/api/v1/workspaces", "/api/v1/projects"
SECRET = "kubeconfig-token-that-must-never-show-0123"


def _rec(name: str, **kw: object) -> ClusterRecord:
    kubeconfig = f"apiVersion: v1\nusers: [{{name: {name}, user: {{token: {SECRET}-{name}}}}}]\n"
    return ClusterRecord(
        name=name,
        source=SourceKind.KUBESPHERE,
        origin=f"Cluster {name}",
        kubeconfig=kubeconfig,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture
def world(api: ApiClient, app: Flask, container: Container) -> dict[str, ApiClient]:
    for name in ("rohan", "gondor", "shire", "mordor", "host"):
        register_secret(f"{SECRET}-{name}")
    assert api.post(W, {"name": "ws-a", "clusters": ["rohan", "gondor"]}).status_code == 201
    assert api.post(W, {"name": "ws-b", "clusters": ["shire"]}).status_code == 201
    assert api.post(P, {"name": "proj-a", "workspace": "ws-a"}).status_code == 201
    assert api.post(f"{P}/proj-a/members", {"subject": "vera", "role": "viewer"}).status_code == 200
    assert api.post(f"{W}/ws-b/members", {"subject": "wanda", "role": "admin"}).status_code == 200
    catalog = container.clusters.catalog
    records = {
        "rohan": _rec("rohan", devops=True, ready=True),
        "gondor": _rec("gondor", devops=True),
        "shire": _rec("shire"),
        "mordor": _rec("mordor", devops=True),
        "host": _rec("host", role=ClusterRole.HOST, labels={"region": "west"}),
    }
    catalog.sync(records, authoritative=set(SourceKind))
    catalog.sync_placements({"ws-a": Placement("ws-a", clusters=("host", "rohan"))})
    seen = Reachability(
        reachable=True, checked_at=datetime(2026, 1, 1, tzinfo=UTC), latency_ms=2.0, version="v1.37.2"
    )
    catalog.record_reachability("rohan", seen)
    tokens = TokenStore(container.store.engine)
    clients = {"admin": api}
    for user in ("vera", "wanda", "nobody"):
        token = tokens.create(user=user, groups=(), created_by="test").token
        register_secret(token)
        clients[user] = ApiClient(app.test_client(), token=token)
    return clients


def _names(response: object) -> list[str]:
    body = response.json  # type: ignore[attr-defined]
    assert body["continue"] is None
    return [c["name"] for c in body["items"]]


def test_admin_sees_every_cluster_with_its_state_but_never_a_kubeconfig(world: dict[str, ApiClient]) -> None:
    r = world["admin"].get(C)
    assert r.status_code == 200
    assert _names(r) == ["gondor", "host", "mordor", "rohan", "shire"]
    assert SECRET not in r.get_data(as_text=True)
    rohan = world["admin"].get(f"{C}/rohan")
    assert SECRET not in rohan.get_data(as_text=True)
    body = rohan.json
    assert body["source"] == "kubesphere" and body["role"] == "member" and body["devops_enabled"] is True
    assert body["jenkins"] == "default" and body["ready"] is True and body["problem"] is None
    assert body["kubernetes_version"] == "v1.37.2"
    assert body["reachability"]["reachable"] is True and body["reachability"]["latency_ms"] == 2.0
    assert body["workspaces"] == ["ws-a"]  # declared in ws-a, and in its placement: listed once
    host = world["admin"].get(f"{C}/host").json
    assert host["role"] == "host" and host["jenkins"] is None and host["reachability"]["reachable"] is None
    assert host["workspaces"] == ["ws-a"]  # from the WorkspaceTemplate placement only
    assert world["admin"].get(f"{C}/mordor").json["workspaces"] == []
    assert world["admin"].get(f"{C}/nope").status_code == 404


def test_viewers_see_only_the_clusters_of_their_workspaces(world: dict[str, ApiClient]) -> None:
    vera, wanda, nobody = world["vera"], world["wanda"], world["nobody"]
    assert _names(vera.get(C)) == ["gondor", "host", "rohan"]
    assert _names(wanda.get(C)) == ["shire"]
    assert _names(nobody.get(C)) == []
    for invisible in ("shire", "mordor", "nope"):
        r = vera.get(f"{C}/{invisible}")
        assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert wanda.get(f"{C}/rohan").status_code == 404
    assert vera.get(f"{C}/rohan").json["workspaces"] == ["ws-a"]
    assert vera.get(f"{C}/rohan").json["origin"] is None  # object and file names are for admins
    assert world["admin"].get(f"{C}/rohan").json["origin"] == "Cluster rohan"
    assert _names(vera.get(C, query_string={"workspace": "ws-b"})) == []
    assert _names(world["admin"].get(C, query_string={"workspace": "ws-b"})) == ["shire"]


def test_a_cluster_in_two_workspaces_shows_only_the_callers_workspace(
    world: dict[str, ApiClient],
) -> None:
    admin = world["admin"]
    assert admin.patch(f"{W}/ws-b", {"clusters": ["shire", "rohan"]}).status_code == 200
    assert admin.get(f"{C}/rohan").json["workspaces"] == ["ws-a", "ws-b"]
    assert world["vera"].get(f"{C}/rohan").json["workspaces"] == ["ws-a"]
    assert world["wanda"].get(f"{C}/rohan").json["workspaces"] == ["ws-b"]


def test_workspaces_list_the_clusters_their_projects_may_use(world: dict[str, ApiClient]) -> None:
    ws_a = world["admin"].get(f"{W}/ws-a").json
    assert ws_a["clusters"] == ["rohan", "gondor"]
    assert ws_a["available_clusters"] == ["rohan", "gondor", "host"]
    listed = {w["name"]: w["available_clusters"] for w in world["vera"].get(W).json["items"]}
    assert listed == {"ws-a": ["rohan", "gondor", "host"]}
    assert world["admin"].get(f"{W}/ws-b").json["available_clusters"] == ["shire"]


def test_a_name_clash_is_shown_on_the_cluster(world: dict[str, ApiClient], container: Container) -> None:
    from bridge.domain.clusters import merge

    clash = merge([_rec("rohan"), ClusterRecord("rohan", SourceKind.ARGOCD, "Secret argocd/rohan", "x: y")])
    container.clusters.catalog.sync(
        {
            **{
                s.record.name: s.record
                for s in container.clusters.catalog.states()
                if s.record.name != "rohan"
            },
            **clash,
        },
        authoritative=set(),
    )
    body = world["admin"].get(f"{C}/rohan").json
    assert body["problem"] and "offered by" in body["problem"] and "Secret argocd/rohan" in body["problem"]
    assert body["devops_enabled"] is False and body["jenkins"] is None
    assert container.clusters.catalog.kubeconfig("rohan") is None
    # a viewer learns that the cluster is unusable, not which objects of the platform clash
    seen = world["vera"].get(f"{C}/rohan").json
    assert seen["origin"] is None and seen["problem"] and "Secret" not in seen["problem"]
