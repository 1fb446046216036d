"""The build side's JSON compared with the reference samples: keys, ``_class`` values and value types."""

from __future__ import annotations

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.pipeline import ShellRule
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import sample_json, token_session

SCRIPT = """
pipeline {
  agent any
  parameters { string(name: 'parameter1', defaultValue: 'value1') }
  stages { stage('Test') { steps { sh 'run-tests' } } }
}
"""


def _keys(value: dict) -> set[str]:
    return set(value)


def test_build_queue_and_wfapi_shapes(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j, ShellRule("run-tests", exit_code=1, output="1 test failed"))
    create_job(j, "folderless", SCRIPT)
    s = token_session(j)
    s.post(f"{j.url}job/folderless/build")  # the first run declares the parameter on the job
    wait_for(lambda: (b := s.get(f"{j.url}job/folderless/1/api/json")).ok and b.json()["result"])
    s.post(f"{j.url}job/folderless/buildWithParameters", params={"parameter1": "value1"})
    build = wait_for(
        lambda: (b := s.get(f"{j.url}job/folderless/2/api/json")).ok and b.json()["result"] and b.json()
    )
    expected = sample_json("build-workflowrun-api-json.json")
    assert _keys(expected) <= _keys(build)
    for key in ("building", "duration", "estimatedDuration", "number", "queueId", "timestamp", "url", "id"):
        assert type(build[key]) is type(expected[key]), key
    assert build["_class"] == expected["_class"]
    cause = next(a for a in build["actions"] if a.get("_class") == "hudson.model.CauseAction")["causes"][0]
    assert cause.keys() == expected["actions"][0]["causes"][0].keys()
    params = next(a for a in build["actions"] if a.get("_class") == "hudson.model.ParametersAction")
    assert params["parameters"][0].keys() == expected["actions"][1]["parameters"][0].keys()

    left = s.get(f"{j.url}queue/item/2/api/json").json()
    sample_left = sample_json("queue-item-left-api-json.json")
    assert left.keys() == sample_left.keys()
    assert left["task"].keys() == sample_left["task"].keys()
    assert left["executable"].keys() == sample_left["executable"].keys()

    runs = s.get(f"{j.url}job/folderless/wfapi/runs").json()
    sample_run = sample_json("wfapi-runs.json")[0]
    assert runs[0].keys() == sample_run.keys()
    assert runs[0]["stages"][0].keys() == sample_run["stages"][0].keys() | {"error"}
    stage_id = runs[0]["stages"][0]["id"]
    failed = s.get(f"{j.url}job/folderless/2/execution/node/{stage_id}/wfapi/describe").json()
    sample_failed = sample_json("wfapi-node-describe-stage-failed.json")
    assert failed["status"] == sample_failed["status"] == "FAILED"
    (atom,) = failed["stageFlowNodes"]
    assert atom["error"] == sample_failed["stageFlowNodes"][0]["error"]
    assert set(sample_failed["stageFlowNodes"][0]) <= set(atom)
    log = s.get(f"{j.url}job/folderless/2/execution/node/{atom['id']}/wfapi/log").json()
    assert log.keys() == sample_json("wfapi-node-log.json").keys()
    assert log["text"] == "+ run-tests\n1 test failed\n" and log["nodeStatus"] == "FAILED"


def test_scripted_parallel_runs_every_branch(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    create_job(j, "par", "node { parallel a: { echo 'from a' }, b: { echo 'from b' } }")
    s = token_session(j)
    s.post(f"{j.url}job/par/build")
    wait_for(lambda: (b := s.get(f"{j.url}job/par/1/api/json")).ok and b.json()["result"])
    console = s.get(f"{j.url}job/par/1/consoleText").text
    assert "from a" in console and "from b" in console and console.rstrip().endswith("Finished: SUCCESS")
