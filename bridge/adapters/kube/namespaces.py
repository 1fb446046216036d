"""Namespaces through a cluster's kubeconfig (implements ``bridge.reconcile.preflight.NamespacePort``).

Reads one namespace (``GET /api/v1/namespaces/{name}``) and creates one labelled as bridge-created.
One API client per (cluster, kubeconfig digest), rebuilt when the kubeconfig rotates. Errors are
reduced to a status and a short reason (``reachability.describe``): never a body or a header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from bridge.adapters.kube.reachability import ClusterClients, describe
from bridge.domain.targets import NamespaceAnswer, Observed


class KubeNamespaces:
    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._clients = ClusterClients()

    def observe(self, cluster: str, kubeconfig: str, namespace: str) -> NamespaceAnswer:
        try:
            core = k8s.CoreV1Api(self._clients.get(cluster, kubeconfig))
            found: Any = core.read_namespace(namespace, _request_timeout=self._timeout)
        except ApiException as e:
            return _failed(e)
        except Exception as e:  # no answer: described without secrets
            return NamespaceAnswer(Observed.UNREACHABLE, describe(e))
        if found.metadata.deletion_timestamp is not None or (
            found.status and found.status.phase == "Terminating"
        ):
            return NamespaceAnswer(Observed.TERMINATING, f"namespace {namespace!r} is being deleted")
        return NamespaceAnswer(Observed.EXISTS)

    def create(
        self,
        cluster: str,
        kubeconfig: str,
        namespace: str,
        *,
        labels: Mapping[str, str],
        annotations: Mapping[str, str],
    ) -> NamespaceAnswer:
        body = k8s.V1Namespace(
            metadata=k8s.V1ObjectMeta(name=namespace, labels=dict(labels), annotations=dict(annotations))
        )
        try:
            core = k8s.CoreV1Api(self._clients.get(cluster, kubeconfig))
            core.create_namespace(body, _request_timeout=self._timeout)
        except ApiException as e:
            if e.status == 409:  # created meanwhile by someone else: it exists
                return NamespaceAnswer(Observed.EXISTS)
            return _failed(e)
        except Exception as e:
            return NamespaceAnswer(Observed.UNREACHABLE, describe(e))
        return NamespaceAnswer(Observed.EXISTS)

    def close(self) -> None:
        self._clients.close()


def _failed(e: ApiException) -> NamespaceAnswer:
    if e.status == 404:
        return NamespaceAnswer(Observed.MISSING)
    if e.status in (401, 403):
        return NamespaceAnswer(Observed.FORBIDDEN, describe(e))
    return NamespaceAnswer(Observed.UNREACHABLE, describe(e))
