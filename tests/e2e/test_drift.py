"""Drift through the full stack: each managed kind deleted or edited in Jenkins is repaired by the next
pass, and ownership survives a worker restart (the ledger is in the store, the marker in Jenkins)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.declare import declare

FOREIGN_JOB = "<flow-definition><description>edited by hand</description></flow-definition>"


def _provisioned(stack: Stack) -> dict[str, str]:
    declare(stack.api)
    stack.worker.poll()
    j = stack.jenkins
    return {
        "folder": j.get_job_config("demo"),
        "job": j.get_job_config("demo/build"),
        "credential": j.get_credential_config("token", "demo"),
    }


def _strip_description(config: str, text: str) -> str:
    root = SafeET.fromstring(config.encode())
    node = root.find("description")
    assert node is not None
    node.text = text
    return ET.tostring(root, encoding="unicode")


def _damage(stack: Stack, what: str) -> None:
    j = stack.jenkins
    if what == "delete folder":
        j.delete_job("demo")
    elif what == "delete job":
        j.delete_job("demo/build")
    elif what == "edit job":
        j.reconfig_job("demo/build", FOREIGN_JOB)
    elif what == "edit job keeping the marker":
        config = j.get_job_config("demo/build")
        j.reconfig_job("demo/build", config.replace("H 2 * * *", "H 5 * * *"))
    elif what == "delete credential":
        j.delete_credential("token", "demo")
    elif what == "edit credential":
        edited = _strip_description(j.get_credential_config("token", "demo"), "rewritten by hand")
        j.reconfig_credential("demo", edited)
    elif what == "edit folder":
        j.reconfig_job("demo", _strip_description(j.get_job_config("demo"), "renamed by hand"))


@pytest.mark.parametrize(
    "what",
    [
        "delete folder",
        "delete job",
        "edit job",
        "edit job keeping the marker",
        "delete credential",
        "edit credential",
        "edit folder",
    ],
)
@pytest.mark.parametrize("restart", [False, True], ids=["same-worker", "restarted-worker"])
def test_drift_is_repaired_on_the_next_pass(stack: Stack, what: str, restart: bool) -> None:
    pushed = _provisioned(stack)
    _damage(stack, what)
    if restart:
        stack.restart_worker()
    result = stack.worker.provisioner.run(deep=what == "edit job keeping the marker")
    assert result.writes >= 1 and not result.errors, result.errors
    j = stack.jenkins
    job = SafeET.fromstring(j.get_job_config("demo/build").encode())
    assert job.findtext("definition/sandbox") == "true"
    assert job.findtext(".//hudson.triggers.TimerTrigger/spec") == "H 2 * * *"
    assert j.get_job_config("demo/build") == pushed["job"]
    assert j.get_credential_config("token", "demo") == pushed["credential"]
    assert "managed-by=jenkins-bridge" in (j.get_job_info("demo").get("description") or "")
    assert stack.sandbox_credential("demo", "token")["secret"] == "e2e-secret-text-2"
    assert stack.worker.provisioner.run().writes == 0  # and then it holds
    assert {
        stack.sync(p)["status"] for p in ("/demo", "/demo/pipelines/build", "/demo/credentials/token")
    } == {"synced"}


def test_a_foreign_item_stays_a_conflict_across_a_restart(stack: Stack) -> None:
    _provisioned(stack)
    stack.jenkins.create_job("demo/handmade", FOREIGN_JOB)
    assert (
        stack.api.post(
            "/api/v1/projects/demo/pipelines", {"name": "handmade", "jenkinsfile": "echo"}
        ).status_code
        == 201
    )
    stack.worker.poll()
    stack.restart_worker()
    stack.worker.resync()
    assert stack.sync("/demo/pipelines/handmade")["status"] == "error"
    assert "edited by hand" in stack.jenkins.get_job_config("demo/handmade")
