"""A Jenkinsfile with its own ``parameters {}`` changes the job's parameters when it runs (declarative
adds its own and keeps ours). That is Jenkins working as designed, not drift: the bridge must neither
rewrite the job on every deep pass nor drop the Jenkinsfile's parameters."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET

from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from tests.e2e.conftest import P, Stack
from tests.sandbox.pipeline_helpers import wait_for

JENKINSFILE = """pipeline {
  agent any
  options { disableConcurrentBuilds() }
  parameters { string(name: 'FROM_FILE', defaultValue: 'file-default', description: 'declared in the file') }
  stages { stage('show') { steps { echo "from file: ${params.FROM_FILE}, from api: ${params.FROM_API}" } } }
}"""


def _parameter_names(config: str) -> list[str]:
    root = SafeET.fromstring(config.encode())
    prop = root.find("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions")
    assert prop is not None
    return [p.findtext("name") or "" for p in prop]


def test_a_run_of_a_declarative_jenkinsfile_is_not_drift(stack: Stack) -> None:
    stack.sandbox.services[SIMULATION] = Simulation(time_scale=0)
    assert stack.api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert stack.api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    body = {"name": "decl", "jenkinsfile": JENKINSFILE, "parameters": [{"name": "FROM_API", "default": "a"}]}
    assert stack.api.post(f"{P}/demo/pipelines", body).status_code == 201
    stack.worker.poll()
    # the Jenkinsfile's own parameters are rendered into the job: there before the first run
    before_run = _parameter_names(stack.jenkins.get_job_config("demo/decl"))
    assert before_run == ["FROM_API", "FROM_FILE", "BRIDGE_REQUESTED_BY"]

    stack.jenkins.build_job("demo/decl", {"FROM_API": "b"})
    build = wait_for(lambda: stack.jenkins.get_build_info("demo/decl", 1)["result"])
    assert build == "SUCCESS"
    after_run = _parameter_names(stack.jenkins.get_job_config("demo/decl"))
    assert {"FROM_FILE", "FROM_API"} <= set(after_run)
    assert "DisableConcurrentBuildsJobProperty" in stack.jenkins.get_job_config("demo/decl")

    deep = stack.worker.once(deep=True)
    assert deep.writes == 0, [a.ref for a in deep.applied]
    assert _parameter_names(stack.jenkins.get_job_config("demo/decl")) == after_run
    assert "DisableConcurrentBuildsJobProperty" in stack.jenkins.get_job_config("demo/decl")
    assert stack.sync("/demo/pipelines/decl")["status"] == "synced"
