"""Everything the demo runs, in this process: the sandbox Jenkins, the three clusters, and the bridge
(API on a loopback port, the reconciliation worker and the cluster inventory as threads) on the
embedded defaults with a temporary data directory. ``stop()`` undoes it all, in reverse order.
"""

from __future__ import annotations

import errno
import logging
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bridge.cli.demo.kube import (
    HOW_TO_GET_REAL_ONES,
    Clusters,
    find_binaries,
    real_clusters,
    static_clusters,
)

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    url: str  # the bridge's root URL
    admin_token: str
    jenkins_url: str
    clusters: Clusters
    container: Any  # bridge.bootstrap.Container
    #: ``scoped`` with real apiservers (a ServiceAccount per project bound in its target namespaces),
    #: ``full`` with static kubeconfigs (no apiserver to grant on); ``policy_reason`` says why.
    policy: str = "full"
    policy_reason: str = ""
    #: The kubeconfig the sandbox Jenkins holds in a project's folder under a credential id (what a run's
    #: ``kubeconfigFile`` binds), or None.
    folder_kubeconfig: Callable[[str, str], str | None] = field(default=lambda project, cid: None)
    tokens: dict[str, str] = field(default_factory=dict)  # the demo users' API tokens
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        while self._stops:
            try:
                self._stops.pop()()
            except Exception:  # every part gets its chance to stop
                log.exception("stopping a part of the demo failed")


#: The demo's SonarQube installation in Jenkins (the seed's ``withSonarQubeEnv('sonar')``).
SONAR_INSTALLATION = "sonar"


def credential_policy(clusters: Clusters) -> tuple[str, str]:
    """``scoped`` deploy credentials when real apiservers run, else ``full`` and why."""
    if clusters.real:
        return (
            "scoped",
            "each cluster's credential is a ServiceAccount token bound only in the target namespace",
        )
    return (
        "full",
        "static kubeconfigs of clusters nobody serves: there is no apiserver to grant a scoped token",
    )


