"""The cluster inventory on the real apiservers, KubeSphere side: Cluster objects and WorkspaceTemplates
on ``host`` watched into the API within seconds, 410 Gone handled, the listing's tenancy, and static
kubeconfig files from the settings."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from bridge.adapters.kube.kubesphere import CLUSTER_API, KubeSphereSource
from bridge.adapters.kube.listwatch import Gone, ListWatch
from bridge.adapters.kube.reachability import api_client_for
from bridge.bootstrap import build_container, build_inventory
from tests.fixtures.app import make_settings
from tests.fixtures.kube import KubeCluster
from tests.kube.inventory_support import (
    WINDOW,
    C,
    P,
    Running,
    W,
    b64,
    cluster_object,
    eventually,
    register_kubeconfigs,
    start,
    uid,
)

pytestmark = pytest.mark.kube
__all__ = ["start"]  # the fixture, used by name


def test_kubesphere_clusters_reach_the_api_within_seconds_and_follow_changes(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster], start: Callable[..., Running]
) -> None:
    rohan, gondor = kube_clusters["rohan"], kube_clusters["gondor"]
    register_kubeconfigs(rohan, gondor)
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    name = uid("rohan")
    running = start(KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW))
    running.admin.post(W, {"name": "middle-earth", "clusters": [name]})

    custom.create_cluster_custom_object(*CLUSTER_API, cluster_object(name, rohan, devops=True))
    seen = eventually(lambda: running.cluster(name), what="the new Cluster in the API")
    assert seen["source"] == "kubesphere" and seen["devops_enabled"] is True and seen["ready"] is True
    assert seen["jenkins"] == "default" and seen["workspaces"] == ["middle-earth"]
    reached = eventually(
        lambda: (c := running.cluster(name)) and c["reachability"]["reachable"] and c, what="reachability"
    )
    assert reached["kubernetes_version"].startswith("v1.")
    assert reached["reachability"]["latency_ms"] > 0 and reached["reachability"]["error"] is None
    stored = running.container.clusters.catalog.kubeconfig(name)
    assert stored is not None
    with api_client_for(stored) as api:  # the stored kubeconfig reaches rohan, as admin
        assert any(ns.metadata.name == "default" for ns in k8s.CoreV1Api(api).list_namespace().items)

    # DevOps switched off on the member: shown within seconds, as a new generation
    patch = {"status": {"configz": {"devops": False}}}
    custom.patch_cluster_custom_object(*CLUSTER_API, name, patch)
    off = eventually(
        lambda: (c := running.cluster(name)) and not c["devops_enabled"] and c, what="devops off"
    )
    assert off["generation"] == 2 and off["jenkins"] is None

    # the kubeconfig rotates (here: it now points at gondor): the stored copy follows
    digest_before = running.container.clusters.catalog.state(name).digest  # type: ignore[union-attr]
    rotated = {"spec": {"connection": {"kubeconfig": b64(yaml.safe_dump(dict(gondor.kubeconfig_dict)))}}}
    custom.patch_cluster_custom_object(*CLUSTER_API, name, rotated)
    eventually(
        lambda: running.container.clusters.catalog.state(name).digest != digest_before,  # type: ignore[union-attr]
        what="rotation",
    )
    assert gondor.server in (running.container.clusters.catalog.kubeconfig(name) or "")

    custom.delete_cluster_custom_object(*CLUSTER_API, name)
    eventually(lambda: running.admin.get(f"{C}/{name}").status_code == 404, what="the deletion")


def test_a_stale_resource_version_is_410_gone_and_the_loop_lists_again(kube_host: KubeCluster) -> None:
    custom = k8s.CustomObjectsApi(kube_host.api_client())

    listed: list[set[str]] = []
    events: list[tuple[str, str]] = []
    watch = ListWatch(
        what="clusters",
        call=partial(custom.list_cluster_custom_object, *CLUSTER_API),
        on_list=lambda items: listed.append({i["metadata"]["name"] for i in items}),
        on_event=lambda kind, obj: events.append((kind, obj["metadata"]["name"])),
        watch_window=WINDOW,
    )
    with pytest.raises(Gone):
        watch.watch_once("1", window=WINDOW)  # far older than the apiserver's watch history

    stop = threading.Event()
    thread = threading.Thread(target=watch.run, args=(stop,), kwargs={"resource_version": "1"}, daemon=True)
    thread.start()
    try:
        eventually(lambda: watch.gone >= 1 and watch.lists >= 1, what="410 then a re-list")
        name = uid("after-gone")
        body = {"apiVersion": "cluster.kubesphere.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}}
        custom.create_cluster_custom_object(*CLUSTER_API, body)
        eventually(lambda: ("ADDED", name) in events, what="the watch resumed after the re-list")
        custom.delete_cluster_custom_object(*CLUSTER_API, name)
        eventually(lambda: ("DELETED", name) in events, what="the deletion event")
    finally:
        stop.set()
        watch.interrupt()
        thread.join(10)


def test_workspace_template_placement_and_the_listing_tenancy(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster], start: Callable[..., Running]
) -> None:
    rohan, gondor = kube_clusters["rohan"], kube_clusters["gondor"]
    register_kubeconfigs(rohan, gondor)
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    west, south, workspace = uid("west"), uid("south"), uid("fellowship")
    for name, member in ((west, rohan), (south, gondor)):
        custom.create_cluster_custom_object(*CLUSTER_API, cluster_object(name, member, devops=True))
    template = {
        "apiVersion": "tenant.kubesphere.io/v1alpha2",
        "kind": "WorkspaceTemplate",
        "metadata": {"name": workspace},
        "spec": {"template": {"spec": {"manager": "admin"}}, "placement": {"clusters": [{"name": west}]}},
    }
    custom.create_cluster_custom_object("tenant.kubesphere.io", "v1alpha2", "workspacetemplates", template)
    running = start(
        KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW), placements=True
    )
    admin = running.admin
    assert admin.post(W, {"name": workspace}).status_code == 201
    assert admin.post(W, {"name": "other-ws", "clusters": [south]}).status_code == 201
    assert admin.post(P, {"name": "ring", "workspace": workspace}).status_code == 201
    assert admin.post(P, {"name": "other", "workspace": "other-ws"}).status_code == 201
    assert admin.post(f"{P}/ring/members", {"subject": "frodo", "role": "viewer"}).status_code == 200
    assert admin.post(f"{P}/other/members", {"subject": "saruman", "role": "viewer"}).status_code == 200

    eventually(
        lambda: admin.get(f"{W}/{workspace}").json["available_clusters"] == [west], what="the placement"
    )
    frodo, saruman = running.as_user("frodo"), running.as_user("saruman")
    eventually(lambda: running.cluster(south), what="both clusters listed")
    assert [c["name"] for c in frodo.get(C).json["items"]] == [west]
    assert frodo.get(f"{C}/{south}").status_code == 404
    assert [c["name"] for c in saruman.get(C).json["items"]] == [south]
    assert saruman.get(f"{C}/{west}").status_code == 404

    # the placement changes in KubeSphere: the workspace (and frodo's view) follow within seconds
    patch = {"spec": {"placement": {"clusters": [{"name": west}, {"name": south}]}}}
    custom.patch_cluster_custom_object(
        "tenant.kubesphere.io", "v1alpha2", "workspacetemplates", workspace, patch
    )
    eventually(
        lambda: admin.get(f"{W}/{workspace}").json["available_clusters"] == sorted([west, south]),
        what="the placement change",
    )
    assert sorted(c["name"] for c in frodo.get(C).json["items"]) == sorted([west, south])
    assert frodo.get(f"{C}/{south}").json["workspaces"] == [workspace]  # not saruman's "other-ws"
    for name in (west, south):
        custom.delete_cluster_custom_object(*CLUSTER_API, name)
    custom.delete_cluster_custom_object("tenant.kubesphere.io", "v1alpha2", "workspacetemplates", workspace)


def test_static_kubeconfig_files_through_the_settings(
    kube_clusters: Mapping[str, KubeCluster], tmp_path: Path
) -> None:
    """``build_inventory`` wires the static source from settings; the flags apply per cluster."""
    shire, rohan = kube_clusters["shire"], kube_clusters["rohan"]
    register_kubeconfigs(shire, rohan)
    settings = make_settings(
        tmp_path,
        BRIDGE_CLUSTERS_SOURCES="static",
        BRIDGE_CLUSTERS_STATIC=f"shire={shire.kubeconfig_path},rohan={rohan.kubeconfig_path}#rohan",
        BRIDGE_CLUSTERS_STATIC_DEVOPS="rohan",
        BRIDGE_CLUSTERS_STATIC_HOST="shire",
        BRIDGE_CLUSTERS_PROBE_INTERVAL="1",
    )
    container = build_container(settings)
    runner = build_inventory(settings, container.store)
    assert runner is not None
    runner.start()
    try:

        def both_reachable() -> list[Any]:
            views = {v.state.record.name: v for v in container.clusters.list()}
            ok = all(v.state.reachability and v.state.reachability.reachable for v in views.values())
            return [views[n] for n in ("rohan", "shire")] if len(views) == 2 and ok else []

        rohan_view, shire_view = eventually(both_reachable, what="static clusters reachable")
        assert (shire_view.state.record.role.value, shire_view.state.record.devops) == ("host", False)
        assert (rohan_view.state.record.role.value, rohan_view.state.record.devops) == ("member", True)
        assert rohan_view.jenkins == "default" and shire_view.jenkins is None
        assert shire_view.state.record.origin == f"file {shire.kubeconfig_path}"
    finally:
        runner.stop()
        container.close()
