"""Faults switched at run time, restarts, persistence and instance independence."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.credentials import resolve_credential
from tests.sandbox.wire import FOLDER_MODE, XML, pipeline_xml, python_jenkins, sample, token_session


def statuses(j: SandboxJenkins, path: str, n: int) -> list[int]:
    s = token_session(j)
    return [s.get(j.url + path).status_code for _ in range(n)]


def test_error_rate_per_path_is_seeded_and_deterministic(sandbox_jenkins_factory) -> None:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(2):
        j = sandbox_jenkins_factory(seed=42)
        j.faults.add_error(r"^api/json", rate=0.5, status=503)
        runs.append(statuses(j, "api/json", 40))
        assert set(statuses(j, "whoAmI/api/json", 5)) == {200}  # other paths untouched
    assert runs[0] == runs[1]
    assert 5 < runs[0].count(503) < 35 and set(runs[0]) == {200, 503}


def test_errors_and_latency_switch_on_and_off(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    j.faults.add_error(r"crumbIssuer", status=500)
    assert statuses(j, "crumbIssuer/api/json", 3) == [500, 500, 500]
    j.faults.clear()
    assert statuses(j, "crumbIssuer/api/json", 1) == [200]
    j.faults.latency = 0.2
    start = time.monotonic()
    statuses(j, "api/json", 2)
    assert time.monotonic() - start >= 0.4
    j.faults.latency = 0
    with pytest.raises(ValueError):
        j.faults.add_error("x", rate=2)


def test_outage_refuses_connections_and_recovery_keeps_state(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    python_jenkins(j).create_folder("kept")
    session = token_session(j)
    assert session.get(j.url + "api/json").status_code == 200  # a kept-alive connection
    j.outage()
    with pytest.raises(requests.ConnectionError):
        requests.get(j.url + "api/json", timeout=2)
    with pytest.raises(requests.ConnectionError):
        session.get(j.url + "api/json", timeout=2)
    j.recover()
    assert python_jenkins(j).job_exists("kept")
    assert session.get(j.url + "api/json").status_code == 200


def test_restart_keeps_in_memory_state(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    python_jenkins(j).create_folder("kept")
    port = j.port
    j.restart()
    assert j.port == port and python_jenkins(j).job_exists("kept")


def test_state_dir_persists_items_and_credentials_across_processes(
    sandbox_jenkins_factory, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    first = sandbox_jenkins_factory(state_dir=tmp_path)
    s = token_session(first)
    s.post(first.url + "createItem", data={"name": "f", "mode": FOLDER_MODE})
    s.post(
        first.url + "job/f/createItem",
        params={"name": "p"},
        data=pipeline_xml("echo 'persisted'"),
        headers=XML,
    )
    s.post(first.url + "job/f/job/p/disable")
    base = "job/f/credentials/store/folder/domain/_/"
    s.post(
        first.url + base + "createCredentials",
        data=sample("credential-createCredentials-UsernamePassword.xml"),
        headers=XML,
    )
    s.post(
        first.url + "credentials/store/system/domain/_/createCredentials",
        data=sample("credential-FileCredentials.xml"),
        headers=XML,
    )
    first.stop()
    assert "secret123" not in "".join(p.read_text() for p in tmp_path.iterdir())

    second = sandbox_jenkins_factory(state_dir=tmp_path)
    s2 = token_session(second)
    info = s2.get(second.url + "job/f/job/p/api/json").json()
    assert info["color"] == "disabled"
    assert "echo 'persisted'" in s2.get(second.url + "job/f/job/p/config.xml").text
    with second.state.lock:
        folder = second.state.find_item("f")
        assert folder is not None
        assert resolve_credential(folder, "deploy-key").values["password"] == "secret123"  # type: ignore[union-attr]
        assert resolve_credential(folder, "secret-file") is not None


def test_instances_are_independent(sandbox_jenkins_factory) -> None:  # type: ignore[no-untyped-def]
    a = sandbox_jenkins_factory()
    b = sandbox_jenkins_factory(url_prefix="/jenkins", admin_token="another-token")
    python_jenkins(a).create_folder("only-in-a")
    assert a.port != b.port
    assert not python_jenkins(b).job_exists("only-in-a")
    a.faults.add_error(".*")
    assert statuses(b, "api/json", 1) == [200]
    assert requests.get(b.url + "api/json", auth=(a.admin_user, a.admin_token)).status_code == 401
