"""Attribution toward Jenkins, tested at the adapter against the sandbox Jenkins over HTTP.

Users: ``alice`` (developer), ``bob`` (the input's submitter), ``carol`` (in group ``ops``), each with a
password only: in user-token mode the bridge's service account (``admin``) must mint their tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from cryptography.fernet import Fernet

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.configxml import render_pipeline
from bridge.adapters.jenkins.runs import JenkinsRuns
from bridge.adapters.jenkins.usertokens import UserTokens
from bridge.domain.model import Parameter, ParameterType, Pipeline
from bridge.identity.attribution import Actor
from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine
from bridge.store.jenkins_tokens import JenkinsTokenStore
from bridge.store.migrate import upgrade
from tests.waiting import wait_until

ADMIN_CAN_GENERATE = {"jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens": "true"}
USERS = [
    UserSpec("alice", password="alice-pw"),
    UserSpec("bob", password="bob-pw"),
    UserSpec("carol", password="carol-pw", groups=("ops",)),
]
KEY = b"k" * 32
#: An input only bob (or group ``deployers``) may give; ``TARGET`` is defined by the bridge's job config.
SCRIPT = """
pipeline {
  agent any
  stages {
    stage('build') { steps { echo "target=${params.TARGET}" } }
    stage('ship') {
      steps { input(id: 'ship', message: 'Ship it?', ok: 'Ship', submitter: 'bob, deployers') }
    }
  }
}
"""
T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 10.0) -> T:
    return wait_until(probe, timeout=timeout)


def actor(user: str, *groups: str) -> Actor:
    return Actor(user, frozenset(groups), request_id=f"req-{user}")


def admin_session(j: SandboxJenkins) -> requests.Session:
    s = requests.Session()
    s.auth = (j.admin_user, j.admin_token)
    return s


def service_adapter(j: SandboxJenkins) -> JenkinsAdapter:
    return JenkinsAdapter.connect(j.url, user=j.admin_user, token=j.admin_token, retries=0)


def create_pipeline(
    j: SandboxJenkins, *, requested_by: bool, name: str = "app", script: str = SCRIPT
) -> None:
    target = Parameter(name="TARGET", type=ParameterType.STRING, default="dev")
    pipeline = Pipeline(project="demo", name=name, jenkinsfile=script, parameters=(target,))
    rendered = render_pipeline(pipeline, key=KEY, requested_by=requested_by)
    service_adapter(j).create_item(name, rendered.xml)


def build_json(j: SandboxJenkins, number: int, job: str = "app") -> dict[str, Any]:
    return admin_session(j).get(f"{j.url}job/{job}/{number}/api/json", params={"depth": "1"}).json()  # type: ignore[no-any-return]


def console(j: SandboxJenkins, number: int, job: str = "app") -> str:
    return admin_session(j).get(f"{j.url}job/{job}/{number}/consoleText").text


def waiting_at_input(j: SandboxJenkins, number: int, job: str = "app") -> list[dict[str, Any]]:
    url = f"{j.url}job/{job}/{number}/wfapi/pendingInputActions"
    return wait_for(lambda: (r := admin_session(j).get(url)).ok and r.json())


def finished(j: SandboxJenkins, number: int, job: str = "app") -> dict[str, Any]:
    return wait_for(lambda: (b := build_json(j, number, job)).get("result") and b)


def actions(build: dict[str, Any], cls: str) -> list[dict[str, Any]]:
    return [a for a in build["actions"] if a and a.get("_class", "").endswith(cls)]


@pytest.fixture
def start_jenkins(sandbox_jenkins_factory: Callable[..., SandboxJenkins]) -> Callable[..., SandboxJenkins]:
    def start(**kwargs: Any) -> SandboxJenkins:
        j = sandbox_jenkins_factory(users=USERS, **kwargs)
        j.services[SIMULATION] = Simulation(time_scale=0.0)
        return j

    return start


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[JenkinsTokenStore]:
    engine = make_engine(f"sqlite:///{tmp_path / 'bridge.db'}")
    upgrade(engine)
    yield JenkinsTokenStore(engine, SecretBox(Fernet.generate_key().decode()))
    engine.dispose()


def user_token_runs(j: SandboxJenkins, vault: JenkinsTokenStore) -> JenkinsRuns:
    service = service_adapter(j)

    def connect(user: str, token: str) -> JenkinsAdapter:
        return JenkinsAdapter.connect(j.url, user=user, token=token, retries=0)

    return JenkinsRuns(service, mode="user-token", tokens=UserTokens(service, vault, connect))
