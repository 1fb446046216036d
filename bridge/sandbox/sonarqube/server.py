"""``SandboxSonarQube``: the emulated SonarQube on a loopback port, started and stopped from Python.

``outage()`` closes the listener (connections refused) and ``recover()`` reopens it on the same port with
the state kept, like the sandbox Jenkins.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from types import TracebackType

from bridge.sandbox.jenkins.httpserver import WSGIServer
from bridge.sandbox.sonarqube.app import SonarApp
from bridge.sandbox.sonarqube.state import Account, Profile, SonarState


class SandboxSonarQube:
    """A running sandbox SonarQube. ``admin_token`` browses everything; ``tokens`` maps more tokens to
    accounts (``Account(login, browse=False)``: an analysis-only token that gets 403 on reads)."""

    def __init__(
        self,
        *,
        admin_token: str | None = None,
        tokens: Mapping[str, Account] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        processing_seconds: float = 0.2,
    ) -> None:
        self.admin_token = admin_token or "squ_" + secrets.token_hex(20)
        self.host, self.port = host, port
        self.state = SonarState(seed=seed, processing_seconds=processing_seconds)
        self.state.tokens[self.admin_token] = Account("admin")
        self.state.tokens.update(tokens or {})
        self.app = SonarApp(self.state)
        self._server: WSGIServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def profile(self, project_key: str, profile: Profile) -> None:
        """What the next analyses of ``project_key`` find."""
        with self.state.lock:
            self.state.profiles[project_key] = profile

    def seen(self, prefix: str = "") -> list[str]:
        """Requests received so far ("METHOD /path"), those whose path starts with ``prefix``."""
        return [r for r in list(self.app.requests) if r.split(" ", 1)[1].startswith(prefix)]

    def start(self) -> SandboxSonarQube:
        self._listen()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        self._server = None

    def outage(self) -> None:
        self.stop()

    def recover(self) -> None:
        self._listen()

    def __enter__(self) -> SandboxSonarQube:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = WSGIServer((self.host, self.port), self.app)
        self.port = self._server.server_port
        self._server.serve_in_thread("sandbox-sonarqube")