def demo_environ(
    data_dir: str,
    admin_token: str,
    jenkins: Mapping[str, str],
    clusters: Clusters,
    sonar: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The bridge's settings for the demo: the embedded defaults, plus where things are."""
    return {
        **(sonar or {}),
        "BRIDGE_SCOPED_POLICY": credential_policy(clusters)[0],
        "BRIDGE_DATA_DIR": data_dir,
        "BRIDGE_ADMIN_TOKEN": admin_token,
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode("ascii"),
        **jenkins,
        # the sandbox Jenkins has the kubernetes-cd plugin, whose kubeconfigFile binding the seed uses
        "BRIDGE_JENKINS_KUBECONFIG_CREDENTIAL_MODE": "kubeconfig-plugin",
        "BRIDGE_RECONCILE_POLL_INTERVAL": "0.5",
        "BRIDGE_RECONCILE_RUN_CACHE_TTL": "0.2",
        "BRIDGE_RECONCILE_RUN_REFRESH_MIN": "0.2",
        "BRIDGE_RECONCILE_RUN_REFRESH_MAX": "1",
        "BRIDGE_RECONCILE_RUN_DISCOVER_INTERVAL": "2",
        # the seed's clusters as static sources: gondor is the host with DevOps, all three kubeconfigs
        # are synced into the project's folder (its Jenkinsfile deploys to each of them)
        "BRIDGE_CLUSTERS_SOURCES": "static",
        "BRIDGE_CLUSTERS_STATIC": ",".join(f"{n}={p}" for n, p in clusters.kubeconfigs.items()),
        "BRIDGE_CLUSTERS_STATIC_HOST": "gondor",
        "BRIDGE_CLUSTERS_STATIC_DEVOPS": "gondor",
        "BRIDGE_CLUSTERS_KUBECONFIG_POLICY": "all",
        "BRIDGE_CLUSTERS_PROBE_INTERVAL": "2",
        "BRIDGE_CLUSTERS_PROBE_TIMEOUT": "2",
    }


def start(*, clusters_mode: str, time_scale: float, port: int, say: Callable[[str], None]) -> Runtime:
    """Start every part; on failure, stop what started and raise."""
    stops: list[Callable[[], None]] = []
    try:
        return _start(stops, clusters_mode=clusters_mode, time_scale=time_scale, port=port, say=say)
    except BaseException:
        for stop in reversed(stops):
            stop()
        raise


def _start(
    stops: list[Callable[[], None]],
    *,
    clusters_mode: str,
    time_scale: float,
    port: int,
    say: Callable[[str], None],
) -> Runtime:
    from bridge.app import create_app
    from bridge.bootstrap import build_container, build_inventory, run_worker
    from bridge.cli.demo.roles import aggregate_cluster_roles
    from bridge.cli.demo.story import PIPELINE, SECRETS, SONAR_PROFILE
    from bridge.cli.graceful import serve_until_stopped
    from bridge.cli.http_server import plain_server
    from bridge.sandbox.jenkins import SandboxJenkins
    from bridge.sandbox.jenkins.buildstate import SIMULATION
    from bridge.sandbox.jenkins.cascsonar import SonarInstallation
    from bridge.sandbox.jenkins.pipeline import Simulation
    from bridge.sandbox.sonarqube import Account, SandboxSonarQube
    from bridge.settings import Settings

    folder = tempfile.TemporaryDirectory(prefix="bridge-demo-")
    stops.append(folder.cleanup)
    root = Path(folder.name)
    (root / "kube").mkdir()
    binaries = find_binaries() if clusters_mode != "static" else None
    if clusters_mode == "real" and binaries is None:
        raise RuntimeError(f"no kube-apiserver and etcd were found: {HOW_TO_GET_REAL_ONES}")
    if binaries is not None:
        say("starting etcd and three kube-apiservers (rohan, gondor, shire) ...")
        clusters = real_clusters(root / "kube", *binaries)
        stops.append(clusters.stop)
    else:
        clusters = static_clusters(root / "kube")

    if clusters.real:  # what kube-controller-manager would do: `edit` grants what it grants elsewhere
        for kubeconfig in clusters.kubeconfigs.values():
            aggregate_cluster_roles(kubeconfig.read_text(encoding="utf-8"))

    sonar = SandboxSonarQube(processing_seconds=0.3)
    sonar.state.tokens[str(SECRETS["sonar-token"])] = Account("jenkins", browse=False)
    sonar.profile(f"io.jenkins.sandbox:{PIPELINE}", SONAR_PROFILE)
    sonar.start()
    stops.append(sonar.stop)
    say(f"sandbox SonarQube at {sonar.url} (installation {SONAR_INSTALLATION!r} in Jenkins)")

    sandbox = SandboxJenkins(
        sonar_installations=[SonarInstallation(SONAR_INSTALLATION, sonar.url.rstrip("/"))],
        sonar_scanner=True,
    )
    sandbox.__enter__()
    stops.append(lambda: sandbox.__exit__(None, None, None))
    sandbox.services[SIMULATION] = Simulation(time_scale=time_scale)

    admin_token = secrets.token_hex(20)
    jenkins = {
        "BRIDGE_JENKINS_URL": sandbox.url,
        "BRIDGE_JENKINS_USER": sandbox.admin_user,
        "BRIDGE_JENKINS_TOKEN": sandbox.admin_token,
    }
    (root / "data").mkdir()
    sonar_env = {"BRIDGE_JENKINS_SONAR_URL": sonar.url, "BRIDGE_JENKINS_SONAR_TOKEN": sonar.admin_token}
    settings = Settings.load(demo_environ(str(root / "data"), admin_token, jenkins, clusters, sonar_env))
    container = build_container(settings)
    stops.append(container.close)

    # the scheduler's "skipped: maximum number of running instances" notes would interrupt the account
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    stop_worker = threading.Event()
    handle = run_worker(
        settings,
        desired=container.desired,
        jenkins=container.jenkins,
        run_service=container.run_service,  # one run cache for the API and the worker
        block=False,
        stop=stop_worker,
    )
    if handle is not None:
        stops.append(handle.stop)
    stops.append(stop_worker.set)
    inventory = build_inventory(settings, container.store)
    if inventory is not None:
        running = inventory.start()
        stops.append(running.stop)

    app = create_app(container=container)
    try:
        server = plain_server(app, host="127.0.0.1", port=port, threads=8, api=settings.api)
    except OSError as e:
        if e.errno != errno.EADDRINUSE or port == 0:
            raise
        say(f"port {port} is taken: the API listens on a free port instead")
        server = plain_server(app, host="127.0.0.1", port=0, threads=8, api=settings.api)
    closing = threading.Event()
    thread = threading.Thread(
        target=serve_until_stopped,
        args=(server, closing),
        kwargs={"grace": 2.0},
        name="demo-api",
        daemon=True,
    )
    thread.start()

    def stop_api() -> None:
        closing.set()
        thread.join(10)

    stops.append(stop_api)
    url = f"http://127.0.0.1:{server.effective_port}"
    policy, reason = credential_policy(clusters)

    def folder_kubeconfig(project: str, cid: str) -> str | None:
        """Read back from the sandbox Jenkins (a real one never gives a secret out over HTTP)."""
        with sandbox.state.lock:
            item = sandbox.state.find_item(project)
            found = item.store.credentials.get(cid) if item is not None else None  # type: ignore[attr-defined]
            return None if found is None else found.values.get("content")

    return Runtime(
        url,
        admin_token,
        sandbox.url,
        clusters,
        container,
        policy=policy,
        policy_reason=reason,
        folder_kubeconfig=folder_kubeconfig,
        _stops=stops,
    )
