"""``SandboxJenkins``: one emulated Jenkins on a loopback port, started and stopped from Python.

The listener can be closed and reopened on the same port while the state stays in memory
(``outage()`` / ``recover()``), or the whole server restarted (``restart()``: sessions and crumbs
are forgotten and ``X-Jenkins-Session`` changes, as on a real restart; with ``state_dir`` the state
is also reloaded from disk).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from bridge.sandbox.jenkins import acl, buildpersist, persistence, root
from bridge.sandbox.jenkins.app import JenkinsApp
from bridge.sandbox.jenkins.casc import CascConfig
from bridge.sandbox.jenkins.casc import load as casc_load
from bridge.sandbox.jenkins.cascsonar import SonarInstallation
from bridge.sandbox.jenkins.faults import Faults
from bridge.sandbox.jenkins.httpserver import WSGIServer
from bridge.sandbox.jenkins.model import SandboxState, User

log = logging.getLogger(__name__)

DEFAULT_VERSION = "2.479.3"
DEFAULT_SONAR = (SonarInstallation("sonar", "http://sonarqube.sandbox:9000"),)
STATE_SECTIONS = (
    buildpersist.SECTION,
    root.REALM_SECTION,
)  # imported here so the section exists before the first load


@dataclass(frozen=True)
class UserSpec:
    """A user to create at start. Non-admins get read/build/cancel unless ``permissions`` says more."""

    id: str
    password: str | None = None
    tokens: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    is_admin: bool = False
    permissions: frozenset[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class SandboxJenkins:
    """A running sandbox Jenkins. Use as a context manager, or ``start()`` / ``stop()``."""

    def __init__(
        self,
        *,
        admin_user: str = "admin",
        admin_password: str | None = None,
        admin_token: str | None = None,
        users: Iterable[UserSpec] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        url_prefix: str = "",
        state_dir: str | Path | None = None,
        version: str = DEFAULT_VERSION,
        seed: int = 0,
        system_properties: Mapping[str, str] | None = None,
        casc: str | Path | Sequence[str | Path] | None = None,
        casc_environ: Mapping[str, str] | None = None,
        secrets_dir: str | Path | None = None,
        user_database: bool = True,
        mounts: Mapping[str, str | Path] | None = None,
        kubernetes_cd: bool | None = None,
        sonar_installations: Sequence[SonarInstallation] = (),
        sonar_scanner: bool = False,
    ) -> None:
        self.admin_user = admin_user
        self.admin_password = admin_password or secrets.token_hex(8)
        self.admin_token = admin_token or "11" + secrets.token_hex(16)
        self.host = host
        self.port = port
        self.url_prefix = "/" + url_prefix.strip("/") if url_prefix.strip("/") else ""
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.version = version
        self.faults = Faults(seed)
        self.services: dict[str, Any] = {
            "system_properties": dict(system_properties or {}),  # -Dname=value
            "user_database": user_database,  # False: a realm without createAccountByAdmin (LDAP...)
            # Controller paths (as in the image) -> host directories, e.g. a shared library's folder.
            "mounts": dict(mounts or {}),
            # kubernetes-cd (suspended; its kubeconfigFile/kubeconfigContent bindings): by default only
            # without a JCasC file, since the shipped image (jenkins-config/plugins.txt) lacks it.
            "kubernetes_cd": casc is None if kubernetes_cd is None else kubernetes_cd,
            # SonarQube installations besides JCasC's, and whether scanners reach them (they submit the
            # analysis and the build records it; otherwise no report is written: pipeline/sonar.py).
            # (permissive defaults without JCasC: an installation named "sonar", as the seed expects)
            "sonar_installations": tuple(sonar_installations) or (() if casc else DEFAULT_SONAR),
            "sonar_scanner": sonar_scanner,
        }
        # JCasC: the controller's environment (what builds on the built-in node inherit) and secrets dir
        self.casc: CascConfig | None = None
        if casc is not None:
            environ = dict(casc_environ if casc_environ is not None else {})
            self.casc = casc_load(casc, environ=environ, secrets_dir=secrets_dir)
            self.services["controller_env"] = environ
        self._user_specs = [
            UserSpec(admin_user, self.admin_password, (self.admin_token,), is_admin=True),
            *users,
        ]
        self.state = self._fresh_state()
        self.app: JenkinsApp | None = None
        self._server: WSGIServer | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> SandboxJenkins:
        if self.app is None:
            self.app = JenkinsApp(
                self.state,
                context_path=self.url_prefix,
                version=self.version,
                faults=self.faults,
                services=self.services,
                on_change=self._persist if self.state_dir else None,
            )
            self.services["state"] = self.state  # read by buildpersist.SECTION's on_start/on_stop
            if self.state_dir:
                self.services["persist"] = self._persist
            for module in self.app.modules:
                if hasattr(module, "on_start"):
                    module.on_start(self.services)
        self._listen()
        return self

    def stop(self) -> None:
        self._close_listener()
        if self.app is not None:
            for module in self.app.modules:
                if hasattr(module, "on_stop"):
                    module.on_stop(self.services)
            if self.state_dir:
                self._persist()
            self.app = None

    def restart(self) -> None:
        """Stop and start on the same port; state kept (reloaded from ``state_dir`` when set)."""
        self.stop()
        if self.state_dir:
            self.state = self._fresh_state()
        self.start()

    def outage(self) -> None:
        """Close the listener: connections are refused until ``recover()``; state untouched."""
        self._close_listener()

    def recover(self) -> None:
        self._listen()

    def __enter__(self) -> SandboxJenkins:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL with the context path and a trailing slash, e.g. ``http://127.0.0.1:4711/jenkins/``."""
        return f"http://{self.host}:{self.port}{self.url_prefix}/"

    @property
    def unhandled_errors(self) -> int:
        """Requests that hit an emulator bug (answered 500 "Oops"); tests assert it stays 0."""
        return self.app.unhandled_errors if self.app else 0

    # --- internals ------------------------------------------------------------------------------

    def _fresh_state(self) -> SandboxState:
        state = SandboxState()
        if self.state_dir is not None:
            persistence.load(state, self.state_dir)
        if self.casc is not None:
            self._apply_casc(state, self.casc)
            return state
        for spec in self._user_specs:
            user = User(
                id=spec.id,
                password=spec.password,
                tokens=list(spec.tokens),
                groups=tuple(spec.groups),
                is_admin=spec.is_admin,
            )
            if spec.permissions is not None:
                user.permissions = spec.permissions
            state.users[spec.id] = user
        return state

    def _apply_casc(self, state: SandboxState, config: CascConfig) -> None:
        """Users from the local realm (passwords), the authorisation strategy, executors and agents.

        The ``UserSpec`` users are merged in: a user the realm already has gets the spec's API tokens and
        groups (what the image's start-up script does for the bridge's token); others are created."""
        state.extensions["casc"] = config
        state.extensions[acl.STRATEGY_KEY] = config.strategy
        for cu in config.users:
            state.users[cu.id] = User(id=cu.id, password=cu.password, permissions=frozenset())
        for spec in self._user_specs:
            user = state.user_by_id(spec.id)
            if user is None:
                user = User(id=spec.id, password=spec.password, permissions=frozenset())
                state.users[spec.id] = user
            user.tokens.extend(t for t in spec.tokens if t not in user.tokens)
            user.groups = tuple(spec.groups)
        for user in state.users.values():
            user.permissions = frozenset()  # the matrix decides
            user.is_admin = acl.has_permission(
                state, acl.identity_of_user(state, user.id), state.root, acl.ADMINISTER
            )

    def fire_trigger(self, job_full_name: str, kind: str = "timer") -> int:
        """A cron (``timer``) or SCM-polling (``scm``) trigger fires: queue a build with that cause,
        as ``TimerTrigger``/``SCMTrigger`` do (no user). Returns the queue item id."""
        from bridge.sandbox.jenkins.buildstate import Cause, service
        from bridge.sandbox.jenkins.model import Job

        causes = {
            "timer": Cause("hudson.triggers.TimerTrigger$TimerTriggerCause", "Started by timer"),
            "scm": Cause("hudson.triggers.SCMTrigger$SCMTriggerCause", "Started by an SCM change"),
        }
        with self.state.lock:
            job = self.state.find_item(job_full_name)
            if not isinstance(job, Job):
                raise KeyError(job_full_name)
            item, _ = service(self.state, self.services).schedule(job, causes=[causes[kind]], parameters=[])
            return item.id

    def _listen(self) -> None:
        if self._server is not None:
            return
        assert self.app is not None
        self._server = WSGIServer((self.host, self.port), self.app)
        self.port = self._server.server_port
        self._server.serve_in_thread("sandbox-jenkins")

    def _close_listener(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self._server = None

    def _persist(self) -> None:
        assert self.state_dir is not None
        persistence.save(self.state, self.state_dir)
