"""The receiver over HTTP (the real app and store): verified deliveries are stored and queued before
the 202, everything else is refused or recorded without triggering anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.bootstrap import Container
from bridge.settings import Settings
from tests.fixtures.app import ApiClient, make_settings
from tests.webhooks.samples import HEAD, NAMES, SECRET, Sample, load

P = "/api/v1/projects/demo"
#: Each sample's repository, declared in another URL form than the payload's.
REPO = {
    "github": "git@GITHUB.com:acme/widget",
    "gitlab": "https://gitlab.example.com/acme/platform/widget/",
    "gitea": "ssh://git@gitea.example.com/acme/widget.git",
    "forgejo": "git@forgejo.example.com:acme/widget.git",
    "gogs": "https://Gogs.Example.com/acme/widget",
    "bitbucket-cloud": "git@bitbucket.org:acme/widget.git",
    "bitbucket-dc": "ssh://git@bitbucket.example.com:7999/plat/widget.git",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, BRIDGE_WEBHOOKS_RATE_LIMIT="0", BRIDGE_WEBHOOKS_MAX_BODY_BYTES="65536")


@pytest.fixture
def demo(api: ApiClient) -> ApiClient:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post("/api/v1/projects", {"name": "demo", "workspace": "ws"}).status_code == 201
    return api


def pipeline(api: ApiClient, name: str, repo: str, **webhook: Any) -> dict[str, Any]:
    body = {"name": name, "scm": {"url": repo, "branch": "main"}, "webhook": {"secret": SECRET} | webhook}
    response = api.post(f"{P}/pipelines", body)
    assert response.status_code == 201, response.json
    result: dict[str, Any] = response.json
    return result


def deliver(api: ApiClient, s: Sample) -> Any:
    return api.client.post(f"/webhooks/{s.family}", data=s.body, headers=s.headers)


def deliveries(api: ApiClient, pipeline: str | None = None) -> list[dict[str, Any]]:
    path = f"{P}/pipelines/{pipeline}/webhook-deliveries" if pipeline else f"{P}/webhook-deliveries"
    response = api.get(path)
    assert response.status_code == 200, response.json
    items: list[dict[str, Any]] = response.json["items"]
    return items


@pytest.mark.parametrize("name", NAMES)
def test_signed_sample_is_stored_and_queued_before_the_202(demo: ApiClient, name: str) -> None:
    s = load(name)
    pipeline(demo, "app", REPO[s.provider], tags={"include": ["v*"]})
    response = deliver(demo, s)
    assert response.status_code == 202, response.json
    assert response.json["queued"] == 1 and response.json["duplicate"] is False
    [row] = deliveries(demo, "app")
    tag = "tag" in name
    assert row["status"] == "queued" and row["attempts"] == 0 and row["runs"] == []
    assert row["parameters"] == {"BRANCH_NAME": "v1.4.0" if tag else "main"}
    assert row["ref"] == ("refs/tags/v1.4.0" if tag else "refs/heads/main")
    assert row["signed"] is True
    if not (tag and s.provider in ("gogs", "bitbucket-dc")):
        assert row["commit"] == HEAD


def test_bad_or_missing_signature_is_401_and_stores_nothing(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"])
    s = load("github-push")
    wrong = s.resigned("not-the-secret")
    assert deliver(demo, wrong).status_code == 401
    tampered = Sample(s.name, s.headers, s.body.replace(b'"main"', b'"evil"'))
    assert deliver(demo, tampered).status_code == 401
    unsigned = s.with_headers(X_Hub_Signature_256=None)
    response = deliver(demo, unsigned)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    gitlab = load("gitlab-push")
    pipeline(demo, "gl", REPO["gitlab"])
    assert deliver(demo, gitlab.with_headers(X_Gitlab_Token="guess")).status_code == 401
    assert deliveries(demo) == []


def test_only_pipelines_whose_secret_verifies_are_started(demo: ApiClient) -> None:
    pipeline(demo, "mine", REPO["github"])
    pipeline(demo, "theirs", "https://github.com/acme/widget", secret="another-secret")
    pipeline(demo, "open", "https://github.com/acme/widget", secret=None, allow_unsigned=True)
    response = deliver(demo, load("github-push"))
    assert response.status_code == 202 and response.json["pipelines"] == 1
    assert [r["pipeline"] for r in deliveries(demo)] == ["mine"]
    unsigned = load("github-push").with_headers(X_Hub_Signature_256=None, X_GitHub_Delivery="d-2")
    assert deliver(demo, unsigned).status_code == 202
    assert [r["pipeline"] for r in deliveries(demo, "open")] == ["open"]


def test_duplicate_delivery_triggers_nothing_new(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["gitea"])
    s = load("gitea-push")
    assert deliver(demo, s).json["duplicate"] is False
    again = deliver(demo, s)
    assert again.status_code == 202 and again.json["duplicate"] is True and again.json["queued"] == 0
    assert len(deliveries(demo)) == 1


def test_unknown_repository_is_acknowledged_and_recorded_only(demo: ApiClient, container: Container) -> None:
    pipeline(demo, "app", "https://github.com/acme/other")
    response = deliver(demo, load("github-push"))
    assert response.status_code == 202 and response.json["pipelines"] == 0
    assert response.json["queued"] == 0
    assert deliveries(demo) == []
    with container.store.read() as tx:
        assert tx.deliveries.counts() == {"unmatched": 1}


def test_filters_and_deletions_are_recorded_as_ignored(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"], branches={"include": ["release/*"]})
    assert deliver(demo, load("github-tag-push")).json["queued"] == 0  # tags: none by default
    assert deliver(demo, load("github-push")).json["queued"] == 0  # main is not release/*
    gh = load("github-push")
    doc = gh.doc() | {"ref": "refs/heads/release/1", "after": "0" * 40, "deleted": True, "head_commit": None}
    deleted = gh.with_body(doc).with_headers(X_GitHub_Delivery="deleted-1")
    assert deliver(demo, deleted).json["queued"] == 0
    rows = deliveries(demo)
    assert [r["status"] for r in rows] == ["ignored"] * 3
    assert "deleted" in rows[0]["error"] and "not selected" in rows[1]["error"]
    assert demo.post(f"{P}/webhook-deliveries/{rows[0]['id']}/redeliver").status_code == 409


def test_ping_and_other_events_trigger_nothing(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"])
    s = load("github-push")
    ping = demo.client.post("/webhooks/github", data=b"{}", headers={**s.headers, "X-GitHub-Event": "ping"})
    assert ping.status_code == 200 and ping.json["ping"] is True
    dc = load("bitbucket-dc-push")
    headers = {**dc.headers, "X-Event-Key": "diagnostics:ping"}
    assert demo.client.post("/webhooks/bitbucket", data=b'{"test": true}', headers=headers).status_code == 200
    assert deliveries(demo) == []


def test_bad_bodies_and_size_limit(demo: ApiClient) -> None:
    s = load("github-push")
    assert demo.client.post("/webhooks/github", data=b"{nope", headers=s.headers).status_code == 400
    big = b"{" + b" " * 70000 + b"}"
    assert demo.client.post("/webhooks/github", data=big, headers=s.headers).status_code == 413
    assert demo.client.post("/webhooks/svn", data=s.body, headers=s.headers).status_code in (404, 405)


def test_rate_limit_per_address(tmp_path: Path) -> None:
    from bridge.app import create_app

    app = create_app(make_settings(tmp_path, BRIDGE_WEBHOOKS_RATE_LIMIT="3"))
    client = app.test_client()
    s = load("github-push")
    codes = [client.post("/webhooks/github", data=s.body, headers=s.headers).status_code for _ in range(5)]
    assert codes == [202, 202, 202, 429, 429]
    assert int(client.post("/webhooks/github", data=s.body, headers=s.headers).headers["Retry-After"]) >= 1
    app.extensions["bridge"].close()


def test_pipeline_shows_its_trigger_and_urls_never_the_secret(demo: ApiClient) -> None:
    out = pipeline(demo, "app", REPO["github"], parameters={"ENV": "dev"})
    hook = out["webhook"]
    assert hook["secret_set"] is True and "secret" not in hook
    assert SECRET not in str(out)
    assert hook["watching"] == REPO["github"] and hook["branches"] == {"include": ["*"], "exclude": []}
    assert hook["providers"]["github"]["url"] == "http://localhost/webhooks/github"
    assert set(hook["providers"]) == {"github", "gitlab", "gitea", "bitbucket"}
    # an update without the secret keeps it; '' clears it (then a secret or allow_unsigned is required)
    patched = demo.patch(f"{P}/pipelines/app", {"webhook": {"branches": {"include": ["main"]}}})
    assert patched.status_code == 200 and patched.json["webhook"]["secret_set"] is True
    assert deliver(demo, load("github-push")).json["queued"] == 1
    cleared = demo.patch(f"{P}/pipelines/app", {"webhook": {"secret": ""}})
    assert cleared.status_code == 400 and "webhook.secret" in str(cleared.json)
    # dropping the trigger drops it from the index
    assert demo.patch(f"{P}/pipelines/app", {"webhook": None}).status_code == 200
    other = load("github-push").with_headers(X_GitHub_Delivery="after-removal")
    assert deliver(demo, other).json["pipelines"] == 0


def test_trigger_validation(demo: ApiClient) -> None:
    inline = {"name": "inline", "jenkinsfile": "node { echo 'x' }", "webhook": {"secret": "s"}}
    response = demo.post(f"{P}/pipelines", inline)
    assert response.status_code == 400 and "webhook.repo_url" in str(response.json)
    inline["webhook"] = {"secret": "s", "repo_url": "https://github.com/acme/widget"}
    assert demo.post(f"{P}/pipelines", inline).status_code == 201
    bad = {
        "name": "bad",
        "scm": {"url": REPO["github"]},
        "webhook": {"branch_parameter": "1x", "parameters": {"BRIDGE_X": "y"}, "repo_url": "nope"},
    }
    problems = str(demo.post(f"{P}/pipelines", bad).json)
    for field in (
        "webhook.branch_parameter",
        "webhook.parameters.BRIDGE_X",
        "webhook.repo_url",
        "webhook.secret",
    ):
        assert field in problems


def test_deleting_a_pipeline_stops_its_trigger(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"])
    assert demo.delete(f"{P}/pipelines/app").status_code == 202
    assert deliver(demo, load("github-push")).json["pipelines"] == 0


def test_openapi_declares_the_receivers(demo: ApiClient) -> None:
    doc = demo.get("/api/v1/openapi.json").json
    op = doc["paths"]["/webhooks/github"]["post"]
    assert op["security"] == [{"webhookSignature": []}] and op["x-permission"] == "webhook.deliver"
    assert "401" in op["responses"] and "202" in op["responses"]
    assert "/api/v1/projects/{project}/webhook-deliveries" in doc["paths"]
