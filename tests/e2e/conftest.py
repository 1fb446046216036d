"""The whole stack in one process: the real API (``create_app`` over a SQLite store, admin token), the
real worker built by the composition root reading that store, the sandbox Jenkins over HTTP, and
python-jenkins to check what Jenkins holds.

``settings`` overrides the shared fixture (tests/fixtures/app.py) so ``container``, ``app`` and ``api``
point at the sandbox; the audit and secret-leak checks of the shared fixtures apply unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jenkins as pyjenkins
import pytest
from cryptography.fernet import Fernet

from bridge.bootstrap import Container, build_worker
from bridge.errors import Conflict
from bridge.reconcile.leader import LeaderLock
from bridge.reconcile.runner import Worker
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects"


def serve_env(tmp_path: Path, sandbox: SandboxJenkins, token: str, **extra: str) -> dict[str, str]:
    """The environment of a ``jenkins-bridge`` process started by a test: none of this process's
    ``BRIDGE_*`` variables, the sandbox as Jenkins, a fresh store in ``tmp_path``, ``token`` as the
    admin token, then ``extra``."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        **jenkins_env(sandbox),
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_ADMIN_TOKEN": token,
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        **extra,
    }


def scheduler_lock_free(data_dir: Path) -> bool:
    """Whether no process holds the scheduler lock of the SQLite store in ``data_dir``."""
    lock = LeaderLock(database_url=f"sqlite:///{data_dir / 'bridge.db'}", data_dir=data_dir)
    try:
        lock.acquire(wait=False)
    except Conflict:
        return False
    lock.release()
    return True


def jenkins_env(sandbox: SandboxJenkins) -> dict[str, str]:
    return {
        "BRIDGE_JENKINS_URL": sandbox.url,
        "BRIDGE_JENKINS_USER": sandbox.admin_user,
        "BRIDGE_JENKINS_TOKEN": sandbox.admin_token,
        "BRIDGE_JENKINS_RETRIES": "0",  # an outage is noticed at once, not after back-off
        "BRIDGE_JENKINS_TIMEOUT": "5",
    }


@pytest.fixture
def settings(tmp_path: Path, sandbox_jenkins: SandboxJenkins) -> Settings:
    register_secret(sandbox_jenkins.admin_token, sandbox_jenkins.admin_password)
    return make_settings(tmp_path, **jenkins_env(sandbox_jenkins))


@dataclass
class Stack:
    api: ApiClient
    container: Container
    settings: Settings
    sandbox: SandboxJenkins
    jenkins: Any  # python-jenkins client
    worker: Worker

    def restart_worker(self) -> None:
        """A new worker process: nothing kept from the old one but what the store holds."""
        self.worker = build_worker(self.settings, desired=self.container.desired)

    def sync(self, path: str) -> dict[str, Any]:
        response = self.api.get(P + path)
        assert response.status_code == 200, response.json
        state: dict[str, Any] = response.json["sync"]
        return state

    def sandbox_credential(self, folder: str, cid: str) -> dict[str, str]:
        """The values Jenkins stores for a credential (in clear: what a build would get)."""
        with self.sandbox.state.lock:
            item = self.sandbox.state.find_item(folder)
            return dict(item.store.credentials[cid].values)  # type: ignore[union-attr]


@pytest.fixture
def stack(api: ApiClient, container: Container, settings: Settings, sandbox_jenkins: SandboxJenkins) -> Stack:
    client = pyjenkins.Jenkins(
        sandbox_jenkins.url, username=sandbox_jenkins.admin_user, password=sandbox_jenkins.admin_token
    )
    worker = build_worker(settings, desired=container.desired, jenkins=container.jenkins)
    return Stack(api, container, settings, sandbox_jenkins, client, worker)
