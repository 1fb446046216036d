"""Argo CD cluster Secrets as an inventory source.

Secrets labelled ``argocd.argoproj.io/secret-type=cluster`` in Argo CD's namespace hold ``name``,
``server`` and ``config`` (JSON ``ClusterConfig``); they become kubeconfigs (``kubeconfigs.from_argocd``).
Argo CD has no notion of DevOps: a cluster is DevOps-enabled when its Secret carries the label
``jenkins-bridge.io/devops: "true"`` (``DEVOPS_LABEL``, documented in docs/operations.md). A Secret whose
``name`` is not a DNS-1123 label (Argo CD defaults it to the server URL) is skipped with a warning.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from collections.abc import Sequence
from functools import partial

from kubernetes import client as k8s

from bridge.adapters.kube.kubeconfigs import UnusableKubeconfig, argocd_config, from_argocd
from bridge.adapters.kube.listwatch import ListWatch, Obj
from bridge.domain.clusters import ClusterRecord, SourceKind, is_cluster_name
from bridge.inventory.ports import ClusterSink, Loop

log = logging.getLogger(__name__)

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
DEVOPS_LABEL = "jenkins-bridge.io/devops"


def _field(data: dict[str, str], key: str) -> str:
    try:
        return base64.b64decode(data.get(key) or "", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""


def secret_record(obj: Obj) -> ClusterRecord | None:
    meta = obj.get("metadata") or {}
    origin = f"Secret {meta.get('namespace', '')}/{meta.get('name', '')}"
    data = {str(k): str(v) for k, v in (obj.get("data") or {}).items()}
    name, server = _field(data, "name").strip(), _field(data, "server").strip()
    if not is_cluster_name(name):
        log.warning("Argo CD cluster %s skipped: its name %r is not a DNS-1123 label", origin, name[:80])
        return None
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items() if k != SECRET_TYPE_LABEL}
    kubeconfig, problem = "", None
    try:
        if not server:
            raise UnusableKubeconfig("the Secret has no server")
        kubeconfig = from_argocd(name, server, argocd_config(_field(data, "config")))
    except UnusableKubeconfig as e:
        problem = str(e)
    return ClusterRecord(
        name=name,
        source=SourceKind.ARGOCD,
        origin=origin,
        kubeconfig=kubeconfig,
        devops=labels.get(DEVOPS_LABEL, "").lower() == "true",
        labels=labels,
        problem=problem,
    )


class ArgoCdSource:
    kind = SourceKind.ARGOCD

    def __init__(
        self, api_client: k8s.ApiClient, *, namespace: str, relist_interval: float, watch_window: int = 60
    ) -> None:
        self._core = k8s.CoreV1Api(api_client)
        self._namespace, self._relist, self._window = namespace, relist_interval, watch_window
        self.watches: list[ListWatch] = []

    def secret_watch(self, sink: ClusterSink) -> ListWatch:
        def on_list(items: Sequence[Obj]) -> None:
            sink.replace(SourceKind.ARGOCD, ((_key(i), r) for i in items if (r := secret_record(i))))

        def on_event(kind: str, obj: Obj) -> None:
            sink.put(SourceKind.ARGOCD, _key(obj), None if kind == "DELETED" else secret_record(obj))

        return ListWatch(
            what=f"Argo CD cluster Secrets in {self._namespace}",
            call=partial(
                self._core.list_namespaced_secret,
                self._namespace,
                label_selector=f"{SECRET_TYPE_LABEL}=cluster",
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
        self.watches = [self.secret_watch(sink)]

        def run(stop: threading.Event) -> None:
            self.watches[0].run(stop)

        return [run]


def _key(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")
