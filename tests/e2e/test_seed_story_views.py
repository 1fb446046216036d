"""The seed story's last views, on the real apiservers (``rohan``, ``gondor``, ``shire``) and with scoped
credentials: the pipeline declares the seed's deploy targets, the run's ``sonarqube analysis`` stage is
analysed by the sandbox SonarQube and its report read through the bridge, and after the production
approval the workloads of each cluster are listed with the run's image.

The sandbox Jenkins traces ``sh`` steps without executing them, so ``kubectl apply`` deploys nothing: when
a deploy stage has run, the test applies the Deployments the seed's manifests describe
(``bridge.cli.demo.deploy``) with the kubeconfig read back from the project's folder credential in the
sandbox Jenkins: the project's scoped, short-lived token is what deploys."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from bridge.bootstrap import Container, build_approval_jobs, build_run_follower
from bridge.cli.demo.deploy import DEPLOYS, DEV, PROD, REPOSITORY, SeedManifest, apply, seed_image
from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from bridge.sandbox.sonarqube import Condition, Issue, Profile, SandboxSonarQube
from bridge.settings import Settings
from tests.clusters.kubesync_support import KubeSync
from tests.e2e.approvals_support import (
    DOCKER_PASSWORD,
    PIPE,
    PIPELINE,
    PROJECT,
    SEED,
    SONAR_TOKEN,
    USERS,
    Story,
    declare_project,
)
from tests.e2e.conftest import P
from tests.e2e.runs_support import run_settings
from tests.fixtures.kube import KubeCluster
from tests.fixtures.leaks import register_secret
from tests.fixtures.sandbox import SandboxFactory
from tests.fixtures.sonarqube import sonar_jenkins
from tests.kube.scoped_support import SCOPED_ENV, converge, ensure_namespace, seeded, token_of
from tests.waiting import wait_until

pytestmark = pytest.mark.kube
__all__ = ["seeded"]  # a fixture, used by name
KEY = f"io.jenkins.sandbox:{PIPELINE}"
TARGETS = [
    {"cluster": "rohan", "namespace": DEV.namespace},
    {"cluster": "gondor", "namespace": PROD.namespace},
    {"cluster": "shire", "namespace": PROD.namespace},
]
PROFILE = Profile(
    issues=(
        Issue(
            "java:S2068",
            "VULNERABILITY",
            "BLOCKER",
            "src/main/java/io/kubesphere/devops/Config.java",
            21,
            "Hard-coded password",
        ),
        Issue(
            "java:S1118",
            "CODE_SMELL",
            "MAJOR",
            "src/main/java/io/kubesphere/devops/Application.java",
            8,
            "Ctor",
        ),
    ),
    measures={"coverage": "83.4", "duplicated_lines_density": "0.0", "ncloc": "132"},
    new_measures={"new_coverage": "90.0"},
    conditions=(Condition("new_coverage", "LT", "80"),),
)


@pytest.fixture
def sandbox_jenkins(
    sandbox_jenkins_factory: SandboxFactory, sandbox_sonarqube: SandboxSonarQube
) -> SandboxJenkins:
    """The seed story's Jenkins whose agents reach the sandbox SonarQube as installation ``sonar``; the
    project's ``sonar-token`` is a token SonarQube knows (Execute Analysis only)."""
    users = [UserSpec(u, password=f"{u}-pw-1") for u in USERS]
    return sonar_jenkins(sandbox_jenkins_factory, sandbox_sonarqube, SONAR_TOKEN, KEY, PROFILE, users=users)


@pytest.fixture
def settings(
    tmp_path: Path, sandbox_jenkins: SandboxJenkins, sandbox_sonarqube: SandboxSonarQube
) -> Settings:
    register_secret(DOCKER_PASSWORD, SONAR_TOKEN, sandbox_sonarqube.admin_token)
    return run_settings(
        tmp_path,
        sandbox_jenkins,
        BRIDGE_JENKINS_ATTRIBUTION="parameter",
        BRIDGE_JENKINS_KUBECONFIG_CREDENTIAL_MODE="kubeconfig-plugin",
        BRIDGE_JENKINS_SONAR_URL=sandbox_sonarqube.url,
        BRIDGE_JENKINS_SONAR_TOKEN=sandbox_sonarqube.admin_token,
        **SCOPED_ENV,
    )


