"""What every provider's delivery is read into."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Provider(enum.StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"
    GITEA = "gitea"
    FORGEJO = "forgejo"
    GOGS = "gogs"
    BITBUCKET_CLOUD = "bitbucket-cloud"
    BITBUCKET_DC = "bitbucket-dc"


class RefKind(enum.StrEnum):
    BRANCH = "branch"
    TAG = "tag"


class Scheme(enum.StrEnum):
    """How a delivery proves it knows the secret."""

    HMAC_SHA256 = "hmac-sha256"  # hex HMAC-SHA256 of the signed bytes
    TOKEN = "token"  # the secret itself (GitLab's X-Gitlab-Token)
    NONE = "none"  # no signature at all


@dataclass(frozen=True)
class Signature:
    scheme: Scheme
    #: The hex digest or token as sent (prefix removed); empty for ``NONE``.
    value: str = field(default="", repr=False)
    #: The bytes the HMAC covers: the raw body, or the form's ``payload`` field for Gitea/Gogs.
    signed: bytes = field(default=b"", repr=False)

    @property
    def present(self) -> bool:
        return self.scheme is not Scheme.NONE


@dataclass(frozen=True)
class Push:
    """One ref a push changed, normalised across providers."""

    ref: str  # full ref: refs/heads/main, refs/tags/v1
    kind: RefKind
    name: str  # branch or tag name
    commit: str  # the commit to build (tags peeled where the provider says)
    deleted: bool = False


@dataclass(frozen=True)
class Delivery:
    provider: Provider
    #: The provider's delivery id (empty when it sends none).
    id: str
    #: The provider's event name as sent (``push``, ``Tag Push Hook``, ``repo:refs_changed``, …).
    event: str
    signature: Signature
    #: ``True`` for ping / test events: answered, nothing triggered.
    ping: bool = False
    #: Repository URLs the payload names (clone HTTP, clone SSH, web); the first is shown.
    repo_urls: tuple[str, ...] = ()
    pushes: tuple[Push, ...] = ()
    pusher: str = ""

    @property
    def repo_url(self) -> str:
        return self.repo_urls[0] if self.repo_urls else ""


def is_zero(sha: str | None) -> bool:
    """A zero object id (40 or 64 ``0``): the ref was created (before) or deleted (after)."""
    return not sha or set(sha) == {"0"}
