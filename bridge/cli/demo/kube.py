"""The demo's three clusters: real kube-apiservers when ``make k8s-bin`` has built them, static
kubeconfigs of clusters nobody serves otherwise.

Real ones: one etcd and one kube-apiserver per cluster on loopback ports, each with its own CA and
service-account key (``pki.py``) and its own etcd prefix, as ``tests/fixtures/kube_control_plane.py``
starts them for the tests. The binaries are found where ``tests/k8s/build.sh`` caches them
(``$BRIDGE_K8S_CACHE``, default ``${XDG_CACHE_HOME:-~/.cache}/jenkins-bridge/k8s``, under the hash of
the pinned ``go.mod`` + ``go.sum``) or in ``$KUBEBUILDER_ASSETS``. Every process runs in its own process
group, dies with the demo and is stopped by ``stop()``.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from bridge.cli.demo import pki

#: The seed's clusters and what each is for.
CLUSTERS = {"rohan": "development", "gondor": "testing (host)", "shire": "production"}
GO_MODULE = Path(__file__).resolve().parents[3] / "tests" / "k8s"
HOW_TO_GET_REAL_ONES = "run `make k8s-bin` (builds etcd and kube-apiserver once) and start the demo again"
START_TIMEOUT = 120.0


def cache_dir() -> Path:
    """The folder ``tests/k8s/build.sh`` builds into for the pins now in ``go.mod``/``go.sum``."""
    root = os.environ.get("BRIDGE_K8S_CACHE")
    if not root:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(xdg) / "jenkins-bridge" / "k8s")
    pins = (GO_MODULE / "go.mod").read_bytes() + (GO_MODULE / "go.sum").read_bytes()
    return Path(root) / hashlib.sha256(pins).hexdigest()[:16]


def find_binaries() -> tuple[Path, Path] | None:
    """(etcd, kube-apiserver), or None when either is missing."""
    assets = os.environ.get("KUBEBUILDER_ASSETS")
    if assets:
        folder = Path(assets)
    elif (GO_MODULE / "go.mod").is_file():
        folder = cache_dir()
    else:
        return None  # not a checkout of the repository: nothing was built
    found = [folder / name for name in ("etcd", "kube-apiserver")]
    if all(p.is_file() and os.access(p, os.X_OK) for p in found):
        return found[0], found[1]
    return None


@dataclass
class Clusters:
    """Kubeconfig files by cluster name; ``real``: served by running apiservers."""

    kubeconfigs: dict[str, Path]
    real: bool
    servers: dict[str, str]
    stop: Callable[[], None] = field(default=lambda: None)


def free_ports(count: int) -> list[int]:
    """Loopback ports nobody listens on (held open together so they are distinct)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _write_kubeconfig(
    path: Path, name: str, server: str, cluster: dict[str, str], user: dict[str, str]
) -> Path:
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, **cluster}}],
        "users": [{"name": f"{name}-admin", "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
        "current-context": name,
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    path.chmod(0o600)
    return path


def static_clusters(folder: Path) -> Clusters:
    """Kubeconfigs of servers on loopback ports nobody listens on: the clusters show as unreachable."""
    kubeconfigs, servers = {}, {}
    for name, port in zip(CLUSTERS, free_ports(len(CLUSTERS)), strict=True):
        servers[name] = f"https://127.0.0.1:{port}"
        kubeconfigs[name] = _write_kubeconfig(
            folder / f"{name}.kubeconfig", name, servers[name], {}, {"token": f"demo-{name}-token"}
        )
    return Clusters(kubeconfigs=kubeconfigs, real=False, servers=servers)


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _wait_ready(process: subprocess.Popen[bytes], log: Path, url: str, **tls: object) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-5:])
            raise RuntimeError(f"{log.stem} exited with {process.returncode}: {tail}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=5, **tls).status_code == 200:  # type: ignore[arg-type]
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{log.stem} did not answer {url} within {START_TIMEOUT:.0f}s")
        time.sleep(0.3)


def real_clusters(folder: Path, etcd: Path, apiserver: Path) -> Clusters:
    """etcd and one kube-apiserver per cluster, started and ready; ``stop`` ends them."""
    client_port, peer_port, *api_ports = free_ports(2 + len(CLUSTERS))
    etcd_url = f"http://127.0.0.1:{client_port}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        log = folder / "etcd.log"
        etcd_args = [
            f"--data-dir={folder / 'etcd'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-cluster=demo=http://127.0.0.1:{peer_port}",
        ]
        processes.append(
            _spawn([str(etcd), "--name=demo", *etcd_args, "--unsafe-no-fsync", "--log-level=warn"], log)
        )
        _wait_ready(processes[0], log, f"{etcd_url}/readyz")
        kubeconfigs, servers, waits = {}, {}, []
        for name, port in zip(CLUSTERS, api_ports, strict=True):
            keys = pki.generate(folder / name, cluster=name)
            log = folder / f"kube-apiserver-{name}.log"
            process = _spawn(_apiserver_argv(apiserver, name, port, etcd_url, keys), log)
            processes.append(process)
            servers[name] = f"https://127.0.0.1:{port}"
            kubeconfigs[name] = _write_kubeconfig(
                folder / f"{name}.kubeconfig",
                name,
                servers[name],
                {"certificate-authority-data": _b64(keys.ca_cert)},
                {"client-certificate-data": _b64(keys.admin_cert), "client-key-data": _b64(keys.admin_key)},
            )
            tls = {"verify": str(keys.ca_cert), "cert": (str(keys.admin_cert), str(keys.admin_key))}
            waits.append((process, log, f"{servers[name]}/readyz", tls))
        for process, log, url, tls in waits:
            _wait_ready(process, log, url, **tls)
    except BaseException:
        _stop(list(reversed(processes)))
        raise
    return Clusters(kubeconfigs, True, servers, stop=lambda: _stop(list(reversed(processes))))


def _apiserver_argv(binary: Path, name: str, port: int, etcd: str, keys: pki.ClusterPki) -> list[str]:
    return [
        str(binary),
        f"--etcd-servers={etcd}",
        f"--etcd-prefix=/clusters/{name}/registry",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",  # a loopback advertise address has no kubernetes Service
        f"--secure-port={port}",
        f"--tls-cert-file={keys.serving_cert}",
        f"--tls-private-key-file={keys.serving_key}",
        f"--client-ca-file={keys.ca_cert}",
        f"--service-account-issuer=https://{name}.kubernetes.default.svc",
        f"--service-account-key-file={keys.sa_public_key}",
        f"--service-account-signing-key-file={keys.sa_signing_key}",
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--profiling=false",
    ]
