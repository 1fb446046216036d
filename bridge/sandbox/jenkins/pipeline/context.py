"""What the engine needs from its host: run identity, parameters, credentials, and simulation settings."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.sandbox.jenkins.pipeline.library import Library

# Display names Jenkins uses in "Credentials 'x' is of type 'A' where 'B' was expected".
CREDENTIAL_TYPE_NAMES = {
    "usernamePassword": "Username with password",
    "string": "Secret text",
    "file": "Secret file",
    "sshUserPrivateKey": "SSH Username with private key",
    "kubeconfig": "Kubeconfig",
}


@dataclass(frozen=True)
class CredentialValue:
    """A resolved credential, decrypted, as a binding needs it (kind is a key of CREDENTIAL_TYPE_NAMES)."""

    id: str
    kind: str
    username: str = ""
    secret: str = ""  # password, secret text, private key or kubeconfig content
    passphrase: str = ""
    file_name: str = ""
    content: bytes = b""

    def __repr__(self) -> str:  # never print secrets
        return f"CredentialValue(id={self.id!r}, kind={self.kind!r})"


# Binding symbols of kubernetes-cd (a suspended plugin): only a Jenkins with that plugin knows them.
KUBERNETES_CD_SYMBOLS = frozenset({"kubeconfigFile", "kubeconfigContent"})

CredentialResolver = Callable[[str], CredentialValue | None]


@dataclass(frozen=True)
class SonarServer:
    """A SonarQube installation of the sonar plugin's global configuration, its token resolved."""

    name: str
    url: str
    token: str = ""

    def __repr__(self) -> str:  # never print the token
        return f"SonarServer(name={self.name!r}, url={self.url!r})"


@dataclass(frozen=True)
class ShellRule:
    """Canned result for ``sh`` scripts matching ``pattern`` (a regular expression, searched)."""

    pattern: str
    exit_code: int = 0
    output: str = ""
    seconds: float | None = None

    def matches(self, script: str) -> bool:
        return re.search(self.pattern, script) is not None


@dataclass(frozen=True)
class Simulation:
    """How simulated time passes. ``time_scale`` multiplies every simulated duration (0 = instant)."""

    time_scale: float = 1.0
    sh_seconds: float = 1.0
    scm_seconds: float = 1.0
    shell_rules: tuple[ShellRule, ...] = ()

    def shell_rule(self, script: str) -> ShellRule | None:
        return next((r for r in self.shell_rules if r.matches(script)), None)


@dataclass(frozen=True)
class NodeLease:
    """An executor a ``node`` block got: where it runs and what the step sees there."""

    name: str  # node name ("built-in" for the controller)
    display: str  # as "Running on X in WS" prints it ("Jenkins" for the built-in node)
    workspace: str
    env: dict[str, str] = field(default_factory=dict)  # NODE_NAME, NODE_LABELS (+ the process env)
    files: dict[str, str] = field(default_factory=dict)  # files a `cat` there can read
    release: Callable[[], None] = lambda: None
    notes: tuple[str, ...] = ()  # lines printed before "Running on" (pod provisioning)


@dataclass(frozen=True)
class Downstream:
    """A build scheduled by the ``build`` step: ``state()`` is (number or None, result or None)."""

    display: str  # full display name, e.g. "team-b » deploy"
    state: Callable[[], tuple[int | None, str | None]]


def _default_node(label: str | None, wake: Callable[[], None]) -> NodeLease | str:
    return NodeLease("built-in", "Jenkins", "/var/jenkins_home/workspace", {"NODE_NAME": "built-in"})


def _no_trigger(job: str, parameters: list[tuple[str, object]], wake: Callable[[], None]) -> Downstream:
    from bridge.sandbox.jenkins.pipeline.errors import StepFailure

    raise StepFailure(f"No item named {job} found")


@dataclass(frozen=True)
class RunContext:
    """Identity of the run being executed; ``credentials`` resolves ids through the job's folder chain."""

    job_full_name: str
    build_number: int
    build_url: str
    jenkins_url: str
    parameters: dict[str, object] = field(default_factory=dict)  # the run's ParametersAction
    parameter_defaults: dict[str, object] = field(default_factory=dict)  # the job's definitions' defaults
    credentials: CredentialResolver = lambda _id: None
    previous_result: str | None = None
    branch_name: str | None = None
    causes: tuple[str, ...] = ()  # cause class simple names, for `when { triggeredBy … }`
    user_id: str | None = None
    # The host's executors: a lease, or the queue's `why` while no executor can take the block.
    allocate: Callable[[str | None, Callable[[], None]], NodeLease | str] = _default_node
    # The `build` step (run as the build's identity); raises StepFailure as Jenkins fails it.
    trigger: Callable[[str, list[tuple[str, object]], Callable[[], None]], Downstream] = _no_trigger
    # Symbols of optional plugins the controller has (kubernetes-cd's bindings), and the implicitly
    # loaded global libraries (JCasC `unclassified.globalLibraries`), or the error loading them failed with.
    plugin_symbols: frozenset[str] = KUBERNETES_CD_SYMBOLS
    libraries: tuple[Library, ...] = ()
    library_error: str | None = None
    # The SonarQube installations (``withSonarQubeEnv``), token resolved; ``sonar_scanner``: whether a
    # scanner on this controller's agents reaches the server (else no report is produced).
    sonar: Callable[[str], SonarServer | None] = lambda _name: None
    sonar_installations: int = 0
    sonar_scanner: bool = False
