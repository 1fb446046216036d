"""Deployments, StatefulSets and DaemonSets of one namespace through a cluster's kubeconfig.

Three list calls (``apps/v1``, namespaced: never a cluster-wide list) per read; one API client per
(cluster, kubeconfig digest), rebuilt when the kubeconfig rotates. Errors become a target status and a
short reason (``reachability.describe``), never a body or a header. ``reads`` counts the namespaces
read per cluster, so tests can tell that a namespace was never asked for.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from bridge.adapters.kube.reachability import ClusterClients, describe
from bridge.domain.workloads import (
    Condition,
    ImageContainer,
    TargetStatus,
    TargetWorkloads,
    Workload,
    last_change,
    parse_image,
)


class KubeWorkloads:
    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._clients = ClusterClients()
        self._lock = threading.Lock()
        self.reads: Counter[tuple[str, str]] = Counter()

    def read(self, cluster: str, kubeconfig: str, namespace: str) -> TargetWorkloads:
        with self._lock:
            self.reads[(cluster, namespace)] += 1
        try:
            apps = k8s.AppsV1Api(self._clients.get(cluster, kubeconfig))
            found = [
                *(
                    _workload("Deployment", d)
                    for d in self._items(apps.list_namespaced_deployment, namespace)
                ),
                *(
                    _workload("StatefulSet", s)
                    for s in self._items(apps.list_namespaced_stateful_set, namespace)
                ),
                *(_workload("DaemonSet", d) for d in self._items(apps.list_namespaced_daemon_set, namespace)),
            ]
        except ApiException as e:
            status = TargetStatus.FORBIDDEN if e.status in (401, 403) else TargetStatus.UNREACHABLE
            return TargetWorkloads(cluster, namespace, status, describe(e))
        except Exception as e:  # no answer: described without secrets
            return TargetWorkloads(cluster, namespace, TargetStatus.UNREACHABLE, describe(e))
        found.sort(key=lambda w: (w.kind, w.name))
        return TargetWorkloads(cluster, namespace, TargetStatus.OK, None, tuple(found))

    def _items(self, call: Any, namespace: str) -> list[Any]:
        return list(call(namespace, _request_timeout=self._timeout).items or ())

    def close(self) -> None:
        self._clients.close()


def _time(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _workload(kind: str, obj: Any) -> Workload:
    spec, status, meta = obj.spec, obj.status, obj.metadata
    containers = tuple(
        ImageContainer(c.name, parse_image(c.image or "")) for c in (spec.template.spec.containers or ())
    )
    conditions = tuple(
        Condition(
            type=c.type,
            status=c.status,
            reason=c.reason,
            message=c.message,
            changed_at=_time(
                getattr(c, "last_transition_time", None) or getattr(c, "last_update_time", None)
            ),
        )
        for c in (getattr(status, "conditions", None) or ())
    )
    if kind == "DaemonSet":
        desired = int(getattr(status, "desired_number_scheduled", 0) or 0)
        ready = int(getattr(status, "number_ready", 0) or 0)
        updated = int(getattr(status, "updated_number_scheduled", 0) or 0)
        available = int(getattr(status, "number_available", 0) or 0)
    else:
        desired = int(spec.replicas if spec.replicas is not None else 1)
        ready = int(getattr(status, "ready_replicas", 0) or 0)
        updated = int(getattr(status, "updated_replicas", 0) or 0)
        available = int(getattr(status, "available_replicas", 0) or 0)
    return Workload(
        kind=kind,
        name=meta.name,
        containers=containers,
        desired=desired,
        ready=ready,
        updated=updated,
        available=available,
        conditions=conditions,
        last_change=last_change(_time(meta.creation_timestamp), conditions),
        generation=meta.generation,
        observed_generation=getattr(status, "observed_generation", None),
    )
