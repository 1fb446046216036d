"""HTTP details clients rely on: If-Match on deletes, Retry-After on 503, one rule for request ids."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from flask import Flask

from bridge.app import create_app
from bridge.audit.log import AuditQuery
from bridge.bootstrap import Container, build_container
from bridge.errors import UpstreamUnavailable
from bridge.identity.token_review import ReviewResult
from tests.fixtures.app import ApiClient, make_settings

P = "/api/v1/projects"


@pytest.fixture
def seeded(api: ApiClient) -> ApiClient:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    cred = {"id": "git", "type": "secret-text", "data": {"secret": "s3cr3t-value"}}
    assert api.post(f"{P}/demo/credentials", cred).status_code == 201
    assert api.post(f"{P}/demo/pipelines", {"name": "build", "jenkinsfile": "echo hi"}).status_code == 201
    return api


@pytest.mark.parametrize(
    "path",
    [f"{P}/demo/pipelines/build", f"{P}/demo/credentials/git", f"{P}/demo"],
    ids=["pipeline", "credential", "project"],
)
def test_a_delete_with_a_stale_if_match_changes_nothing(seeded: ApiClient, path: str) -> None:
    api = seeded
    assert api.patch(path, {"description": "changed by someone else"}).json["resource_version"] == 2
    stale = api.delete(path, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and "stale" in stale.json["detail"]
    assert stale.json["type"].endswith(":precondition-failed")
    assert api.get(path).status_code == 200
    assert api.delete(path, headers={"If-Match": '"2"'}).status_code == 202
    assert api.get(path).status_code == 404


def test_a_workspace_delete_with_a_stale_if_match_changes_nothing(api: ApiClient) -> None:
    api.post("/api/v1/workspaces", {"name": "ws"})
    api.patch("/api/v1/workspaces/ws", {"description": "v2"})
    assert api.delete("/api/v1/workspaces/ws", headers={"If-Match": '"1"'}).status_code == 412
    assert api.delete("/api/v1/workspaces/ws", headers={"If-Match": '"2"'}).status_code == 204


def test_a_weak_tag_never_matches_if_match(seeded: ApiClient) -> None:
    """If-Match uses strong comparison: ``W/"1"`` fails even though version 1 is current."""
    r = seeded.patch(f"{P}/demo", {"description": "x"}, headers={"If-Match": 'W/"1"'})
    assert r.status_code == 412
    assert seeded.delete(f"{P}/demo", headers={"If-Match": 'W/"1"'}).status_code == 412
    assert seeded.get(f"{P}/demo").json["resource_version"] == 1  # nothing changed
    assert seeded.patch(f"{P}/demo", {"description": "x"}, headers={"If-Match": '"1"'}).status_code == 200


def test_if_match_is_ignored_on_reads(seeded: ApiClient) -> None:
    for header in ("garbage", 'W/"1"', '"999"'):
        r = seeded.get(f"{P}/demo", headers={"If-Match": header})
        assert r.status_code == 200, header
    assert seeded.get(P, headers={"If-Match": "garbage"}).status_code == 200


def test_duplicates_stay_409_and_the_openapi_lists_412(seeded: ApiClient) -> None:
    assert seeded.post(P, {"name": "demo", "workspace": "ws"}).status_code == 409
    doc = seeded.get("/api/v1/openapi.json").json
    item = doc["paths"]["/api/v1/projects/{project}"]
    assert "412" in item["patch"]["responses"] and "412" in item["delete"]["responses"]
    assert "412" not in item["get"]["responses"]


class _Outage:
    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after

    def review(self, token: str, *, audiences: Sequence[str]) -> ReviewResult:
        raise UpstreamUnavailable("cannot reach the Kubernetes API", retry_after=self.retry_after)


@pytest.mark.parametrize(("upstream", "header"), [(None, "5"), (7.2, "8")])
def test_a_503_tells_the_client_when_to_retry(tmp_path: Path, upstream: float | None, header: str) -> None:
    settings = make_settings(tmp_path, BRIDGE_AUTH_TOKEN_REVIEW="true")
    container = build_container(settings, token_reviewer=_Outage(upstream))
    try:
        client = ApiClient(create_app(container=container).test_client(), token="a-kubernetes-jwt")
        r = client.get(P)
        assert r.status_code == 503 and r.mimetype == "application/problem+json"
        assert r.headers["Retry-After"] == header
    finally:
        container.close()


def test_one_request_id_for_the_response_the_problem_and_the_audit(
    api: ApiClient, app: Flask, container: Container
) -> None:
    rid = "console:trace.42"  # well-formed for the audit log, so echoed everywhere
    r = api.post(P, {"name": "x", "workspace": "missing"}, headers={"X-Request-Id": rid})
    assert r.status_code == 400
    assert r.headers["X-Request-Id"] == rid and r.json["request_id"] == rid
    assert container.identity.audit.query(AuditQuery(limit=1))[0].request_id == rid
