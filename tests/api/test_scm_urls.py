"""SCM URLs: only https://, ssh:// and user@host:path; no secret inside the URL; stored rows that
hold one (written before these rules) are shown without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.app import create_app
from bridge.bootstrap import Container, build_container
from bridge.domain.model import Pipeline, ScmSource
from bridge.services.scm import scm_url_problems, shown_url
from tests.api.tenants import P, Tenants
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret

TOKEN = "ghp_0123456789abcdefSCMTOKEN"


def _scm(url: str, **over: Any) -> dict[str, Any]:
    return {"name": "from-git", "scm": {"url": url, "branch": "main", **over}}


@pytest.fixture
def demo(api: ApiClient) -> ApiClient:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    return api


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"https://bot:{TOKEN}@git.example/org/repo.git", "scm.credential"),
        (f"https://{TOKEN}@git.example/org/repo.git", "scm.credential"),
        (f"ssh://git:{TOKEN}@git.example/org/repo.git", "scm.credential"),
        ("file:///var/jenkins_home/secrets/master.key", "file://"),
        ("FILE:///etc/passwd", "file://"),
        ("git://git.example/org/repo.git", "git://"),
        ("http://git.example/org/repo.git", "http://"),
        ("-uhttps://git.example/x", "'-'"),
        ("--upload-pack=touch /tmp/pwned", "'-'"),
        ("ext::sh -c touch% /tmp/pwned", "spaces"),
        ("ext::sh", "remote helpers"),
        ("git@host::path", "remote helpers"),
        ("https://git.example/org/repo.git\n", "control"),
        ("git.example/org/repo.git", "https://"),
        ("https:///org/repo.git", "host"),
        ("https://git.example:port/repo.git", "valid URL"),
        ("/srv/git/repo.git", "https://"),
    ],
)
def test_refused_scm_urls_get_a_400_that_says_why(demo: ApiClient, url: str, says: str) -> None:
    register_secret(TOKEN)
    r = demo.post(f"{P}/demo/pipelines", _scm(url))
    assert r.status_code == 400, (url, r.status_code, r.json)
    assert r.mimetype == "application/problem+json"
    assert [e["field"] for e in r.json["errors"]] == ["scm.url"]
    assert says in r.json["errors"][0]["message"], r.json
    assert TOKEN not in r.get_data(as_text=True)
    assert demo.get(f"{P}/demo/pipelines").json["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example/org/repo.git",
        "https://git.example:8443/org/repo.git",
        "ssh://git@git.example:2222/org/repo.git",
        "ssh://git.example/org/repo.git",
        "git@github.com:org/repo.git",
        "deploy.bot@git.example:org/repo.git",
    ],
)
def test_allowed_scm_urls(demo: ApiClient, url: str) -> None:
    r = demo.post(f"{P}/demo/pipelines", _scm(url))
    assert r.status_code == 201, r.json
    assert r.json["scm"]["url"] == url


def test_a_password_url_in_an_update_is_refused_too(demo: ApiClient) -> None:
    assert demo.post(f"{P}/demo/pipelines", _scm("https://git.example/r.git")).status_code == 201
    register_secret(TOKEN)
    r = demo.patch(f"{P}/demo/pipelines/from-git", {"scm": {"url": f"https://bot:{TOKEN}@git.example/r.git"}})
    assert r.status_code == 400
    assert demo.get(f"{P}/demo/pipelines/from-git").json["scm"]["url"] == "https://git.example/r.git"


def test_plain_http_only_with_the_explicit_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, BRIDGE_JENKINS_ALLOW_HTTP_SCM="true")
    container = build_container(settings)
    try:
        api = ApiClient(create_app(container=container).test_client())
        assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
        assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
        assert api.post(f"{P}/demo/pipelines", _scm("http://git.lan/r.git")).status_code == 201
        r = api.post(f"{P}/demo/pipelines", {**_scm("http://bot:pw-in-url@git.lan/r.git"), "name": "other"})
        assert r.status_code == 400, "the setting allows http://, never a password in it"
        assert (
            api.post(f"{P}/demo/pipelines", {**_scm("git://git.lan/r.git"), "name": "x"}).status_code == 400
        )
    finally:
        container.close()


def test_a_stored_url_with_a_password_is_never_shown(tenants: Tenants, container: Container) -> None:
    """A row written before the rules (or by hand) keeps its URL, but no response carries the secret."""
    register_secret(TOKEN)
    legacy = Pipeline(
        project="proj-a",
        name="legacy",
        scm=ScmSource(url=f"https://bot:{TOKEN}@git.example/org/repo.git"),
    )
    legacy_ssh = Pipeline(
        project="proj-a", name="legacy-ssh", scm=ScmSource(url=f"ssh://git:{TOKEN}@git.example/r.git")
    )
    with container.store.write() as tx:
        tx.pipelines.insert(legacy)
        tx.pipelines.insert(legacy_ssh)
    vera = tenants.as_("vera")  # viewer of proj-a
    one = vera.get(f"{P}/proj-a/pipelines/legacy")
    assert one.status_code == 200
    assert one.json["scm"]["url"] == "https://***@git.example/org/repo.git"
    assert (
        vera.get(f"{P}/proj-a/pipelines/legacy-ssh").json["scm"]["url"] == "ssh://git:***@git.example/r.git"
    )
    listing = vera.get(f"{P}/proj-a/pipelines")
    for response in (one, listing, tenants.admin.get(f"{P}/proj-a/pipelines")):
        assert TOKEN not in response.get_data(as_text=True)
    # changing anything else makes the owner fix the URL first
    r = tenants.admin.patch(f"{P}/proj-a/pipelines/legacy", {"description": "x"})
    assert r.status_code == 400 and "scm.credential" in r.json["detail"]


def test_rules_without_http() -> None:
    assert scm_url_problems("https://git.example/r.git") == []
    assert scm_url_problems("http://git.example/r.git", allow_http=True) == []
    assert shown_url("https://u:p@h/x") == "https://***@h/x"
    assert shown_url("git@github.com:org/r.git") == "git@github.com:org/r.git"
    assert shown_url("ssh://git@h/x") == "ssh://git@h/x"
