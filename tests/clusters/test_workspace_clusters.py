"""A workspace's clusters through the API when an inventory is configured: only clusters the inventory
holds may be added (400 naming the unknown ones), only by platform admins (a cluster added entitles the
workspace's projects to its kubeconfig); workspace admins may remove them; every attempt is audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from bridge.bootstrap import Container
from bridge.domain.clusters import ClusterRecord, SourceKind
from bridge.identity.token_store import TokenStore
from bridge.settings import Settings
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret

W, P = "/api/v1/workspaces", "/api/v1/projects"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, BRIDGE_CLUSTERS_SOURCES="argocd")


def _inventory(container: Container, *names: str) -> None:
    records = {
        n: ClusterRecord(n, SourceKind.ARGOCD, f"Secret argocd/{n}", kubeconfig=f"k: {n}") for n in names
    }
    container.clusters.catalog.sync(records, authoritative=set(SourceKind))


def _client(app: Flask, container: Container, user: str) -> ApiClient:
    token = TokenStore(container.store.engine).create(user=user, groups=(), created_by="test").token
    register_secret(token)
    return ApiClient(app.test_client(), token=token)


def test_workspace_clusters_are_checked_against_the_inventory(
    api: ApiClient, app: Flask, container: Container
) -> None:
    _inventory(container, "rohan", "gondor", "shire")
    r = api.post(W, {"name": "middle-earth", "clusters": ["rohan", "mordor", "gondor", "isengard"]})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    message = r.json["errors"][0]["message"]
    assert "mordor, isengard" in message and "the inventory holds: gondor, rohan, shire" in message
    assert api.get(f"{W}/middle-earth").status_code == 404
    assert api.post(W, {"name": "middle-earth", "clusters": ["rohan", "gondor"]}).status_code == 201

    # a platform admin adds clusters; a workspace admin may remove them, not add; a viewer neither
    assert api.post(f"{W}/middle-earth/members", {"subject": "wanda", "role": "admin"}).status_code == 200
    assert api.post(f"{W}/middle-earth/members", {"subject": "vic", "role": "viewer"}).status_code == 200
    wanda, vic = _client(app, container, "wanda"), _client(app, container, "vic")
    r = wanda.patch(f"{W}/middle-earth", {"clusters": ["rohan", "gondor", "shire"]})
    assert r.status_code == 403 and "platform administrator" in r.json["detail"]
    r = api.patch(f"{W}/middle-earth", {"clusters": ["rohan", "gondor", "shire"]})
    assert r.status_code == 200 and r.json["available_clusters"] == ["rohan", "gondor", "shire"]
    assert vic.get(f"{W}/middle-earth").json["clusters"] == ["rohan", "gondor", "shire"]
    assert vic.patch(f"{W}/middle-earth", {"clusters": ["rohan"]}).status_code == 403
    assert wanda.patch(f"{W}/middle-earth", {"clusters": ["gondor", "shire"]}).status_code == 200
    r = wanda.patch(f"{W}/middle-earth", {"description": "the west", "clusters": ["shire", "gondor"]})
    assert r.status_code == 200 and r.json["clusters"] == ["shire", "gondor"]  # reordering adds nothing
    assert api.patch(f"{W}/middle-earth", {"clusters": ["rohan", "mordor"]}).status_code == 400

    # a cluster that left the inventory may stay while others change (it is no longer synced)
    _inventory(container, "rohan", "shire")
    assert api.patch(f"{W}/middle-earth", {"clusters": ["gondor", "shire", "rohan"]}).status_code == 200
    assert wanda.patch(f"{W}/middle-earth", {"clusters": ["gondor", "rohan"]}).status_code == 200

    entries = api.get("/api/v1/audit", query_string={"limit": 500}).json["items"]
    patches = [(e["actor"], e["outcome"], e["status"]) for e in entries if e["method"] == "PATCH"]
    assert ("wanda", "success", 200) in patches and ("vic", "denied", 403) in patches
    assert ("wanda", "denied", 403) in patches and ("bootstrap-admin", "failed", 400) in patches
