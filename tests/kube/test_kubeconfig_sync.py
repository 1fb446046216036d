"""Kubeconfig sync on the real apiservers: the seed's clusters ``rohan``, ``gondor`` and ``shire`` as
KubeSphere ``Cluster`` objects on ``host``, watched into the inventory, synced by the real worker into
the sandbox Jenkins; each stored kubeconfig is read back from the sandbox and used to call ``/version``
on the apiserver it names."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from bridge.adapters.kube.kubesphere import CLUSTER_API, KubeSphereSource
from bridge.adapters.kube.reachability import api_client_for
from bridge.bootstrap import Container
from bridge.inventory.runner import InventoryRunner
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from tests.clusters.kubesync_support import KubeSync, env, settings, start_kubesync
from tests.fixtures.app import ApiClient
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
)

pytestmark = pytest.mark.kube
__all__ = ["env", "settings"]  # fixtures, used by name
SEED = ("rohan", "gondor", "shire")


@pytest.fixture
def seeded(
    kube_host: KubeCluster,
    kube_clusters: Mapping[str, KubeCluster],
    api: ApiClient,
    container: Container,
    settings: Settings,
    sandbox_jenkins: SandboxJenkins,
) -> Iterator[KubeSync]:
    """The three seed clusters as Cluster objects on host, the KubeSphere source watching them into
    the inventory (with the sync's change listener), and the worker over the sandbox Jenkins."""
    register_kubeconfigs(*(kube_clusters[n] for n in SEED))
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    for name in SEED:
        with contextlib.suppress(ApiException):
            custom.delete_cluster_custom_object(*CLUSTER_API, name)
        custom.create_cluster_custom_object(
            *CLUSTER_API, cluster_object(name, kube_clusters[name], devops=True)
        )
    sync = start_kubesync(api, container, settings, sandbox_jenkins)
    source = KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW)
    runner = InventoryRunner(inventory=sync.inventory, sources=[source]).start()
    try:
        yield sync
    finally:
        runner.stop()
        for name in SEED:
            with contextlib.suppress(ApiException):
                custom.delete_cluster_custom_object(*CLUSTER_API, name)


def polled_until(sync: KubeSync, check: Callable[[], bool], what: str) -> None:
    """Poll (as the worker does every poll interval) until ``check`` holds."""
    eventually(lambda: (sync.worker.poll(), check())[1], timeout=20, what=what)


def version_through(kubeconfig: str) -> str:
    with api_client_for(kubeconfig) as api:
        return str(k8s.VersionApi(api).get_code().git_version)


def token_kubeconfig(cluster: KubeCluster, token: str) -> str:
    """Another valid kubeconfig for ``cluster``: a service account token instead of the client cert."""
    config: dict[str, Any] = copy.deepcopy(dict(cluster.kubeconfig_dict))
    config["users"][0]["user"] = {"token": token}
    text = yaml.safe_dump(config)
    register_secret(text)
    return text


def test_seed_clusters_reach_each_entitled_folder_and_follow_every_change(
    seeded: KubeSync, kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    sync, api = seeded, seeded.api
    assert api.post(W, {"name": "middle-earth", "clusters": list(SEED)}).status_code == 201
    assert api.post(W, {"name": "hobbits", "clusters": ["shire"]}).status_code == 201
    assert api.post(W, {"name": "elsewhere"}).status_code == 201
    for project, workspace, cluster in (
        ("fellowship", "middle-earth", "gondor"),
        ("council", "middle-earth", None),
        ("bagend", "hobbits", None),
        ("outsider", "elsewhere", None),
    ):
        body = {"name": project, "workspace": workspace} | ({"cluster": cluster} if cluster else {})
        assert api.post(P, body).status_code == 201, project

    polled_until(sync, lambda: sync.ids("fellowship") == set(SEED), "the three kubeconfigs in the folder")
    polled_until(sync, lambda: sync.ids("council") == set(SEED), "the second project's folder")
    for name in SEED:  # the stored copy reaches the right apiserver
        stored = sync.kubeconfig_in("fellowship", name)
        assert stored is not None and sync.kubeconfig_in("council", name) == stored
        assert yaml.safe_load(stored)["clusters"][0]["cluster"]["server"] == kube_clusters[name].server
        assert version_through(stored).startswith("v1.")
    assert sync.ids("bagend") == {"shire"} and sync.ids("outsider") == set()
    listed = sync.clusters_of("fellowship")
    assert {n: i["status"] for n, i in listed.items()} == dict.fromkeys(SEED, "synced")

    # rohan's kubeconfig rotates on host: the watch announces it, the next poll writes it everywhere
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    token = sa_token(kube_clusters["rohan"])
    rotated = token_kubeconfig(kube_clusters["rohan"], token)
    writes_before = sync.writes
    custom.patch_cluster_custom_object(
        *CLUSTER_API, "rohan", {"spec": {"connection": {"kubeconfig": b64(rotated)}}}
    )

    def uses_token(project: str) -> bool:
        stored = sync.kubeconfig_in(project, "rohan") or ""
        return yaml.safe_load(stored)["users"][0]["user"].get("token") == token

    polled_until(sync, lambda: uses_token("fellowship") and uses_token("council"), "rotation in both folders")
    assert sync.writes - writes_before == 2  # one write per entitled folder
    assert sync.kubeconfig_in("fellowship", "rohan") == sync.kubeconfig_in("council", "rohan")
    assert version_through(sync.kubeconfig_in("council", "rohan") or "").startswith("v1.")
    generation = sync.container.clusters.catalog.state("rohan").generation  # type: ignore[union-attr]
    assert sync.clusters_of("council")["rohan"]["synced_generation"] == generation

    # shire leaves middle-earth: removed from its folders only, the hobbits keep it
    assert api.patch(f"{W}/middle-earth", {"clusters": ["rohan", "gondor"]}).status_code == 200
    polled_until(sync, lambda: "shire" not in sync.ids("fellowship") | sync.ids("council"), "shire removed")
    assert sync.ids("bagend") == {"shire"}

    # DevOps disabled on gondor: removed
    custom.patch_cluster_custom_object(*CLUSTER_API, "gondor", {"status": {"configz": {"devops": False}}})
    polled_until(sync, lambda: sync.ids("fellowship") == sync.ids("council") == {"rohan"}, "gondor removed")
    assert set(sync.clusters_of("fellowship")) == {"rohan"}
    assert sync.ids("outsider") == set()  # never saw any of them
