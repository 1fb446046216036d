"""Build endpoints over real HTTP with python-jenkins 1.8.3 and requests: triggers, queue, build JSON,
permalinks, stop, delete, logs, disabled jobs, concurrency, replay."""

from __future__ import annotations

import jenkins
import pytest
import requests

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.pipeline import ShellRule
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import python_jenkins, token_session

SIMPLE = "pipeline { agent any; stages { stage('a') { steps { echo 'hello'; sh 'make' } } } }"
PARAMS = """
pipeline {
  agent any
  parameters { string(name: 'TARGET', defaultValue: 'dev'); choice(name: 'ENV', choices: ['qa', 'prod']) }
  stages { stage('show') { steps { echo "target=${params.TARGET} env=$ENV build=$BUILD_NUMBER" } } }
}
"""


def _done(server: jenkins.Jenkins, name: str, number: int) -> dict:
    return wait_for(lambda: (i := server.get_build_info(name, number))["result"] and i)


def test_build_queue_and_build_json(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    create_job(j, "simple", SIMPLE)
    server = python_jenkins(j)
    assert server.get_job_info("simple")["nextBuildNumber"] == 1
    queue_id = server.build_job("simple")
    item = wait_for(lambda: (q := server.get_queue_item(queue_id)).get("executable") and q)
    assert item["_class"] == "hudson.model.Queue$LeftItem"
    assert item["cancelled"] is False
    assert item["executable"]["url"] == f"{j.url}job/simple/1/"
    info = _done(server, "simple", 1)
    assert info["_class"] == "org.jenkinsci.plugins.workflow.job.WorkflowRun"
    assert (info["number"], info["id"], info["displayName"], info["result"]) == (1, "1", "#1", "SUCCESS")
    assert info["queueId"] == queue_id
    assert info["url"] == f"{j.url}job/simple/1/"
    assert info["duration"] >= 0 and info["timestamp"] > 0
    job = server.get_job_info("simple")
    assert job["nextBuildNumber"] == 2
    assert job["color"] == "blue"
    assert job["lastSuccessfulBuild"]["number"] == 1
    assert job["lastFailedBuild"] is None
    assert [b["number"] for b in job["builds"]] == [1]
    console = server.get_build_console_output("simple", 1)
    assert console.splitlines()[0] == "Started by user admin"
    assert "[Pipeline] echo\nhello\n" in console and "+ make" in console


def test_trigger_status_codes(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j, scale=1.0)  # keep items in the 5 s quiet period
    create_job(j, "plain", SIMPLE)
    create_job(j, "withparams", PARAMS)
    s = token_session(j)
    first = s.post(f"{j.url}job/plain/build", allow_redirects=False)
    assert first.status_code == 201
    assert first.headers["Location"].startswith("http://") and first.headers["Location"].endswith(
        "/queue/item/1/"
    )
    again = s.post(f"{j.url}job/plain/build", allow_redirects=False)
    assert (again.status_code, again.headers["Location"]) == (201, first.headers["Location"])
    waiting = s.get(f"{j.url}queue/item/1/api/json").json()
    assert waiting["_class"] == "hudson.model.Queue$WaitingItem"
    assert waiting["why"].startswith("In the quiet period. Expires in ")
    assert s.get(f"{j.url}job/plain/build").status_code == 405
    assert s.post(f"{j.url}job/plain/buildWithParameters").status_code == 400
    assert s.get(f"{j.url}job/plain/lastBuild/api/json").status_code == 404
    assert s.post(f"{j.url}queue/cancelItem", params={"id": 1}).status_code == 204
    cancelled = s.get(f"{j.url}queue/item/1/api/json").json()
    assert (cancelled["cancelled"], cancelled["executable"]) == (True, None)
    assert s.post(f"{j.url}queue/cancelItem", params={"id": 99}).status_code == 404
    assert s.post(f"{j.url}job/plain/disable").status_code in (200, 302)
    assert s.post(f"{j.url}job/plain/build", allow_redirects=False).status_code == 409


def test_parameters_defaults_and_values(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    create_job(j, "p", PARAMS)
    server = python_jenkins(j)
    server.build_job("p")  # first run: declares the parameters on the job
    _done(server, "p", 1)
    names = [d["name"] for d in server.get_job_info("p")["property"][0]["parameterDefinitions"]]
    assert names == ["TARGET", "ENV"]
    s = token_session(j)
    assert s.post(f"{j.url}job/p/build", allow_redirects=False).status_code == 400  # no json
    server.build_job("p", {"TARGET": "staging", "ENV": "prod", "UNDEFINED": "x"})
    info = _done(server, "p", 2)
    params = next(a for a in info["actions"] if a.get("_class") == "hudson.model.ParametersAction")[
        "parameters"
    ]
    assert [(p["_class"], p["name"], p["value"]) for p in params] == [
        ("hudson.model.StringParameterValue", "TARGET", "staging"),
        ("hudson.model.ChoiceParameterValue", "ENV", "prod"),
    ]
    assert "target=staging env=prod build=2" in server.get_build_console_output("p", 2)
    assert s.post(f"{j.url}job/p/buildWithParameters", params={"ENV": "nope"}).status_code == 400


def test_stop_delete_and_running_builds(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j, ShellRule("deploy", seconds=30.0), scale=1.0)
    create_job(j, "long", "pipeline { agent any; stages { stage('d') { steps { sh './deploy' } } } }")
    s = token_session(j)
    s.post(f"{j.url}job/long/build", params={"delay": "0sec"})
    server = python_jenkins(j)
    wait_for(lambda: server.get_running_builds())
    assert server.get_running_builds()[0]["name"] == "long"
    progressive = s.get(f"{j.url}job/long/1/logText/progressiveText", params={"start": 0})
    assert progressive.headers["X-More-Data"] == "true"
    size = int(progressive.headers["X-Text-Size"])
    # X-Text-Size counts the raw log, console notes included; the body never shows them.
    assert size > len(progressive.content.replace(b"\r\n", b"\n")) and b"\x1b" not in progressive.content
    with pytest.raises((jenkins.JenkinsException, requests.HTTPError)):
        server.delete_build("long", 1)  # still running
    server.stop_build("long", 1)
    info = _done(server, "long", 1)
    assert info["result"] == "ABORTED"
    final = s.get(f"{j.url}job/long/1/logText/progressiveText", params={"start": size})
    assert "X-More-Data" not in final.headers
    assert "Aborted by admin" in final.text and final.text.rstrip().endswith("Finished: ABORTED")
    assert server.get_job_info("long")["color"] == "aborted"
    server.delete_build("long", 1)
    assert s.get(f"{j.url}job/long/1/api/json").status_code == 404


def test_disable_concurrent_builds_queues_next_run(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    script = """pipeline { agent any; options { disableConcurrentBuilds() }
      stages { stage('x') { steps { input 'go?' } } } }"""
    fast(j)
    create_job(j, "serial", script)
    s = token_session(j)
    s.post(f"{j.url}job/serial/build")
    wait_for(lambda: s.get(f"{j.url}job/serial/1/wfapi/pendingInputActions").json())
    s.post(f"{j.url}job/serial/build")
    blocked = wait_for(lambda: (q := s.get(f"{j.url}queue/item/2/api/json").json())["blocked"] and q)
    assert blocked["_class"] == "hudson.model.Queue$BlockedItem"
    assert blocked["why"] == "Build #1 is already in progress (ETA: N/A)"
    input_id = s.get(f"{j.url}job/serial/1/wfapi/pendingInputActions").json()[0]["id"]
    s.post(f"{j.url}job/serial/1/input/{input_id}/proceedEmpty")
    left = wait_for(lambda: (q := s.get(f"{j.url}queue/item/2/api/json").json()).get("executable") and q)
    assert left["executable"]["number"] == 2


def test_failing_sh_and_replay(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j, ShellRule(r"mvn test", exit_code=3, output="Tests failed"))
    create_job(j, "r", "pipeline { agent any; stages { stage('t') { steps { sh 'mvn test' } } } }")
    server = python_jenkins(j)
    server.build_job("r")
    assert _done(server, "r", 1)["result"] == "FAILURE"
    console = server.get_build_console_output("r", 1)
    assert "+ mvn test\nTests failed\n" in console
    assert "ERROR: script returned exit code 3" in console
    s = token_session(j)
    replay = s.post(
        f"{j.url}job/r/1/replay/run", data={"json": '{"mainScript": "echo \'fixed\'"}'}, allow_redirects=False
    )
    assert (replay.status_code, replay.headers["Location"]) == (302, f"{j.url}job/r/")
    info = _done(server, "r", 2)
    assert info["result"] == "SUCCESS"
    causes = next(a for a in info["actions"] if a.get("_class") == "hudson.model.CauseAction")["causes"]
    assert [c["shortDescription"] for c in causes] == ["Started by user admin", "Replayed #1"]
    assert "fixed" in server.get_build_console_output("r", 2)
    assert server.get_job_info("r")["lastFailedBuild"]["number"] == 1
