"""Every signed sample read into the one internal push shape, with the providers' quirks."""

from __future__ import annotations

import pytest

from bridge.webhooks import providers
from bridge.webhooks.events import Provider, RefKind, Scheme
from bridge.webhooks.signatures import hmac_sha256, verifies
from tests.webhooks.samples import HEAD, NAMES, SECRET, load

PROVIDER = {
    "github": Provider.GITHUB,
    "gitlab": Provider.GITLAB,
    "gitea": Provider.GITEA,
    "forgejo": Provider.FORGEJO,
    "gogs": Provider.GOGS,
    "bitbucket-cloud": Provider.BITBUCKET_CLOUD,
    "bitbucket-dc": Provider.BITBUCKET_DC,
}


def test_github_published_test_vector() -> None:
    digest = hmac_sha256("It's a Secret to Everybody", b"Hello, World!")
    assert digest == "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


@pytest.mark.parametrize("name", NAMES)
def test_sample_reads_as_one_push_that_verifies_with_the_secret_only(name: str) -> None:
    s = load(name)
    d = providers.read(s.family, s.headers, s.body)
    assert d.provider is PROVIDER[s.provider]
    assert d.id and d.id == (
        s.headers.get("X-GitHub-Delivery")
        or s.headers.get("Idempotency-Key")
        or s.headers.get("X-Forgejo-Delivery")
        or s.headers.get("X-Gitea-Delivery")
        or s.headers.get("X-Gogs-Delivery")
        or s.headers.get("X-Request-UUID")
        or s.headers.get("X-Request-Id")
    )
    assert len(d.pushes) == 1
    push = d.pushes[0]
    tag = "tag" in name
    assert push.kind is (RefKind.TAG if tag else RefKind.BRANCH)
    assert push.ref == ("refs/tags/v1.4.0" if tag else push.ref)
    assert push.name == ("v1.4.0" if tag else push.ref.removeprefix("refs/heads/"))
    assert not push.deleted
    if not (tag and s.provider in ("gogs", "bitbucket-dc")):  # those two announce the tag object only
        assert push.commit == HEAD, "annotated tags are peeled to the commit where the payload says"
    assert d.repo_urls and all("widget" in u for u in d.repo_urls)
    assert d.signature.present
    assert verifies(d.signature, SECRET)
    assert not verifies(d.signature, "another-secret")
    assert not verifies(d.signature, "")


def test_gitea_family_is_told_apart_by_its_own_headers_before_githubs() -> None:
    gitea = load("gitea-push")
    assert gitea.headers.get("X-GitHub-Event") == "push"
    assert providers.read("gitea", gitea.headers, gitea.body).provider is Provider.GITEA
    forgejo = load("forgejo-push")
    assert providers.read("gitea", forgejo.headers, forgejo.body).provider is Provider.FORGEJO
    # on the GitHub endpoint a Gitea delivery is read with GitHub's rules: its X-Hub-Signature-256
    # carries the same digest, so it verifies, and its payload has GitHub's field names
    d = providers.read("github", gitea.headers, gitea.body)
    assert d.provider is Provider.GITHUB and verifies(d.signature, SECRET)


def test_gitea_without_secret_sends_empty_digests_which_is_unsigned() -> None:
    s = load("gitea-push").with_headers(
        X_Gitea_Signature="", X_Gogs_Signature="", X_Hub_Signature_256="sha256=", X_Hub_Signature="sha1="
    )
    d = providers.read("gitea", s.headers, s.body)
    assert d.signature.scheme is Scheme.NONE and not d.signature.present


def test_github_sha1_signature_alone_is_not_accepted() -> None:
    s = load("github-push").with_headers(X_Hub_Signature_256=None)
    d = providers.read("github", s.headers, s.body)
    assert not d.signature.present  # unsigned: SHA-1 is never a fallback


def test_bitbucket_signature_with_another_algorithm_is_refused() -> None:
    s = load("bitbucket-dc-push")
    value = s.headers["X-Hub-Signature"].replace("sha256=", "sha1=")
    d = providers.read("bitbucket", {**s.headers, "X-Hub-Signature": value}, s.body)
    assert d.signature.present and not verifies(d.signature, SECRET)


def test_gitea_form_hook_signs_the_payload_field_not_the_body() -> None:
    from urllib.parse import urlencode

    s = load("gitea-push")
    body = urlencode({"payload": s.body.decode()}).encode()
    headers = {**s.headers, "Content-Type": "application/x-www-form-urlencoded"}
    d = providers.read("gitea", headers, body)
    assert verifies(d.signature, SECRET) and d.pushes[0].commit == HEAD


def test_github_ping_and_other_events() -> None:
    s = load("github-push")
    ping = providers.read("github", {**s.headers, "X-GitHub-Event": "ping"}, b'{"zen": "hi"}')
    assert ping.ping and not ping.pushes
    other = providers.read("github", {**s.headers, "X-GitHub-Event": "issues"}, b"{}")
    assert not other.ping and not other.pushes
    dc = load("bitbucket-dc-push")
    assert providers.read("bitbucket", {**dc.headers, "X-Event-Key": "diagnostics:ping"}, b"{}").ping


def test_deletions_are_marked() -> None:
    zero = "0" * 40
    gh = load("github-push")
    doc = gh.doc() | {"after": zero, "deleted": True, "head_commit": None}
    assert providers.read("github", gh.headers, gh.with_body(doc).body).pushes[0].deleted
    gl = load("gitlab-push")
    doc = gl.doc() | {"after": zero, "checkout_sha": None}
    assert providers.read("gitlab", gl.headers, gl.with_body(doc).body).pushes[0].deleted
    gitea = load("gitea-tag-push")
    doc = gitea.doc() | {"after": "0" * 64}  # SHA-256 repositories: 64 zeros
    assert providers.read("gitea", gitea.headers, gitea.with_body(doc).body).pushes[0].deleted
    # Gitea announces a branch deletion with ``delete`` only: no push at all
    s = load("gitea-push").with_headers(X_Gitea_Event="delete")
    assert providers.read("gitea", s.headers, s.body).pushes == ()
    bb = load("bitbucket-cloud-push")
    doc = bb.doc()
    change = doc["push"]["changes"][0]
    doc["push"]["changes"] = [change | {"new": None, "closed": True}]
    assert providers.read("bitbucket", bb.headers, bb.with_body(doc).body).pushes[0].deleted
    dc = load("bitbucket-dc-push")
    doc = dc.doc()
    doc["changes"][0] |= {"type": "DELETE", "toHash": zero}
    assert providers.read("bitbucket", dc.headers, dc.with_body(doc).body).pushes[0].deleted


def test_gitea_create_is_a_tag_push_for_gogs_only() -> None:
    gogs = load("gogs-tag-push")
    assert providers.read("gitea", gogs.headers, gogs.body).pushes[0].kind is RefKind.TAG
    gitea = load("gitea-tag-push").with_headers(X_Gitea_Event="create")
    assert providers.read("gitea", gitea.headers, gitea.body).pushes == ()  # its push already counts


def test_bad_bodies_are_bad_requests() -> None:
    s = load("github-push")
    for body in (b"not json", b"[1, 2]", b"\xff\xfe"):
        with pytest.raises(providers.BadDelivery):
            providers.read("github", s.headers, body)
    with pytest.raises(providers.BadDelivery):
        providers.read("gitea", {"X-GitHub-Event": "push"}, s.body)
    with pytest.raises(providers.BadDelivery):
        providers.read("svn", s.headers, s.body)
