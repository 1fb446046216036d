"""``/version`` through a cluster's kubeconfig (implements ``bridge.inventory.ports.ClusterProbe``).

One API client per (cluster, kubeconfig digest), rebuilt when the kubeconfig rotates. The official
client writes certificate data to private temporary files (mode 0600) to hand them to the TLS layer;
that is its only way to use client certificates. Errors are reduced to their status or exception
type and a short reason: never a response body or a header.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from bridge.adapters.kube.kubeconfigs import load
from bridge.domain.clusters import Reachability


def api_client_for(kubeconfig: str, *, retries: int = 0) -> k8s.ApiClient:
    """A client from kubeconfig text (its current context)."""
    configuration = k8s.Configuration()
    k8s_config.load_kube_config_from_dict(  # type: ignore[no-untyped-call]
        load(kubeconfig), client_configuration=configuration, temp_file_path=None
    )
    configuration.retries = retries
    return k8s.ApiClient(configuration)


class ClusterClients:
    """One API client per cluster, kept while its kubeconfig stays the same (compared by digest) and
    rebuilt, the old one closed, when it rotates. Shared by every adapter that talks to member clusters."""

    def __init__(self) -> None:
        self._clients: dict[str, tuple[str, k8s.ApiClient]] = {}
        self._lock = threading.Lock()

    def get(self, cluster: str, kubeconfig: str) -> k8s.ApiClient:
        digest = hashlib.sha256(kubeconfig.encode("utf-8")).hexdigest()
        with self._lock:
            cached = self._clients.get(cluster)
            if cached is not None and cached[0] == digest:
                return cached[1]
            api = api_client_for(kubeconfig)
            self._clients[cluster] = (digest, api)
            if cached is not None:
                cached[1].close()  # type: ignore[no-untyped-call]
            return api

    def close(self) -> None:
        with self._lock:
            for _, api in self._clients.values():
                api.close()  # type: ignore[no-untyped-call]
            self._clients.clear()


def describe(error: BaseException) -> str:
    """A short, credential-free account of why a call failed."""
    if isinstance(error, ApiException):
        hint = " (the kubeconfig's credentials were refused)" if error.status in (401, 403) else ""
        return f"HTTP {error.status} {error.reason or ''}".strip() + hint
    if isinstance(error, urllib3.exceptions.MaxRetryError) and error.reason is not None:
        error = error.reason
    text = str(error)
    for marker in (
        "certificate verify failed",
        "timed out",
        "Connection refused",
        "Name or service not known",
    ):
        if marker.lower() in text.lower():
            return f"{type(error).__name__}: {marker}"
    return type(error).__name__


class KubeVersionProbe:
    def __init__(self, *, timeout: float, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._timeout, self._clock = timeout, clock
        self._clients = ClusterClients()

    def check(self, name: str, kubeconfig: str) -> Reachability:
        try:
            api = self._clients.get(name, kubeconfig)
            started = time.monotonic()
            answer: Any = k8s.VersionApi(api).get_code(_request_timeout=self._timeout)
        except Exception as e:  # any failure means unreachable, described without secrets
            return Reachability(reachable=False, checked_at=self._clock(), error=describe(e))
        latency = round((time.monotonic() - started) * 1000.0, 1)
        return Reachability(
            reachable=True,
            checked_at=self._clock(),
            latency_ms=latency,
            version=str(answer.git_version or ""),
        )
