"""Deleting a job or a folder aborts its running builds and cancels its queued items first
(``AbstractItem.delete`` → ``ItemDeletion.cancelBuildsInProgress``)."""

from __future__ import annotations

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import service
from bridge.sandbox.jenkins.model import Job
from tests.sandbox.pipeline_helpers import create_job, fast, folder_with_credentials, wait_for
from tests.sandbox.wire import token_session

SLOW = "pipeline { agent any; stages { stage('a') { steps { sleep 30 } } } }"


def _job(j: SandboxJenkins, path: str) -> Job:
    found = j.state.find_item(path)
    assert isinstance(found, Job)
    return found


def test_deleting_a_job_aborts_its_build_and_cancels_its_queue_item(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j, scale=1.0)
    create_job(j, "slow", SLOW)
    s = token_session(j)
    assert s.post(f"{j.url}job/slow/build", params={"delay": "0sec"}).status_code == 201
    job = _job(j, "slow")
    build = wait_for(lambda: job.builds.get(1))
    wait_for(lambda: build.run.graph.get("7"))  # the sleep step is running
    queued = s.post(f"{j.url}job/slow/build", params={"delay": "3600sec"})
    queue_id = int(queued.headers["Location"].rstrip("/").rsplit("/", 1)[1])

    assert s.post(f"{j.url}job/slow/doDelete", allow_redirects=False).status_code == 302

    assert build.result == "ABORTED"
    assert "Aborted by admin" in build.run.console.text()
    item = s.get(f"{j.url}queue/item/{queue_id}/api/json").json()
    assert item["cancelled"] is True and item["executable"] is None
    assert s.get(f"{j.url}job/slow/api/json").status_code == 404


def test_deleting_a_folder_aborts_builds_of_nested_jobs(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j, scale=1.0)
    s = folder_with_credentials(j, "team", [])
    create_job(j, "team/app", SLOW)
    assert s.post(f"{j.url}job/team/job/app/build", params={"delay": "0sec"}).status_code == 201
    job = _job(j, "team/app")
    build = wait_for(lambda: job.builds.get(1))

    assert s.delete(f"{j.url}job/team/").status_code == 204

    assert build.result == "ABORTED"
    with j.state.lock:
        items = service(j.state, j.services).items.values()
        assert items and all(i.state == "left" for i in items)
