"""The seed Jenkinsfile (multi-cluster deploy) run verbatim over HTTP, with and without its credentials."""

from __future__ import annotations

from bridge.sandbox.jenkins import SandboxJenkins
from tests.sandbox.pipeline_helpers import SECRETS, SEED, create_job, fast, folder_with_credentials, wait_for
from tests.sandbox.wire import python_jenkins

JOB = "devops/build-and-deploy"
ALL = ["dockerhub-id", "sonar-token", "rohan", "gondor", "shire"]


def _secret_values() -> list[str]:
    out: list[str] = []
    for value in SECRETS.values():
        out.extend(value if isinstance(value, tuple) else [value])
    return [v for v in out if len(v) > 3]


def _pending(s, j: SandboxJenkins) -> list[dict]:  # type: ignore[no-untyped-def]
    return s.get(f"{j.url}job/devops/job/build-and-deploy/1/wfapi/pendingInputActions").json()


def test_seed_runs_to_each_input_and_ends_success(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    s = folder_with_credentials(j, "devops", ALL)
    create_job(j, JOB, SEED)
    server = python_jenkins(j)
    queue_id = server.build_job(JOB)
    number = wait_for(lambda: (server.get_queue_item(queue_id).get("executable") or {}).get("number"))
    assert number == 1
    base = f"{j.url}job/devops/job/build-and-deploy/1/"

    first = wait_for(lambda: _pending(s, j))
    assert [p["id"] for p in first] == ["Deploy-to-staging"]
    assert first[0]["proceedUrl"].endswith(
        "/job/devops/job/build-and-deploy/1/wfapi/inputSubmit?inputId=Deploy-to-staging"
    )
    describe = s.get(base + "wfapi/describe").json()
    assert describe["status"] == "PAUSED_PENDING_INPUT"
    statuses = {st["name"]: st["status"] for st in describe["stages"]}
    assert statuses["deploy to dev"] == "SUCCESS"
    assert statuses["deploy to staging"] == "PAUSED_PENDING_INPUT"
    assert "deploy to production" not in statuses
    assert server.get_build_info(JOB, 1)["building"] is True

    assert s.post(base + "input/Deploy-to-staging/proceedEmpty").status_code == 200
    second = wait_for(lambda: [p for p in _pending(s, j) if p["id"] == "Deploy-to-production"])
    assert second[0]["message"] == "deploy to production?"
    assert s.post(base + "input/Deploy-to-production/proceedEmpty").status_code == 200

    info = wait_for(lambda: (i := server.get_build_info(JOB, 1))["result"] and i)
    assert info["result"] == "SUCCESS"
    assert info["building"] is False
    causes = next(a for a in info["actions"] if a.get("_class") == "hudson.model.CauseAction")["causes"]
    assert causes[0]["userId"] == "admin"
    console = server.get_build_console_output(JOB, 1)
    assert console.count("Approved by admin") == 2
    assert "+ docker login docker.io -u **** --password-stdin" in console
    assert console.rstrip().endswith("Finished: SUCCESS")
    for secret in _secret_values():
        assert secret not in console
    run = s.get(base + "wfapi/describe").json()
    assert [st["status"] for st in run["stages"]] == ["SUCCESS"] * 8
    for stage in run["stages"]:
        node = s.get(f"{base}execution/node/{stage['id']}/wfapi/describe").json()
        for atom in node["stageFlowNodes"]:
            if "log" in atom["_links"]:
                text = s.get(f"{base}execution/node/{atom['id']}/log/logText/progressiveText?start=0").text
                assert all(secret not in text for secret in _secret_values())


def test_seed_without_rohan_fails_at_deploy_to_dev(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    s = folder_with_credentials(j, "devops", [c for c in ALL if c != "rohan"])
    create_job(j, JOB, SEED)
    server = python_jenkins(j)
    server.build_job(JOB)
    info = wait_for(lambda: (i := _info(server)) and i["result"] and i)
    assert info["result"] == "FAILURE"
    console = server.get_build_console_output(JOB, 1)
    assert "ERROR: Could not find credentials entry with ID 'rohan'" in console
    assert 'Stage "deploy to staging" skipped due to earlier failure(s)' in console
    stages = {
        st["name"]: st
        for st in s.get(f"{j.url}job/devops/job/build-and-deploy/1/wfapi/describe").json()["stages"]
    }
    assert stages["push latest"]["status"] == "SUCCESS"
    assert stages["deploy to dev"]["status"] == "FAILED"
    assert stages["deploy to dev"]["error"]["message"] == "Could not find credentials entry with ID 'rohan'"
    assert stages["deploy to staging"]["status"] == "NOT_EXECUTED"


def _info(server):  # type: ignore[no-untyped-def]
    try:
        return server.get_build_info(JOB, 1)
    except Exception:
        return None
