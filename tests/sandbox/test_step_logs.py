"""Per-step logs, the way a client reads them from Jenkins without Blue Ocean: Stage View's
``stageFlowNodes`` → ``execution/node/N/wfapi/describe`` / ``wfapi/log`` and the full log at
``execution/node/N/log/logText/progressiveText`` — consistent for every step, parallel branches included,
with the same node ids on every run."""

from __future__ import annotations

import requests

from bridge.sandbox.jenkins import SandboxJenkins
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import token_session

SCRIPT = """pipeline { agent any
  stages {
    stage('prepare') { steps { echo 'preparing'; sh 'make prepare' } }
    stage('checks') {
      parallel {
        stage('unit') { steps { sh 'make unit'; echo 'unit done' } }
        stage('lint') { steps { echo 'lint start'; sh 'make lint' } }
      }
    }
  }
}"""


def _steps(s: requests.Session, base: str) -> list[tuple[str, str, str, str]]:
    """(stage, node id, step name, full log) for every step Stage View lists."""
    out = []
    for stage in s.get(base + "wfapi/describe").json()["stages"]:
        described = s.get(f"{base}execution/node/{stage['id']}/wfapi/describe").json()
        for step in described["stageFlowNodes"]:
            node = s.get(f"{base}execution/node/{step['id']}/wfapi/describe").json()
            assert (node["id"], node["name"], node["status"]) == (step["id"], step["name"], step["status"])
            assert node["_links"]["log"]["href"].endswith(f"/execution/node/{step['id']}/wfapi/log")
            tail = s.get(f"{base}execution/node/{step['id']}/wfapi/log").json()
            full = s.get(
                f"{base}execution/node/{step['id']}/log/logText/progressiveText", params={"start": 0}
            )
            assert full.status_code == 200 and "X-More-Data" not in full.headers
            text = full.text.replace("\r\n", "\n")
            assert (tail["nodeId"], tail["text"], int(full.headers["X-Text-Size"])) == (
                step["id"],
                text,
                len(text.encode()),
            )
            page = s.get(f"{base}execution/node/{step['id']}/log/")
            assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
            out.append((stage["name"], step["id"], step["name"], text))
    return out


def test_every_step_log_is_served_consistently_and_ids_are_stable(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    create_job(j, "checks", SCRIPT)
    s = token_session(j)
    runs = []
    for number in (1, 2, 3):
        s.post(f"{j.url}job/checks/build", params={"delay": "0sec"})
        base = f"{j.url}job/checks/{number}/"
        wait_for(lambda base=base: s.get(base + "api/json").json()["result"])
        runs.append(_steps(s, base))
    assert runs[0] == runs[1] == runs[2]
    by_stage = {(stage, name, text) for stage, _id, name, text in runs[0]}
    assert ("unit", "Shell Script", "+ make unit\n") in by_stage
    assert ("lint", "Print Message", "lint start\n") in by_stage
    assert ("prepare", "Print Message", "preparing\n") in by_stage
