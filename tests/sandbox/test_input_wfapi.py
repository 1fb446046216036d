"""Input endpoints and Stage View REST over HTTP: ids, submitter rules, submit/abort, wfapi shapes."""

from __future__ import annotations

import json

import requests

from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from bridge.sandbox.jenkins.model import ITEM_BUILD, ITEM_READ, READ
from bridge.sandbox.jenkins.pipeline import input_id
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import token_session

SCRIPT = """
pipeline {
  agent any
  stages {
    stage('build') { steps { sh 'make' } }
    stage('approve') {
      steps {
        input(id: 'ship-it', message: 'Ship?', ok: 'Ship', submitter: 'Release-Managers, carol',
              parameters: [string(name: 'NOTE', defaultValue: 'none', description: 'why')])
        input message: 'Really?'
      }
    }
  }
}
"""
BASE = "job/app/1/"


def _session(j: SandboxJenkins, user: str) -> requests.Session:
    s = requests.Session()
    s.auth = (user, f"tok-{user}")
    return s


def _start(factory) -> tuple[SandboxJenkins, requests.Session]:  # type: ignore[no-untyped-def]
    users = [
        UserSpec("dave", tokens=("tok-dave",), groups=("release-managers",)),
        UserSpec("eve", tokens=("tok-eve",), permissions=frozenset({READ, ITEM_READ, ITEM_BUILD})),
        UserSpec("carol", tokens=("tok-carol",)),
    ]
    j = factory(users=users)
    fast(j)
    create_job(j, "app", SCRIPT)
    s = token_session(j)
    s.post(f"{j.url}job/app/build")
    wait_for(lambda: s.get(f"{j.url}{BASE}wfapi/pendingInputActions").json())
    return j, s


def test_pending_input_shapes_and_submitter_rules(sandbox_jenkins_factory) -> None:  # type: ignore[no-untyped-def]
    j, s = _start(sandbox_jenkins_factory)
    (entry,) = s.get(f"{j.url}{BASE}wfapi/pendingInputActions").json()
    assert entry == {
        "id": "Ship-it",
        "proceedText": "Ship",
        "message": "Ship?",
        "inputs": [
            {
                "type": "StringParameterDefinition",
                "name": "NOTE",
                "description": "why",
                "definition": {"defaultVal": "none"},
            }
        ],
        "proceedUrl": "/job/app/1/wfapi/inputSubmit?inputId=Ship-it",
        "abortUrl": "/job/app/1/input/Ship-it/abort",
        "redirectApprovalUrl": "/job/app/1/input/",
    }
    run = s.get(f"{j.url}{BASE}wfapi/describe").json()
    assert run["status"] == "PAUSED_PENDING_INPUT"
    assert run["_links"]["pendingInputActions"]["href"] == "/job/app/1/wfapi/pendingInputActions"
    assert [st["status"] for st in run["stages"]] == ["SUCCESS", "PAUSED_PENDING_INPUT"]
    assert s.post(f"{j.url}{BASE}input/ship-it/proceedEmpty").status_code == 404  # ids are exact
    assert s.get(f"{j.url}{BASE}input/Ship-it/proceedEmpty").status_code == 405
    eve = _session(j, "eve")
    denied = eve.post(f"{j.url}{BASE}input/Ship-it/proceedEmpty")
    assert denied.status_code == 400
    assert denied.headers["X-Error"] == "You need to be Release-Managers, carol to submit this."
    denied = eve.post(f"{j.url}{BASE}input/Ship-it/abort")
    assert denied.headers["X-Error"] == (
        "You need to be 'Release-Managers, carol' (or have Job/Cancel permissions) to cancel this."
    )
    # dave is in group release-managers (case-insensitive match): proceeds with a value through submit
    dave = _session(j, "dave")
    r = dave.post(
        f"{j.url}{BASE}input/Ship-it/submit",
        allow_redirects=False,
        data={"proceed": "Ship", "json": json.dumps({"parameter": [{"name": "NOTE", "value": "go"}]})},
    )
    assert (r.status_code, r.headers["Location"]) == (302, f"{j.url}{BASE}console")
    second = wait_for(
        lambda: [p for p in s.get(f"{j.url}{BASE}wfapi/pendingInputActions").json() if p["id"] != "Ship-it"]
    )
    assert second[0]["id"] == input_id("Really?")
    submit = s.post(
        f"{j.url}{BASE}wfapi/inputSubmit",
        params={"inputId": second[0]["id"]},
        data={"json": '{"parameter":[]}'},
    )
    assert (submit.status_code, submit.text) == (200, "null")
    wait_for(lambda: s.get(f"{j.url}{BASE}api/json").json()["result"])
    console = s.get(f"{j.url}{BASE}consoleText").text
    assert "Ship?\n" not in console  # parameters: "Input requested" instead of message + ok
    assert (
        "Input requested\nApproved by dave" in console
        and "Really?\nProceed or Abort\nApproved by admin" in console
    )
    build = s.get(f"{j.url}{BASE}api/json").json()
    approvers = [a["userId"] for a in build["actions"] if a.get("_class", "").endswith("ApproverAction")]
    assert (build["result"], approvers) == ("SUCCESS", ["dave", "admin"])


def test_abort_through_submit_and_node_logs(sandbox_jenkins_factory) -> None:  # type: ignore[no-untyped-def]
    j, s = _start(sandbox_jenkins_factory)
    carol = _session(j, "carol")
    r = carol.post(f"{j.url}{BASE}input/Ship-it/submit", allow_redirects=False)  # no "proceed": abort
    assert r.status_code == 302
    wait_for(lambda: s.get(f"{j.url}{BASE}api/json").json()["result"])
    run = s.get(f"{j.url}{BASE}wfapi/describe").json()
    assert run["status"] == "ABORTED"
    build_stage, approve_stage = run["stages"]
    assert approve_stage["status"] == "ABORTED"
    node = s.get(f"{j.url}{BASE}execution/node/{build_stage['id']}/wfapi/describe").json()
    (sh,) = node["stageFlowNodes"]
    assert (sh["name"], sh["status"], sh["parameterDescription"]) == ("Shell Script", "SUCCESS", "make")
    assert sh["_links"]["log"]["href"] == f"/job/app/1/execution/node/{sh['id']}/wfapi/log"
    log = s.get(f"{j.url}{BASE}execution/node/{sh['id']}/wfapi/log").json()
    assert (log["nodeStatus"], log["text"], log["hasMore"]) == ("SUCCESS", "+ make\n", False)
    full = s.get(f"{j.url}{BASE}execution/node/{sh['id']}/log/logText/progressiveText", params={"start": 0})
    assert (full.text, full.headers["X-Text-Size"], full.headers.get("X-More-Data")) == (
        "+ make\r\n",
        "7",
        None,
    )
    assert "Rejected by carol" in s.get(f"{j.url}{BASE}consoleText").text
    runs = s.get(f"{j.url}job/app/wfapi/runs").json()
    assert [(r["id"], r["name"], r["status"]) for r in runs] == [("1", "#1", "ABORTED")]
