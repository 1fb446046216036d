"""What a user declares: workspaces, DevOps projects, credentials and pipelines.

Frozen dataclasses, no I/O. The store persists them, the API shapes them, the reconciler turns
them into Jenkins folders, credentials and jobs. Secret material lives only in ``Credential.data``
and is never rendered by ``__repr__`` (see ``SecretData``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bridge.domain.approvals import ApprovalRules
from bridge.domain.targets import DeployTarget


class CredentialType(enum.StrEnum):
    """Credential kinds; values and data keys match KubeSphere's credential Secrets."""

    BASIC_AUTH = "basic-auth"  # username, password
    SECRET_TEXT = "secret-text"  # secret
    SSH_AUTH = "ssh-auth"  # username, private_key, passphrase
    KUBECONFIG = "kubeconfig"  # content
    SECRET_FILE = "secret-file"  # filename, content


#: Data keys per credential type: (required, optional). ``filename`` is the only non-secret key.
CREDENTIAL_KEYS: Mapping[CredentialType, tuple[frozenset[str], frozenset[str]]] = {
    CredentialType.BASIC_AUTH: (frozenset({"username", "password"}), frozenset()),
    CredentialType.SECRET_TEXT: (frozenset({"secret"}), frozenset()),
    CredentialType.SSH_AUTH: (frozenset({"username", "private_key"}), frozenset({"passphrase"})),
    CredentialType.KUBECONFIG: (frozenset({"content"}), frozenset()),
    CredentialType.SECRET_FILE: (frozenset({"filename", "content"}), frozenset()),
}

#: Keys of credential data that are not secret and may be shown back to users.
PUBLIC_CREDENTIAL_KEYS = frozenset({"username", "filename"})


class SecretData(dict[str, str]):
    """A dict of secret strings whose repr never shows the values."""

    def __repr__(self) -> str:
        return "SecretData(" + ", ".join(f"{k}=***" for k in sorted(self)) + ")"

    __str__ = __repr__


class SyncStatus(enum.StrEnum):
    PENDING = "pending"
    SYNCED = "synced"
    ERROR = "error"


@dataclass(frozen=True)
class SyncState:
    """Where an object stands against Jenkins; ``message`` is for humans and never holds secrets."""

    status: SyncStatus = SyncStatus.PENDING
    synced_at: datetime | None = None
    message: str | None = None


@dataclass(frozen=True)
class Workspace:
    name: str
    description: str = ""
    clusters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    """A DevOps project; becomes one Jenkins folder named after it."""

    name: str
    workspace: str
    cluster: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Credential:
    """A credential of one project; becomes a credential in the project's folder store."""

    project: str
    id: str
    type: CredentialType
    data: SecretData = field(default_factory=SecretData, repr=False, compare=True)
    description: str = ""


class ParameterType(enum.StrEnum):
    STRING = "string"
    TEXT = "text"
    CHOICE = "choice"
    BOOLEAN = "boolean"
    PASSWORD = "password"


@dataclass(frozen=True, repr=False)
class Parameter:
    """A build parameter. A ``password`` parameter's default is secret: write-only in the API, sealed
    at rest, and masked in ``repr``."""

    name: str
    type: ParameterType = ParameterType.STRING
    default: str | bool | None = None
    choices: tuple[str, ...] = ()
    description: str = ""

    @property
    def secret(self) -> bool:
        return self.type is ParameterType.PASSWORD

    def __repr__(self) -> str:
        default = "***" if self.secret and self.default else repr(self.default)
        return (
            f"Parameter(name={self.name!r}, type={self.type.value!r}, default={default}, "
            f"choices={self.choices!r}, description={self.description!r})"
        )


@dataclass(frozen=True)
class ScmSource:
    url: str
    branch: str = "main"
    credential: str | None = None
    script_path: str = "Jenkinsfile"


@dataclass(frozen=True)
class Discarder:
    days: int | None = None
    builds: int | None = None


@dataclass(frozen=True)
class RefFilter:
    """Glob patterns (``fnmatch``: ``*`` also crosses ``/``) a branch or tag name must match (any of
    ``include``) and must not match (none of ``exclude``)."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, repr=False)
class WebhookTrigger:
    """Start the pipeline when its repository is pushed to (``bridge.webhooks``).

    ``repo_url`` defaults to the SCM URL; ``branches`` (default every branch) and ``tags`` (default
    none) filter the refs; the branch or tag name goes into the parameter ``branch_parameter``, with
    ``parameters`` fixed besides. ``secret`` verifies deliveries (sealed at rest, write-only in the
    API); ``allow_unsigned`` accepts deliveries without any signature, which anyone can forge.
    """

    repo_url: str | None = None
    branches: RefFilter = field(default_factory=lambda: RefFilter(include=("*",)))
    tags: RefFilter = field(default_factory=RefFilter)
    branch_parameter: str = "BRANCH_NAME"
    parameters: tuple[tuple[str, str], ...] = ()
    secret: str | None = None
    allow_unsigned: bool = False
    #: Also list the repository's refs periodically and run commits no delivery announced (trigger ``poll``).
    poll: bool = False

    def __repr__(self) -> str:
        return (
            f"WebhookTrigger(repo_url={self.repo_url!r}, branches={self.branches!r}, tags={self.tags!r}, "
            f"branch_parameter={self.branch_parameter!r}, secret={'***' if self.secret else None}, "
            f"allow_unsigned={self.allow_unsigned!r})"
        )


@dataclass(frozen=True)
class Pipeline:
    """A pipeline of one project; becomes a WorkflowJob in the project's folder.

    Exactly one of ``jenkinsfile`` (inline, always run in the Groovy sandbox) and ``scm`` is set.
    """

    project: str
    name: str
    description: str = ""
    jenkinsfile: str | None = None
    scm: ScmSource | None = None
    parameters: tuple[Parameter, ...] = ()
    discarder: Discarder | None = None
    concurrent: bool = True
    cron: str | None = None
    webhook: WebhookTrigger | None = None

    @property
    def webhook_repo(self) -> str | None:
        """The repository whose pushes start this pipeline (the trigger's, else the SCM URL)."""
        if self.webhook is None:
            return None
        return self.webhook.repo_url or (self.scm.url if self.scm else None)

    #: Where it deploys (``bridge.domain.targets``); checked by the preflight, never by Jenkins.
    targets: tuple[DeployTarget, ...] = ()
    #: Who may approve its input steps beyond the submitter rule (``bridge.domain.approvals``).
    approvals: ApprovalRules = field(default_factory=ApprovalRules)
