"""Deploy targets and their preflight on the real apiservers: the seed's clusters ``rohan``, ``gondor`` and
``shire`` as KubeSphere ``Cluster`` objects on ``host``, watched into the inventory; pipelines declare the
seed's targets through the API and the worker's preflight job checks each namespace through the
cluster's kubeconfig (creating it when the target asks)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from bridge.adapters.kube.kubesphere import CLUSTER_API, KubeSphereSource
from bridge.bootstrap import Container, build_worker, run_worker
from bridge.domain.clusters import SourceKind
from bridge.domain.targets import CREATED_BY_LABEL, CREATED_BY_VALUE, REQUESTED_FOR_ANNOTATION
from bridge.identity.token_store import TokenStore
from bridge.inventory.inventory import Inventory
from bridge.inventory.runner import InventoryRunner
from bridge.reconcile.preflight import PreflightResult
from bridge.reconcile.worker import Worker
from bridge.settings import Settings
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.kube import KubeCluster
from tests.fixtures.leaks import register_secret
from tests.kube.inventory_support import (
    WINDOW,
    P,
    W,
    b64,
    cluster_object,
    eventually,
    register_kubeconfigs,
    sa_token,
    uid,
)
from tests.reconcile.doubles import FakeJenkins
from tests.waiting import wait_until

pytestmark = pytest.mark.kube
SEED = ("rohan", "gondor", "shire")
DEMO = f"{P}/multicluster-demo/pipelines"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # an inventory is configured: a workspace may only name the clusters it holds
    return make_settings(
        tmp_path,
        BRIDGE_CLUSTERS_SOURCES="kubesphere",
        BRIDGE_RECONCILE_POLL_INTERVAL="0.3",
        BRIDGE_CLUSTERS_PREFLIGHT_INTERVAL="1",
    )


@pytest.fixture
def world(
    kube_host: KubeCluster,
    kube_clusters: Mapping[str, KubeCluster],
    container: Container,
    settings: Settings,
) -> Iterator[tuple[Worker, list[str]]]:
    """The seed clusters on host, watched into the inventory (with the preflight's change listener as
    the composition root subscribes it), and the real worker. Yields the worker and a list the test
    appends the names of its extra Cluster objects to (deleted afterwards)."""
    register_kubeconfigs(*(kube_clusters[n] for n in SEED))
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    extra: list[str] = []
    for name in SEED:
        with contextlib.suppress(ApiException):
            custom.delete_cluster_custom_object(*CLUSTER_API, name)
        custom.create_cluster_custom_object(
            *CLUSTER_API, cluster_object(name, kube_clusters[name], devops=True)
        )
    worker = build_worker(settings, desired=container.desired, jenkins=container.jenkins)
    assert worker.preflight is not None
    inventory = Inventory(container.clusters.catalog, sources=[SourceKind.KUBESPHERE], placements=True)
    inventory.subscribe(worker.preflight.on_change)
    source = KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW)
    runner = InventoryRunner(inventory=inventory, sources=[source]).start()
    catalog = container.clusters.catalog
    eventually(
        lambda: {s.record.name for s in catalog.states()} >= set(SEED), what="the seed clusters listed"
    )
    try:
        yield worker, extra
    finally:
        runner.stop()
        for name in (*SEED, *extra):
            with contextlib.suppress(ApiException):
                custom.delete_cluster_custom_object(*CLUSTER_API, name)


def ensure_namespace(cluster: KubeCluster, name: str) -> None:
    """What the seed asks users to do by hand before the pipeline deploys."""
    with cluster.api_client() as api, contextlib.suppress(ApiException):
        k8s.CoreV1Api(api).create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))


def read_namespace(cluster: KubeCluster, name: str) -> Any:
    with cluster.api_client() as api:
        try:
            return k8s.CoreV1Api(api).read_namespace(name)
        except ApiException as e:
            if e.status == 404:
                return None
            raise


def targets(api: ApiClient, pipeline: str) -> dict[tuple[str, str], dict[str, Any]]:
    r = api.get(f"{DEMO}/{pipeline}/targets")
    assert r.status_code == 200, r.json
    return {(i["cluster"], i["namespace"]): i for i in r.json["items"]}


def checked(worker: Worker) -> PreflightResult:
    result = worker.check_targets()
    assert result is not None
    return result


def token_cluster(name: str, member: KubeCluster, token: str) -> dict[str, Any]:
    """A Cluster object for ``member`` whose kubeconfig authenticates with a service account token."""
    config: dict[str, Any] = copy.deepcopy(dict(member.kubeconfig_dict))
    config["users"][0]["user"] = {"token": token}
    text = yaml.safe_dump(config)
    register_secret(text)
    body = cluster_object(name, member, devops=True)
    body["spec"]["connection"]["kubeconfig"] = b64(text)
    return body


def test_seed_targets_are_checked_created_and_refused_outside_the_workspace(
    world: tuple[Worker, list[str]], api: ApiClient, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    worker, _ = world
    # a workspace may only name clusters the inventory holds
    r = api.post(W, {"name": "multicluster", "clusters": ["rohan", "gondor", "shire", "mordor"]})
    assert r.status_code == 400 and "mordor" in r.json["detail"], r.json
    assert api.post(W, {"name": "multicluster", "clusters": list(SEED)}).status_code == 201
    body = {"name": "multicluster-demo", "workspace": "multicluster", "cluster": "gondor"}
    assert api.post(P, body).status_code == 201

    # the seed: dev and test namespaces were made by hand, prod on shire is left to the bridge
    ensure_namespace(kube_clusters["rohan"], "kubesphere-sample-dev")
    ensure_namespace(kube_clusters["gondor"], "kubesphere-sample-prod")
    shire_had_it = read_namespace(kube_clusters["shire"], "kubesphere-sample-prod") is not None
    missing = uid("not-there")
    seed_targets = [
        {"cluster": "rohan", "namespace": "kubesphere-sample-dev"},
        {"cluster": "gondor", "namespace": "kubesphere-sample-prod"},
        {"cluster": "shire", "namespace": "kubesphere-sample-prod", "create_namespace": True},
        {"cluster": "rohan", "namespace": missing},
    ]
    r = api.post(DEMO, {"name": "deploy", "jenkinsfile": "echo hi", "targets": seed_targets})
    assert r.status_code == 201, r.json
    assert [t["cluster"] for t in r.json["targets"]] == ["rohan", "gondor", "shire", "rohan"]
    # the API request never asks a cluster: every target waits for the worker
    assert {t["status"] for t in targets(api, "deploy").values()} == {"pending"}

    result = checked(worker)
    assert result.checked == 4 and result.created == (0 if shire_had_it else 1)
    seen = targets(api, "deploy")
    assert seen["rohan", "kubesphere-sample-dev"]["status"] == "ok"
    assert seen["gondor", "kubesphere-sample-prod"]["status"] == "ok"
    assert seen["shire", "kubesphere-sample-prod"]["status"] == "ok"
    assert seen["rohan", missing]["status"] == "missing" and missing in seen["rohan", missing]["error"]
    assert all(t["checked_at"] for t in seen.values())
    made = read_namespace(kube_clusters["shire"], "kubesphere-sample-prod")
    assert made is not None
    if not shire_had_it:
        assert made.metadata.labels[CREATED_BY_LABEL] == CREATED_BY_VALUE
        assert made.metadata.annotations[REQUESTED_FOR_ANNOTATION] == "multicluster-demo/deploy"
        assert seen["shire", "kubesphere-sample-prod"]["namespace_created"] is True
    # the missing namespace was reported, not created, and a run with nothing requested checks nothing
    assert read_namespace(kube_clusters["rohan"], missing) is None
    assert checked(worker).checked == 0

    # the option on the missing target: checked again, created, labelled
    patched = [*seed_targets[:3], {"cluster": "rohan", "namespace": missing, "create_namespace": True}]
    assert api.patch(f"{DEMO}/deploy", {"targets": patched}).status_code == 200
    assert targets(api, "deploy")["rohan", missing]["status"] == "pending"
    assert targets(api, "deploy")["gondor", "kubesphere-sample-prod"]["status"] == "ok"  # unchanged: kept
    result = checked(worker)
    assert result.checked == 1 and result.created == 1
    item = targets(api, "deploy")["rohan", missing]
    assert item["status"] == "ok" and item["namespace_created"] is True and item["error"] is None
    labels = read_namespace(kube_clusters["rohan"], missing).metadata.labels
    assert labels[CREATED_BY_LABEL] == CREATED_BY_VALUE

    # a target on a cluster outside the workspace is refused, naming the allowed clusters
    assert api.post(W, {"name": "dev-only", "clusters": ["rohan"]}).status_code == 201
    assert api.post(P, {"name": "dev-proj", "workspace": "dev-only"}).status_code == 201
    outside = {"name": "to-prod", "jenkinsfile": "echo", "targets": [{"cluster": "gondor", "namespace": "x"}]}
    r = api.post(f"{P}/dev-proj/pipelines", outside)
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert r.json["errors"][0]["field"] == "targets[0].cluster"
    assert "'gondor'" in r.json["errors"][0]["message"] and "allowed: rohan" in r.json["errors"][0]["message"]
    assert api.get(f"{P}/dev-proj/pipelines/to-prod").status_code == 404  # nothing stored

    # shire leaves the workspace: its target is reported as not allowed (not removed, not refused)
    assert api.patch(f"{W}/multicluster", {"clusters": ["rohan", "gondor"]}).status_code == 200
    assert checked(worker).checked == 4  # the workspace change asked for every target of its projects
    item = targets(api, "deploy")["shire", "kubesphere-sample-prod"]
    assert item["status"] == "not_allowed" and "allowed: gondor, rohan" in item["error"]
    assert targets(api, "deploy")["rohan", "kubesphere-sample-dev"]["status"] == "ok"
    # a change of the pipeline that keeps the target is accepted; adding one there is refused
    assert api.patch(f"{DEMO}/deploy", {"description": "still deploys"}).status_code == 200
    again = [*patched, {"cluster": "shire", "namespace": "other"}]
    assert api.patch(f"{DEMO}/deploy", {"targets": again}).status_code == 400

    # the periodic pass checks every target again
    assert worker.check_targets(every=True).checked == 4  # type: ignore[union-attr]

    # the project moves to a workspace without gondor: its targets are checked again at once
    assert api.patch(f"{P}/multicluster-demo", {"workspace": "dev-only", "cluster": None}).status_code == 200
    assert checked(worker).checked == 4
    seen = targets(api, "deploy")
    assert seen["gondor", "kubesphere-sample-prod"]["status"] == "not_allowed"
    assert seen["rohan", "kubesphere-sample-dev"]["status"] == "ok"


def test_forbidden_then_fixed_by_a_rotation_seen_through_the_watch(
    world: tuple[Worker, list[str]],
    api: ApiClient,
    kube_host: KubeCluster,
    kube_clusters: Mapping[str, KubeCluster],
    container: Container,
) -> None:
    worker, extra = world
    name = uid("rohan-ro")
    extra.append(name)
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    member = kube_clusters["rohan"]
    # a kubeconfig whose service account has no rights at all
    custom.create_cluster_custom_object(*CLUSTER_API, token_cluster(name, member, sa_token(member)))
    catalog = container.clusters.catalog
    eventually(lambda: catalog.state(name) is not None, what="the cluster listed")
    assert api.post(W, {"name": "multicluster", "clusters": ["rohan", name]}).status_code == 201
    assert api.post(P, {"name": "multicluster-demo", "workspace": "multicluster"}).status_code == 201
    ensure_namespace(member, "kubesphere-sample-dev")
    body = {
        "name": "deploy",
        "jenkinsfile": "echo",
        "targets": [{"cluster": name, "namespace": "kubesphere-sample-dev"}],
    }
    assert api.post(DEMO, body).status_code == 201
    checked(worker)
    item = targets(api, "deploy")[name, "kubesphere-sample-dev"]
    assert item["status"] == "forbidden" and "403" in item["error"]

    # the cluster's kubeconfig rotates to the admin one: the watch hears it, the listener asks for a check
    full = yaml.safe_dump(dict(member.kubeconfig_dict))
    custom.patch_cluster_custom_object(
        *CLUSTER_API, name, {"spec": {"connection": {"kubeconfig": b64(full)}}}
    )

    def fixed() -> bool:
        checked(worker)
        return bool(targets(api, "deploy")[name, "kubesphere-sample-dev"]["status"] == "ok")

    eventually(fixed, what="the target checked again after the rotation")

    # the cluster leaves the inventory: its target is unreachable (no kubeconfig to ask with)
    custom.delete_cluster_custom_object(*CLUSTER_API, name)
    eventually(lambda: catalog.state(name) is None, what="the cluster gone")

    def unreachable() -> bool:  # the inventory's change notice may reach the preflight a poll later
        checked(worker)
        return bool(targets(api, "deploy")[name, "kubesphere-sample-dev"]["status"] == "unreachable")

    eventually(unreachable, what="the target checked again after the cluster left")
    item = targets(api, "deploy")[name, "kubesphere-sample-dev"]
    assert "not in the inventory" in item["error"]


def test_a_viewer_of_another_workspace_sees_no_targets(
    world: tuple[Worker, list[str]], api: ApiClient, app: Flask, container: Container
) -> None:
    assert api.post(W, {"name": "multicluster", "clusters": list(SEED)}).status_code == 201
    assert api.post(W, {"name": "hobbits", "clusters": ["shire"]}).status_code == 201
    assert api.post(P, {"name": "multicluster-demo", "workspace": "multicluster"}).status_code == 201
    assert api.post(P, {"name": "bagend", "workspace": "hobbits"}).status_code == 201
    body = {"name": "deploy", "jenkinsfile": "echo", "targets": [{"cluster": "gondor", "namespace": "ns"}]}
    assert api.post(DEMO, body).status_code == 201
    assert api.post(f"{P}/bagend/members", {"subject": "sam", "role": "viewer"}).status_code == 200
    assert (
        api.post(f"{P}/multicluster-demo/members", {"subject": "vera", "role": "viewer"}).status_code == 200
    )
    tokens = TokenStore(container.store.engine)
    clients = {}
    for user in ("sam", "vera"):
        token = tokens.create(user=user, groups=(), created_by="test").token
        register_secret(token)
        clients[user] = ApiClient(app.test_client(), token=token)
    assert clients["sam"].get(f"{DEMO}/deploy/targets").status_code == 404
    assert clients["sam"].get(f"{DEMO}/deploy").status_code == 404
    r = clients["vera"].get(f"{DEMO}/deploy/targets")
    assert r.status_code == 200 and [i["cluster"] for i in r.json["items"]] == ["gondor"]
    # a viewer may read targets, not declare them
    assert clients["vera"].patch(f"{DEMO}/deploy", {"targets": []}).status_code == 403


def test_the_scheduled_worker_checks_new_targets_and_every_target_periodically(
    world: tuple[Worker, list[str]],
    api: ApiClient,
    container: Container,
    settings: Settings,
    kube_clusters: Mapping[str, KubeCluster],
) -> None:
    assert api.post(W, {"name": "multicluster", "clusters": list(SEED)}).status_code == 201
    assert api.post(P, {"name": "multicluster-demo", "workspace": "multicluster"}).status_code == 201
    ensure_namespace(kube_clusters["gondor"], "kubesphere-sample-prod")
    handle = run_worker(settings, desired=container.desired, jenkins=FakeJenkins(), block=False)
    assert handle is not None
    try:
        assert {"preflight", "preflight-all"} <= {j.id for j in handle.scheduler.get_jobs()}
        body = {
            "name": "deploy",
            "jenkinsfile": "echo",
            "targets": [{"cluster": "gondor", "namespace": "kubesphere-sample-prod"}],
        }
        assert api.post(DEMO, body).status_code == 201
        key = ("gondor", "kubesphere-sample-prod")
        wait_until(
            lambda: targets(api, "deploy")[key]["status"] == "ok", what="the poll job to check the new target"
        )
        first = targets(api, "deploy")[key]["checked_at"]
        wait_until(
            lambda: targets(api, "deploy")[key]["checked_at"] != first,
            what="the periodic job to check it again, unrequested",
        )
    finally:
        handle.stop()