@pytest.fixture
def deployed(kube_clusters: Mapping[str, KubeCluster]) -> Iterator[None]:
    """The seed's namespaces exist (made by hand, as the seed says); its Deployments go afterwards (the
    apiservers are shared by the whole session)."""
    for cluster, manifest in DEPLOYS.values():
        ensure_namespace(kube_clusters[cluster], manifest.namespace)
    yield
    for cluster, manifest in DEPLOYS.values():
        with kube_clusters[cluster].api_client() as admin, contextlib.suppress(ApiException):
            k8s.AppsV1Api(admin).delete_namespaced_deployment(manifest.name, manifest.namespace)


def folder_kubeconfig(sync: KubeSync, cid: str) -> str | None:
    """The kubeconfig the sandbox Jenkins holds in the project's folder (kubernetes-cd credential)."""
    values = sync.stored(PROJECT, cid)
    if values is None:
        return None
    text = values.get("content") or base64.b64decode(values.get("secretBytes", "")).decode("utf-8")
    register_secret(text, token_of(text) or text)
    return text


def scoped_kubeconfigs(sync: KubeSync) -> dict[str, str] | None:
    found = {c: folder_kubeconfig(sync, c) for c in ("rohan", "gondor", "shire")}
    if any(v is None or token_of(v) is None for v in found.values()):
        return None
    return {c: v for c, v in found.items() if v is not None}


def declare(sync: KubeSync, container: Container, settings: Settings) -> Story:
    """The seed's set-up through the API on the real clusters: workspace, project placed on gondor,
    members, credentials, and the seed's pipeline with its three deploy targets."""
    api = sync.api
    people = declare_project(api, container, {"name": PIPELINE, "jenkinsfile": SEED, "targets": TARGETS})
    follower = build_run_follower(settings, container.store, container.run_service)
    assert container.approvals is not None
    return Story(
        api, container, sync.sandbox, sync, follower, build_approval_jobs(container.approvals), people
    )


def _stages(detail: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["status"] for s in detail["stages"]}


