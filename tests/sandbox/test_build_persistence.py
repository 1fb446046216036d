"""Builds, logs, flow graphs, the queue and ``nextBuildNumber`` survive a restart with ``state_dir`` (and a
new process on the same directory); a build running at the restart resumes as a Pipeline does: "Resuming
build at … after Jenkins restart", and a build paused at ``input`` is still paused and can be approved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import token_session

TOKEN = "11aa22bb33cc44dd55ee66ff77889900"
SIMPLE = """pipeline { agent any
  parameters { string(name: 'TARGET', defaultValue: 'dev') }
  stages { stage('a') { steps { echo "to ${params.TARGET}"; sh 'make' } } }
}"""
GATED = """pipeline { agent any
  stages {
    stage('build') { steps { echo 'built' } }
    stage('gate') { steps { input message: 'Ship?', id: 'ship' } }
    stage('ship') { steps { echo 'shipped' } }
  }
}"""


def _sandbox(state_dir: Path) -> SandboxJenkins:
    j = SandboxJenkins(admin_token=TOKEN, state_dir=state_dir)
    j.services[SIMULATION] = Simulation(time_scale=0.0)
    return j.start()


def _result(s: requests.Session, url: str) -> Any:
    return wait_for(lambda: (b := s.get(url + "api/json").json())["result"] and b)


def _views(s: requests.Session, build_url: str) -> tuple[str, Any, Any]:
    describe = s.get(build_url + "wfapi/describe").json()
    for stage in describe["stages"]:
        stage.pop("durationMillis", None)
    return s.get(build_url + "consoleText").text, describe, s.get(build_url + "api/json").json()


def test_finished_builds_queue_and_next_number_survive_restarts(tmp_path: Path) -> None:
    j = _sandbox(tmp_path)
    try:
        create_job(j, "app", SIMPLE)
        s = token_session(j)
        s.post(f"{j.url}job/app/build", params={"delay": "0sec"})
        _result(s, f"{j.url}job/app/1/")
        s.post(f"{j.url}job/app/buildWithParameters", params={"TARGET": "prod", "delay": "0sec"})
        _result(s, f"{j.url}job/app/2/")
        j.services[SIMULATION] = Simulation(time_scale=1.0)  # the quiet period counts in simulated time
        parked = s.post(f"{j.url}job/app/buildWithParameters", params={"TARGET": "qa", "delay": "3600sec"})
        parked_url = parked.headers["Location"]
        before = _views(s, f"{j.url}job/app/2/")
        node_log = s.get(f"{j.url}job/app/2/execution/node/9/log/logText/progressiveText").text
        first_item = s.get(f"{j.url}queue/item/1/api/json").json()
        j.restart()
        assert _views(s, f"{j.url}job/app/2/") == before
        assert s.get(f"{j.url}job/app/2/execution/node/9/log/logText/progressiveText").text == node_log
        assert s.get(f"{j.url}queue/item/1/api/json").json() == first_item
        assert s.get(parked_url + "api/json").json()["_class"] == "hudson.model.Queue$WaitingItem"
        assert s.get(f"{j.url}job/app/api/json").json()["nextBuildNumber"] == 3
    finally:
        j.stop()

    again = _sandbox(tmp_path)  # a new process on the same directory
    try:
        s = token_session(again)
        console, _describe, build = _views(s, f"{again.url}job/app/2/")
        assert console == before[0] and "to prod" in console
        params = next(a for a in build["actions"] if a.get("_class") == "hudson.model.ParametersAction")
        assert params["parameters"] == [
            {"_class": "hudson.model.StringParameterValue", "name": "TARGET", "value": "prod"}
        ]
        job = s.get(f"{again.url}job/app/api/json").json()
        assert (job["nextBuildNumber"], job["lastSuccessfulBuild"]["number"]) == (3, 2)
        assert [p["name"] for p in job["property"][0]["parameterDefinitions"]] == ["TARGET"]
        queued = s.post(f"{again.url}job/app/buildWithParameters", params={"delay": "0sec"})
        assert queued.headers["Location"].endswith("/queue/item/4/")  # queue ids go on
    finally:
        again.stop()


def test_build_paused_at_input_is_still_paused_and_approvable_after_restart(tmp_path: Path) -> None:
    j = _sandbox(tmp_path)
    try:
        create_job(j, "gated", GATED)
        s = token_session(j)
        s.post(f"{j.url}job/gated/build", params={"delay": "0sec"})
        base = f"{j.url}job/gated/1/"
        wait_for(lambda: s.get(base + "wfapi/pendingInputActions").json())
        nodes_before = [n["id"] for st in _describe(s, base)["stages"] for n in st["stageFlowNodes"]]
        j.stop()
    finally:
        j.stop()

    again = _sandbox(tmp_path)
    try:
        s = token_session(again)
        base = f"{again.url}job/gated/1/"
        pending = wait_for(lambda: s.get(base + "wfapi/pendingInputActions").json())
        assert [p["id"] for p in pending] == ["Ship"]
        assert s.get(base + "api/json").json()["building"] is True
        assert _describe(s, base)["status"] == "PAUSED_PENDING_INPUT"
        assert s.post(base + "input/Ship/proceedEmpty").status_code == 200
        build = _result(s, base)
        assert build["result"] == "SUCCESS"
        console = s.get(base + "consoleText").text
        assert console.count("built\n") == 1 and console.count("Ship?\n") == 1
        resumed = console.index("Resuming build at ")
        assert console.index("after Jenkins restart") > resumed
        assert console.index("Approved by admin") > resumed and console.index("shipped") > resumed
        stages = _describe(s, base)["stages"]
        assert [(st["name"], st["status"]) for st in stages] == [
            ("build", "SUCCESS"),
            ("gate", "SUCCESS"),
            ("ship", "SUCCESS"),
        ]
        nodes_after = [n["id"] for st in stages for n in st["stageFlowNodes"]]
        assert nodes_after[: len(nodes_before)] == nodes_before  # same ids, graph continued
    finally:
        again.stop()


def test_running_step_resumes_after_restart(tmp_path: Path) -> None:
    j = SandboxJenkins(admin_token=TOKEN, state_dir=tmp_path).start()
    try:
        fast(j, scale=0.02)
        create_job(j, "slow", "node { echo 'one'; sleep 10; echo 'two' }")
        s = token_session(j)
        s.post(f"{j.url}job/slow/build", params={"delay": "0sec"})
        wait_for(lambda: "Sleeping for 10 sec" in s.get(f"{j.url}job/slow/1/consoleText").text)
        j.restart()
        build = _result(s, f"{j.url}job/slow/1/")
        assert build["result"] == "SUCCESS"
        console = s.get(f"{j.url}job/slow/1/consoleText").text
        assert console.count("one\n") == 1 and console.count("two\n") == 1
        assert console.index("Resuming build at ") < console.index("two\n")
    finally:
        j.stop()


def _describe(s: requests.Session, base: str) -> Any:
    run = s.get(base + "wfapi/describe").json()
    run["stages"] = [s.get(f"{base}execution/node/{st['id']}/wfapi/describe").json() for st in run["stages"]]
    return run


def test_password_parameters_are_not_stored_in_clear_and_come_back(tmp_path: Path) -> None:
    script = """pipeline { agent any
      parameters { password(name: 'PW', defaultValue: 'dflt') }
      stages { stage('a') { steps { input 'go?'; echo "length=${params.PW.length()}" } } }
    }"""
    j = _sandbox(tmp_path)
    try:
        create_job(j, "pw", script)
        s = token_session(j)
        s.post(f"{j.url}job/pw/build", params={"delay": "0sec"})  # first run declares the parameter
        wait_for(lambda: s.get(f"{j.url}job/pw/1/wfapi/pendingInputActions").json())
        s.post(f"{j.url}job/pw/1/stop")
        _result(s, f"{j.url}job/pw/1/")
        s.post(f"{j.url}job/pw/buildWithParameters", params={"PW": "given-s3cret!", "delay": "0sec"})
        wait_for(lambda: s.get(f"{j.url}job/pw/2/wfapi/pendingInputActions").json())
        j.restart()
        stored = "".join(p.read_text() for p in tmp_path.iterdir())
        assert "given-s3cret" not in stored  # the Jenkinsfile's own default is in the script, as in Jenkins
        s.post(f"{j.url}job/pw/2/input/{_input_id(s, j.url + 'job/pw/2/')}/proceedEmpty")
        assert _result(s, f"{j.url}job/pw/2/")["result"] == "SUCCESS"
        assert "length=13" in s.get(f"{j.url}job/pw/2/consoleText").text
    finally:
        j.stop()


def _input_id(s: requests.Session, base: str) -> str:
    pending = wait_for(lambda: s.get(base + "wfapi/pendingInputActions").json())
    return str(pending[0]["id"])


def test_config_xml_keeps_the_form_it_was_stored_in(tmp_path: Path) -> None:
    """2.479.3 serves config.xml as stored: the client's XML through the JDK transformer, until Jenkins
    saves the job itself (here: Declarative applying its ``parameters`` when a run starts)."""
    j = _sandbox(tmp_path)
    try:
        create_job(j, "cfg", SIMPLE)
        s = token_session(j)
        j.restart()
        assert s.get(f"{j.url}job/cfg/config.xml").text.startswith(
            '<?xml version="1.0" encoding="UTF-8"?><flow'
        )
        s.post(f"{j.url}job/cfg/build", params={"delay": "0sec"})
        _result(s, f"{j.url}job/cfg/1/")
        j.restart()
        assert s.get(f"{j.url}job/cfg/config.xml").text.startswith(
            "<?xml version='1.1' encoding='UTF-8'?>\n<flow"
        )
    finally:
        j.stop()
