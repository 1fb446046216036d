"""KubeSphere host as an inventory source: ``Cluster`` objects and ``WorkspaceTemplate`` placements.

``clusters.cluster.kubesphere.io/v1alpha1`` (cluster-scoped, on the host): the kubeconfig is
``spec.connection.kubeconfig`` (base64 of YAML), the host carries the label
``cluster-role.kubesphere.io/host``, readiness is the ``Ready`` condition, and DevOps is enabled when
``status.configz.devops`` is true (KubeSphere 3.x fills ``configz`` from the member's ks-apiserver).
``workspacetemplates.tenant.kubesphere.io`` (``v1alpha2`` in 3.x, ``v1beta1`` in 4.x) give each
workspace's ``spec.placement``. Both are listed and watched (``ListWatch``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from functools import partial

from kubernetes import client as k8s

from bridge.adapters.kube.kubeconfigs import UnusableKubeconfig, from_base64
from bridge.adapters.kube.listwatch import ListWatch, Obj
from bridge.domain.clusters import ClusterRecord, ClusterRole, Placement, SourceKind, is_cluster_name
from bridge.inventory.ports import ClusterSink, Loop

log = logging.getLogger(__name__)

HOST_LABEL = "cluster-role.kubesphere.io/host"
CLUSTER_API = ("cluster.kubesphere.io", "v1alpha1", "clusters")
TENANT_GROUP = "tenant.kubesphere.io"


def cluster_record(obj: Obj) -> ClusterRecord | None:
    """A ``Cluster`` object as a record (``None`` for a name the bridge cannot use)."""
    meta = obj.get("metadata") or {}
    name = str(meta.get("name") or "")
    if not is_cluster_name(name):
        log.warning("KubeSphere Cluster %r skipped: its name is not a DNS-1123 label", name[:80])
        return None
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    encoded = (spec.get("connection") or {}).get("kubeconfig") or ""
    kubeconfig, problem = "", None
    if not encoded:
        problem = "the Cluster has no spec.connection.kubeconfig yet"
    else:
        try:
            kubeconfig = from_base64(name, str(encoded))
        except UnusableKubeconfig as e:
            problem = str(e)
    ready = None
    for condition in status.get("conditions") or []:
        if isinstance(condition, Mapping) and condition.get("type") == "Ready":
            ready = condition.get("status") == "True"
    configz = status.get("configz") or {}
    return ClusterRecord(
        name=name,
        source=SourceKind.KUBESPHERE,
        origin=f"Cluster {name}",
        kubeconfig=kubeconfig,
        role=ClusterRole.HOST if HOST_LABEL in labels else ClusterRole.MEMBER,
        devops=configz.get("devops") is True,
        ready=ready,
        labels=labels,
        problem=problem,
    )


def placement_of(obj: Obj) -> Placement | None:
    """A ``WorkspaceTemplate``'s placement (KubeSphere's rule: a cluster list wins over a selector)."""
    name = str((obj.get("metadata") or {}).get("name") or "")
    if not name:
        return None
    placement = (obj.get("spec") or {}).get("placement") or {}
    listed = placement.get("clusters")
    if isinstance(listed, list):
        names = tuple(str(c["name"]) for c in listed if isinstance(c, Mapping) and c.get("name"))
        return Placement(workspace=name, clusters=names)
    selector = placement.get("clusterSelector")
    if isinstance(selector, Mapping):
        match = selector.get("matchLabels")
        if match is None:
            return Placement(workspace=name, selector_all=True)
        return Placement(workspace=name, match_labels={str(k): str(v) for k, v in match.items()})
    return Placement(workspace=name)


class KubeSphereSource:
    kind = SourceKind.KUBESPHERE

    def __init__(
        self,
        api_client: k8s.ApiClient,
        *,
        relist_interval: float,
        workspace_version: str = "v1alpha2",
        watch_window: int = 60,
    ) -> None:
        self._api = k8s.CustomObjectsApi(api_client)
        self._relist, self._version, self._window = relist_interval, workspace_version, watch_window
        self.watches: list[ListWatch] = []

    def cluster_watch(self, sink: ClusterSink) -> ListWatch:
        def on_list(items: Sequence[Obj]) -> None:
            records = ((str(i["metadata"]["name"]), r) for i in items if (r := cluster_record(i)))
            sink.replace(SourceKind.KUBESPHERE, records)

        def on_event(kind: str, obj: Obj) -> None:
            key = str((obj.get("metadata") or {}).get("name") or "")
            sink.put(SourceKind.KUBESPHERE, key, None if kind == "DELETED" else cluster_record(obj))

        return ListWatch(
            what="clusters.cluster.kubesphere.io",
            call=partial(self._api.list_cluster_custom_object, *CLUSTER_API),
            on_list=on_list,
            on_event=on_event,
            relist_interval=self._relist,
            watch_window=self._window,
        )

    def placement_watch(self, sink: ClusterSink) -> ListWatch:
        def on_list(items: Sequence[Obj]) -> None:
            sink.replace_placements(p for i in items if (p := placement_of(i)))

        def on_event(kind: str, obj: Obj) -> None:
            placement = placement_of(obj)
            if placement is not None:
                sink.put_placement(placement.workspace, None if kind == "DELETED" else placement)

        return ListWatch(
            what=f"workspacetemplates.{TENANT_GROUP}/{self._version}",
            call=partial(
                self._api.list_cluster_custom_object, TENANT_GROUP, self._version, "workspacetemplates"
            ),
            on_list=on_list,
            on_event=on_event,
            relist_interval=self._relist,
            watch_window=self._window,
        )

    def interrupt(self) -> None:
        for watch in self.watches:
            watch.interrupt()

    def workers(self, sink: ClusterSink) -> Sequence[Loop]:
        self.watches = [self.cluster_watch(sink), self.placement_watch(sink)]
        return [_loop(w) for w in self.watches]


def _loop(watch: ListWatch) -> Loop:
    def run(stop: threading.Event) -> None:
        watch.run(stop)

    return run
