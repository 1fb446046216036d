"""Placement on two Jenkins controllers (two sandboxes over HTTP): each project is provisioned into the
controller serving its cluster only, its runs and logs go there, moving it to a cluster of the other
controller moves its folder (created there, then the old one deleted) with its pipelines, and a
cluster that is not eligible is a 400 naming the eligible ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jenkins as pyjenkins
import pytest

from bridge.bootstrap import Container, build_worker
from bridge.domain.clusters import ClusterRecord, SourceKind
from bridge.reconcile.worker import Worker
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation
from bridge.services.deliveries import DispatchResult
from bridge.settings import Settings
from tests.e2e.conftest import P, jenkins_env
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret
from tests.waiting import wait_until
from tests.webhooks.samples import SECRET, load

SCRIPT = "pipeline { agent any\n stages { stage('a') { steps { echo 'placed here' } } } }"
WS = {"name": "middle-earth", "clusters": ["shire", "gondor", "rohan", "mordor"]}


@pytest.fixture
def west(sandbox_jenkins_factory: Any) -> SandboxJenkins:
    j: SandboxJenkins = sandbox_jenkins_factory()
    j.services[SIMULATION] = Simulation(time_scale=0)
    return j


@pytest.fixture
def east(sandbox_jenkins_factory: Any) -> SandboxJenkins:
    j: SandboxJenkins = sandbox_jenkins_factory(admin_token="22bb33cc44dd55ee66ff778899001122")
    j.services[SIMULATION] = Simulation(time_scale=0)
    return j


@pytest.fixture
def settings(tmp_path: Path, west: SandboxJenkins, east: SandboxJenkins) -> Settings:
    """The default controller (west) serves gondor; ``east`` serves rohan; shire has no Jenkins."""
    register_secret(west.admin_token, west.admin_password, east.admin_token, east.admin_password)
    controllers = {
        "east": {
            "url": east.url,
            "user": east.admin_user,
            "token": east.admin_token,
            "retries": 0,
            "timeout": 5,
            "clusters": ["rohan"],
        }
    }
    return make_settings(
        tmp_path,
        BRIDGE_CLUSTERS_SOURCES="argocd",
        BRIDGE_CLUSTERS_JENKINS="gondor",
        BRIDGE_CONTROLLERS=json.dumps(controllers),
        **jenkins_env(west),
    )


@pytest.fixture
def worker(container: Container, settings: Settings) -> Worker:
    records = {
        name: ClusterRecord(
            name, SourceKind.ARGOCD, f"Secret argocd/{name}", kubeconfig=f"k: {name}", devops=devops
        )
        for name, devops in (("rohan", True), ("gondor", True), ("shire", True), ("mordor", False))
    }
    container.clusters.catalog.sync(records, authoritative=set(SourceKind))
    return build_worker(
        settings, desired=container.desired, jenkins=container.jenkins, connections=container.connections
    )


def folders(sandbox: SandboxJenkins) -> set[str]:
    client = pyjenkins.Jenkins(sandbox.url, username=sandbox.admin_user, password=sandbox.admin_token)
    return {j["name"] for j in client.get_jobs()}


def item(sandbox: SandboxJenkins, path: str) -> Any:
    with sandbox.state.lock:
        return sandbox.state.find_item(path)


def credentials(sandbox: SandboxJenkins, folder: str) -> set[str]:
    with sandbox.state.lock:
        found = sandbox.state.find_item(folder)
        return set(found.store.credentials) if found is not None else set()  # type: ignore[union-attr]


def declare(api: ApiClient, project: str, cluster: str | None) -> dict[str, Any]:
    body = {"name": project, "workspace": WS["name"]} | ({"cluster": cluster} if cluster else {})
    r = api.post(P, body)
    assert r.status_code == 201, r.json
    assert api.post(f"{P}/{project}/pipelines", {"name": "app", "jenkinsfile": SCRIPT}).status_code == 201
    secret = {"id": "git", "type": "secret-text", "data": {"secret": f"s3cr3t-of-{project}"}}
    register_secret(secret["data"]["secret"])  # type: ignore[index]
    assert api.post(f"{P}/{project}/credentials", secret).status_code == 201
    return dict(r.json)


def test_projects_live_on_their_clusters_controller_and_move_with_their_folder(
    api: ApiClient, worker: Worker, west: SandboxJenkins, east: SandboxJenkins
) -> None:
    assert api.post("/api/v1/workspaces", WS).status_code == 201
    clusters = {c["name"]: c for c in api.get("/api/v1/clusters").json["items"]}
    assert {n: c["jenkins"] for n, c in clusters.items()} == {
        "gondor": "default",
        "rohan": "east",
        "shire": None,
        "mordor": None,
    }
    # shire (no Jenkins) and mordor (not DevOps-enabled) are not eligible: gondor is the default placement
    for bad in ("shire", "mordor", "isengard"):
        r = api.post(P, {"name": "nope", "workspace": WS["name"], "cluster": bad})
        assert r.status_code == 400 and r.mimetype == "application/problem+json"
        assert "eligible: gondor, rohan" in r.json["errors"][0]["message"], r.json
    minas = declare(api, "minas-tirith", None)
    edoras = declare(api, "edoras", "rohan")
    assert (minas["cluster"], minas["jenkins"]) == ("gondor", "default")
    assert (edoras["cluster"], edoras["jenkins"]) == ("rohan", "east")
    assert api.get("/api/v1/clusters/rohan").json["projects"] == 1

    result = worker.poll()
    assert result is not None and not result.errors and not result.retry
    # each folder, with its job and credentials (the synced kubeconfigs too), on its own controller only
    assert folders(west) == {"minas-tirith"} and folders(east) == {"edoras"}
    kubeconfigs = {"gondor", "rohan", "shire"}  # the workspace's DevOps-enabled clusters
    assert credentials(west, "minas-tirith") == {"git"} | kubeconfigs
    assert credentials(east, "edoras") == {"git"} | kubeconfigs
    assert item(east, "edoras/app") is not None and item(west, "edoras/app") is None
    assert api.get(f"{P}/edoras").json["sync"]["status"] == "synced"

    # runs go to the project's controller; the run follower and the logs read it there
    r = api.post(f"{P}/edoras/pipelines/app/runs", {})
    assert r.status_code == 202, r.json
    client = pyjenkins.Jenkins(east.url, username=east.admin_user, password=east.admin_token)
    wait_until(
        lambda: client.get_build_info("edoras/app", 1).get("result") == "SUCCESS",
        what="the run on east",
        retry_on=(pyjenkins.JenkinsException,),
    )
    assert item(west, "edoras") is None
    assert worker.runs is not None
    wait_until(
        lambda: (
            worker.runs.follow() >= 0  # type: ignore[union-attr]
            and api.get(f"{P}/edoras/pipelines/app/runs").json["items"][0]["status"] == "succeeded"
        ),
        what="the run indexed as finished",
    )
    log = api.get(f"{P}/edoras/pipelines/app/runs/1/log")
    assert log.status_code == 200 and "placed here" in log.get_data(as_text=True)

    # moving edoras to gondor moves its folder to west: created there, then deleted on east
    r = api.patch(f"{P}/edoras", {"cluster": "gondor"})
    assert r.status_code == 200 and r.json["jenkins"] == "default"
    sync = api.get(f"{P}/edoras").json["sync"]
    assert (
        sync["status"] == "pending"
        and "moving from Jenkins controller 'east' to 'default'" in sync["message"]
    )
    result = worker.poll()
    assert result is not None and not result.errors and not result.retry, result
    assert folders(west) == {"minas-tirith", "edoras"} and folders(east) == set()
    west_client = pyjenkins.Jenkins(west.url, username=west.admin_user, password=west.admin_token)
    assert "placed here" in west_client.get_job_config("edoras/app")  # the definition came along
    assert credentials(west, "edoras") == {"git"} | kubeconfigs
    assert api.get(f"{P}/edoras").json["sync"]["status"] == "synced"
    assert worker.poll() is None  # nothing left to do
    audit = api.get("/api/v1/audit?action=project.write").json["items"]
    assert [(e["method"], e["project"], e["outcome"]) for e in audit] == [("PATCH", "edoras", "success")]


def test_a_push_starts_the_run_on_the_projects_controller(
    api: ApiClient, worker: Worker, west: SandboxJenkins, east: SandboxJenkins
) -> None:
    register_secret(SECRET)
    assert api.post("/api/v1/workspaces", WS).status_code == 201
    for project, cluster in (("edoras", "rohan"), ("minas-tirith", "gondor")):
        assert api.post(P, {"name": project, "workspace": WS["name"], "cluster": cluster}).status_code == 201
        body = {
            "name": "app",
            "jenkinsfile": SCRIPT,
            "webhook": {"repo_url": f"git@github.com:acme/{project}.git", "secret": SECRET},
        }
        assert api.post(f"{P}/{project}/pipelines", body).status_code == 201
    worker.poll()
    s = load("github-push")
    doc = s.doc()
    doc["repository"] = doc["repository"] | {
        "ssh_url": "git@github.com:acme/edoras.git",
        "clone_url": "https://github.com/acme/edoras.git",
        "html_url": "https://github.com/acme/edoras",
        "git_url": "git://github.com/acme/edoras.git",
        "url": "https://github.com/acme/edoras",
    }
    s = s.with_body(doc).with_headers(X_GitHub_Delivery="to-east")
    response = api.client.post("/webhooks/github", data=s.body, headers=s.headers)
    assert response.status_code == 202, response.json
    result = worker.dispatch()
    assert isinstance(result, DispatchResult) and result.started == 1, result
    client = pyjenkins.Jenkins(east.url, username=east.admin_user, password=east.admin_token)
    wait_until(
        lambda: client.get_build_info("edoras/app", 1).get("result") == "SUCCESS",
        what="the pushed run on east",
        retry_on=(pyjenkins.JenkinsException,),
    )
    west_client = pyjenkins.Jenkins(west.url, username=west.admin_user, password=west.admin_token)
    assert west_client.get_job_info("minas-tirith/app")["builds"] == []


def test_moving_away_leaves_a_folder_the_bridge_does_not_own(
    api: ApiClient, worker: Worker, west: SandboxJenkins, east: SandboxJenkins
) -> None:
    """A hand-made folder of the same name on the old controller is a conflict there and stays after the
    move: only the bridge's own folder is deleted."""
    folder = "com.cloudbees.hudson.plugins.folder.Folder"
    hand_made = f'<{folder} plugin="cloudbees-folder"><description>by hand</description></{folder}>'
    east_client = pyjenkins.Jenkins(east.url, username=east.admin_user, password=east.admin_token)
    east_client.create_job("edoras", hand_made)
    assert api.post("/api/v1/workspaces", WS).status_code == 201
    declare(api, "edoras", "rohan")
    worker.poll()
    sync = api.get(f"{P}/edoras").json["sync"]
    assert sync["status"] == "error" and "not managed by the bridge" in sync["message"]

    assert api.patch(f"{P}/edoras", {"cluster": "gondor"}).status_code == 200
    result = worker.poll()
    assert result is not None and not result.retry
    assert folders(west) == {"edoras"} and api.get(f"{P}/edoras").json["sync"]["status"] == "synced"
    assert "by hand" in east_client.get_job_config("edoras")  # left where it was, untouched
    assert east.faults.seen(r"doDelete$") == 0