def test_the_seed_story_shows_its_code_quality_and_the_workloads_it_deployed_with_scoped_credentials(
    seeded: KubeSync,
    container: Container,
    settings: Settings,
    kube_clusters: Mapping[str, KubeCluster],
    sandbox_sonarqube: SandboxSonarQube,
    deployed: None,
) -> None:
    sync, api = seeded, seeded.api
    story = declare(sync, container, settings)
    kubeconfigs = converge(sync, lambda: scoped_kubeconfigs(sync), "scoped kubeconfigs in the folder")
    for name, text in kubeconfigs.items():  # the project's own token, never the cluster's credentials
        assert set(yaml.safe_load(text)["users"][0]["user"]) == {"token"}
        assert token_of(text) not in (kube_clusters[name].kubeconfig_dict["users"][0]["user"].get("token"),)
    clusters = {i["cluster"]: i for i in api.get(f"{P}/{PROJECT}/clusters").json["items"]}
    assert {c: (i["policy"], i["namespaces"]) for c, i in clusters.items()} == {
        "rohan": ("scoped", [DEV.namespace]),
        "gondor": ("scoped", [PROD.namespace]),
        "shire": ("scoped", [PROD.namespace]),
    }
    declared = api.get(f"{PIPE}/targets").json["items"]
    assert sorted((t["cluster"], t["namespace"]) for t in declared) == sorted(
        (t["cluster"], t["namespace"]) for t in TARGETS
    )

    number = story.start("alice")
    image = seed_image(number)

    def deploy(stage: str) -> None:
        """The stage's ``kubectl apply``, with the kubeconfig the run bound from the folder."""
        cluster, manifest = DEPLOYS[stage]

        def done() -> bool:
            story.tick()
            return _stages(story.run(number)).get(stage) == "succeeded"

        wait_until(done, what=f"the run's '{stage}' stage to succeed", timeout=30)
        kubeconfig = folder_kubeconfig(sync, cluster)
        assert kubeconfig is not None and token_of(kubeconfig) == token_of(kubeconfigs[cluster])
        assert apply(kubeconfig, manifest, image) == "created"

    story.wait_input(number, "Deploy-to-staging")
    deploy("deploy to dev")
    r = story.people["bob"].post(f"{PIPE}/runs/{number}/inputs/Deploy-to-staging/approve")
    assert r.status_code == 200, r.json
    story.wait_input(number, "Deploy-to-production")
    deploy("deploy to staging")
    # before the production approval, shire runs nothing of this run
    before = {
        (t["cluster"], t["namespace"]): t for t in api.get(f"{PIPE}/runs/{number}/targets").json["items"]
    }
    assert before["rohan", DEV.namespace]["running"] is True
    assert before["gondor", PROD.namespace]["running"] is True
    assert before["shire", PROD.namespace]["running"] is False
    r = story.people["carol"].post(f"{PIPE}/runs/{number}/inputs/Deploy-to-production/approve", {})
    assert r.status_code == 200, r.json
    final = story.wait_status(number, "succeeded")
    assert set(_stages(final).values()) == {"succeeded"}
    deploy("deploy to production")

    # the scoped token deploys only where the project may: not into another namespace
    with pytest.raises(ApiException) as refused:
        apply(kubeconfigs["shire"], SeedManifest("ks-sample", "ks", "default", 1), image)
    assert refused.value.status == 403

    # the Code Quality tab: the analysis of the "sonarqube analysis" stage, read from SonarQube
    report = wait_until(
        lambda: (
            (r := api.get(f"{PIPE}/runs/{number}/code-quality")).status_code == 200
            and r.json["status"] == "SUCCESS"
            and r.json
        ),
        what="the analysis to be processed",
        timeout=15,
    )
    assert report["run"] == number and report["installation"] == "sonar" and report["project_key"] == KEY
    assert report["gate"] == "OK"
    assert report["conditions"] == [
        {"metric": "new_coverage", "status": "OK", "comparator": "LT", "threshold": "80", "actual": "90.0"}
    ]
    m = report["measures"]
    assert (m["bugs"], m["vulnerabilities"], m["code_smells"]) == ("0", "1", "1")
    assert (m["coverage"], m["duplications"], m["lines_of_code"]) == ("83.4", "0.0", "132")
    assert [(i["severity"], i["file"], i["line"]) for i in report["issues"]] == [
        ("BLOCKER", "src/main/java/io/kubesphere/devops/Config.java", 21),
        ("MAJOR", "src/main/java/io/kubesphere/devops/Application.java", 8),
    ]
    assert api.get(f"{PIPE}/code-quality").json == report
    assert SONAR_TOKEN not in str(report) and sandbox_sonarqube.admin_token not in str(report)

    # the workloads per cluster, with the run's image
    for cluster, manifest in DEPLOYS.values():
        r = api.get(f"{PIPE}/targets/{cluster}/{manifest.namespace}/workloads")
        assert r.status_code == 200, r.json
        assert r.json["status"] == "ok", r.json
        (item,) = [w for w in r.json["items"] if w["name"] == manifest.name]
        assert item["kind"] == "Deployment" and item["desired"] == manifest.replicas
        assert item["images"] == [
            {
                "container": manifest.container,
                "image": image,
                "repository": REPOSITORY,
                "tag": f"SNAPSHOT-master-{number}",
                "digest": None,
            }
        ]
    after = {
        (t["cluster"], t["namespace"]): t for t in api.get(f"{PIPE}/runs/{number}/targets").json["items"]
    }
    assert {k: t["running"] for k, t in after.items()} == {
        ("rohan", DEV.namespace): True,
        ("gondor", PROD.namespace): True,
        ("shire", PROD.namespace): True,
    }
    (match,) = after["shire", PROD.namespace]["matches"]
    assert match["workload"] == PROD.name and set(match["values"]) == {"number", "BRANCH_NAME"}

    # the promotion history: the worker's job records the run running in each target
    assert sync.worker.observe_promotions() == 3
    history = api.get(f"{PIPE}/promotions").json["items"]
    assert sorted((h["cluster"], h["run"], h["image"]) for h in history) == [
        ("gondor", number, image),
        ("rohan", number, image),
        ("shire", number, image),
    ]
