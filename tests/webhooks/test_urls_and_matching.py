"""Repository URL keys and the trigger's filters."""

from __future__ import annotations

import pytest

from bridge.domain.model import RefFilter, WebhookTrigger
from bridge.webhooks.events import Push, RefKind
from bridge.webhooks.matching import decide
from bridge.webhooks.urls import repo_key

SAME = [
    "https://github.com/acme/widget.git",
    "https://github.com/acme/widget",
    "https://GitHub.COM/acme/widget/",
    "http://github.com/acme/widget.git/",
    "git@github.com:acme/widget.git",
    "github.com:acme/widget",
    "ssh://git@github.com/acme/widget.git",
    "ssh://git@github.com:22/acme/widget.git",
    "ssh://git@github.com:7999/acme/widget.git",
    "https://user:token@github.com/acme/widget.git",
    "https://github.com:443/acme/widget",
    "git://github.com/acme/widget.git",
]


@pytest.mark.parametrize("url", SAME)
def test_url_forms_of_one_repository_share_a_key(url: str) -> None:
    assert repo_key(url) == "github.com/acme/widget"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/acme/Widget.git",  # path case is significant
        "https://github.com/acme/widget-2",
        "https://gitlab.com/acme/widget",
        "https://github.com:8443/acme/widget",  # another service
        "https://github.com/other/acme/widget",
    ],
)
def test_other_repositories_do_not(url: str) -> None:
    assert repo_key(url) != "github.com/acme/widget"


@pytest.mark.parametrize("url", ["", "   ", "not a url", "https://", "https://host/", "/local/path"])
def test_non_repositories_have_no_key(url: str) -> None:
    assert repo_key(url) == ""


def _push(name: str, kind: RefKind = RefKind.BRANCH, deleted: bool = False) -> Push:
    prefix = "refs/heads/" if kind is RefKind.BRANCH else "refs/tags/"
    return Push(prefix + name, kind, name, "c" * 40, deleted)


def test_default_trigger_runs_every_branch_and_no_tag() -> None:
    t = WebhookTrigger(secret="s")
    ok = decide(t, _push("feature/x"))
    assert ok.start and dict(ok.parameters) == {"BRANCH_NAME": "feature/x"}
    tag = decide(t, _push("v1", RefKind.TAG))
    assert not tag.start and "tag v1" in tag.reason


def test_filters_include_exclude_and_fixed_parameters() -> None:
    t = WebhookTrigger(
        branches=RefFilter(include=("main", "release/*"), exclude=("release/old-*",)),
        tags=RefFilter(include=("v*",)),
        branch_parameter="REF",
        parameters=(("ENV", "prod"), ("REF", "overridden")),
        secret="s",
    )
    assert decide(t, _push("main")).start
    assert decide(t, _push("release/1.0")).start
    assert not decide(t, _push("release/old-1")).start
    assert not decide(t, _push("feature")).start
    tag = decide(t, _push("v2.0", RefKind.TAG))
    assert tag.start and dict(tag.parameters) == {"ENV": "prod", "REF": "v2.0"}
    assert not decide(t, _push("main", deleted=True)).start


def test_no_branch_parameter() -> None:
    t = WebhookTrigger(branch_parameter="", secret="s")
    assert decide(t, _push("main")).parameters == ()
