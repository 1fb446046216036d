"""Composition root: the only place that names concrete classes and wires them together.

``build_container(settings)`` opens the store, migrates it, and builds the services and one
``JenkinsConnection`` per Jenkins controller (``build_connections``: ``default`` and ``BRIDGE_CONTROLLERS``),
which every port of that controller shares: provisioning, runs and user tokens, the Declarative linter,
build identities and the ``/readyz`` probe. ``build_worker`` builds the reconciliation worker from the
same pieces, so ``serve --with-worker`` shares the container's store and connection. Tests pass fakes
through the keyword arguments instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bridge.adapters.jenkins.port import JenkinsPort, RequestCounter, RunPort
from bridge.bootstrap_approvals import build_approval_jobs as build_approval_jobs
from bridge.bootstrap_approvals import build_approvals as build_approvals

# the cluster part of the composition root, re-exported
from bridge.bootstrap_clusters import build_inventory as build_inventory
from bridge.bootstrap_clusters import build_kubeconfig_sync as build_kubeconfig_sync
from bridge.bootstrap_clusters import build_kubeconfig_view, build_preflight, build_scoped
from bridge.bootstrap_metrics import build_metrics as build_metrics
from bridge.bootstrap_metrics import worker_hooks as worker_hooks

# the placement part (one connection and provisioner per controller, leases), re-exported
from bridge.bootstrap_placement import build_connections as build_connections
from bridge.bootstrap_placement import (
    build_controllers,
    build_followers,
    build_routed_api,
    several,
    start_leases,
)
from bridge.bootstrap_quality import build_code_quality, build_promotion_job, build_workloads

# the run side (runs, their views and actions, logs, the worker's follower), re-exported
from bridge.bootstrap_runs import build_run_follower as build_run_follower
from bridge.bootstrap_runs import build_run_logs as build_run_logs
from bridge.bootstrap_runs import build_run_service as build_run_service
from bridge.bootstrap_runs import build_runs as build_runs
from bridge.bootstrap_webhooks import build_dispatcher as build_dispatcher
from bridge.bootstrap_webhooks import build_receiver as build_receiver
from bridge.bootstrap_webhooks import build_ref_poller as build_ref_poller

# the writing services (workspaces, projects, credentials, pipelines), re-exported
from bridge.bootstrap_writers import DEFAULT_CONTROLLER as DEFAULT_CONTROLLER
from bridge.bootstrap_writers import PROBE_TTL as PROBE_TTL
from bridge.bootstrap_writers import JenkinsProbe as JenkinsProbe
from bridge.bootstrap_writers import Writers as Writers
from bridge.bootstrap_writers import adapter_over, writer_services
from bridge.bootstrap_writers import build_linter as build_linter
from bridge.bootstrap_writers import build_writers as build_writers
from bridge.identity.token_review import TokenReviewer
from bridge.identity.wiring import Identity, build_identity
from bridge.reconcile.ports import DesiredState
from bridge.services.clusters import ClusterService
from bridge.services.credentials import CredentialService
from bridge.services.deliveries import DeliveryService
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.resyncs import ResyncService
from bridge.services.sync import SyncService
from bridge.services.webhooks import WebhookReceiver
from bridge.services.workspaces import WorkspaceService
from bridge.settings import Settings
from bridge.store import Store, StoreDesiredState

if TYPE_CHECKING:
    from bridge.adapters.jenkins.connection import JenkinsConnection
    from bridge.metrics import Metrics
    from bridge.metrics.hooks import WorkerHooks
    from bridge.reconcile.runner import WorkerHandle
    from bridge.reconcile.worker import Worker
    from bridge.services.approvals import ApprovalService
    from bridge.services.codequality import CodeQualityService
    from bridge.services.kubeconfigs import KubeconfigSyncService
    from bridge.services.run_logs import RunLogs
    from bridge.services.runs import RunService
    from bridge.services.workloads import WorkloadService


@dataclass
class Container:
    settings: Settings
    store: Store
    desired: StoreDesiredState
    workspaces: WorkspaceService
    projects: ProjectService
    credentials: CredentialService
    pipelines: PipelineService
    sync: SyncService
    resyncs: ResyncService
    identity: Identity
    #: The cluster inventory as the API shows it (written by the inventory runner).
    clusters: ClusterService
    jenkins: JenkinsPort | None = None
    jenkins_probe: JenkinsProbe | None = None
    #: Runs and input decisions made for a real user (``jenkins.attribution`` picks how).
    runs: RunPort | None = None
    #: Kubeconfig sync state per (project, cluster).
    kubeconfigs: KubeconfigSyncService | None = None
    #: This process's Prometheus instruments (``/metrics``).
    metrics: Metrics | None = None
    #: Where this process stands on the scheduler lock (``leader``, ``standby``, ``lost``); ``None``
    #: when it runs no worker. ``/readyz`` reports it and fails on ``lost``.
    leader_state: Callable[[], str] | None = None
    #: The run index and run views and actions (``services/runs.py``).
    run_service: RunService | None = None
    #: Pending inputs, the inbox and decisions (``services/approvals.py``).
    approvals: ApprovalService | None = None
    #: The push-webhook receiver and the deliveries' view.
    webhooks: WebhookReceiver | None = None
    deliveries: DeliveryService | None = None
    #: One connection per Jenkins controller, by name (``default``: ``settings.jenkins``).
    connections: dict[str, JenkinsConnection] = field(default_factory=dict)
    #: Run logs: pass-through reads, one shared tail per running build, the stream slots.
    run_logs: RunLogs | None = None
    #: The controllers whose lease this process's worker holds (``reconcile.leases``); /readyz shows them.
    leases: Callable[[], Collection[str]] | None = None
    #: Code quality of runs: their builds' SonarQube analyses (``services/codequality.py``).
    code_quality: CodeQualityService | None = None
    #: Workloads in deploy targets and the promotion history (``services/workloads.py``).
    workloads: WorkloadService | None = None

    def close(self) -> None:
        if self.run_logs is not None:
            self.run_logs.close()
        self.store.close()
        for connection in self.connections.values():
            connection.close()


def build_container(
    settings: Settings,
    *,
    store: Store | None = None,
    jenkins: JenkinsPort | None = None,
    jenkins_probe: JenkinsProbe | None = None,
    runs: RunPort | None = None,
    token_reviewer: TokenReviewer | None = None,
    migrate: bool = True,
) -> Container:
    store = store or Store.from_settings(settings)
    if migrate:
        store.migrate()
    # --- Jenkins adapter wiring -------------------------------------------------------------------
    connections: dict[str, JenkinsConnection] = {}
    if jenkins is None or not _http_runs(runs):  # the run views and actions read Jenkins too
        connections = build_connections(settings)
    default = connections.get(DEFAULT_CONTROLLER)
    jenkins = jenkins or build_jenkins(settings, default)
    if jenkins_probe is None:
        from bridge.adapters.jenkins.probe import CachedProbe

        jenkins_probe = CachedProbe(jenkins.ping, ttl=PROBE_TTL)
    # the writing services, wired as apply -f wires them (bootstrap_writers.py)
    writers = writer_services(settings, store, jenkins, jenkins_probe)
    container = Container(
        settings=settings,
        store=store,
        desired=StoreDesiredState(store),
        workspaces=writers.workspaces,
        projects=writers.projects,
        credentials=writers.credentials,
        pipelines=writers.pipelines,
        sync=SyncService(store),
        resyncs=ResyncService(store),
        identity=build_identity(settings, store.engine, reviewer=token_reviewer),
        clusters=writers.clusters,
        jenkins=jenkins,
        jenkins_probe=jenkins_probe,
        connections=connections,
    )
    container.metrics = build_metrics(store, _counters(container))
    if several(settings) and runs is None:  # each project's runs, inputs and logs on its controller
        container.runs, container.run_service, container.run_logs = build_routed_api(
            settings, store, container.connections
        )
    else:
        container.runs = runs or build_runs(settings, store, default)
        container.run_service = build_run_service(settings, store, container.runs, default)
    container.approvals = build_approvals(store, container.runs, container.run_service)
    container.kubeconfigs = build_kubeconfig_view(settings, store)
    container.webhooks = WebhookReceiver(store)
    container.deliveries = DeliveryService(store)
    if default is None:  # Jenkins and runs are fakes: the logs still read the default controller
        default = container.connections[DEFAULT_CONTROLLER] = build_connections(settings)[DEFAULT_CONTROLLER]
    container.run_logs = container.run_logs or build_run_logs(settings, default)
    container.code_quality = build_code_quality(settings, container.run_service, default)
    container.workloads = build_workloads(settings, store)
    return container


def build_jenkins(settings: Settings, connection: JenkinsConnection | None = None) -> JenkinsPort:
    """The provisioning adapter of the default controller, over ``connection`` (a new one if None)."""
    return adapter_over(connection or build_connections(settings)[DEFAULT_CONTROLLER])


def _counters(container: Container) -> dict[str, RequestCounter]:
    """Each connection's request counter by controller name (an injected adapter's: ``default``)."""
    if container.connections:
        return {name: c.counter for name, c in container.connections.items()}
    return {DEFAULT_CONTROLLER: container.jenkins.counter} if container.jenkins is not None else {}


def _http_runs(runs: RunPort | None) -> bool:
    from bridge.adapters.jenkins.runs import JenkinsRuns

    return isinstance(runs, JenkinsRuns)


def build_worker(
    settings: Settings,
    *,
    desired: DesiredState | None = None,
    jenkins: JenkinsPort | None = None,
    run_service: RunService | None = None,
    connections: Mapping[str, JenkinsConnection] | None = None,
) -> Worker:
    """The reconciliation worker: a provisioner over ``desired`` (the store) and ``jenkins`` (the
    default controller), and one per other controller over ``connections`` (built when not given).

    ``serve --with-worker`` passes its container's pieces; ``worker`` and ``reconcile`` pass nothing
    and get their own store (migrated) and adapter.
    """
    from bridge.adapters.jenkins.client import JenkinsAdapter
    from bridge.reconcile.backoff import Backoff
    from bridge.reconcile.validate import PendingJenkinsfiles, PendingValidator
    from bridge.reconcile.worker import Worker
    from bridge.store.resyncs import ResyncQueue

    if desired is None:
        store = Store.from_settings(settings)
        store.migrate()
        desired = StoreDesiredState(store)
    jenkins = jenkins or build_jenkins(settings, (connections or {}).get(DEFAULT_CONTROLLER))
    # webhook deliveries start their runs over the provisioning adapter's connection (a test double has none)
    connection = jenkins.connection if isinstance(jenkins, JenkinsAdapter) else None
    # a provisioner per controller (with leases: the ones this worker holds)
    connections, keeper, provisioner = build_controllers(settings, desired, jenkins, connection, connections)
    linter = build_linter(jenkins)
    pending = (
        PendingValidator(desired, linter).run
        if linter is not None and isinstance(desired, PendingJenkinsfiles)
        else None
    )
    r = settings.reconcile
    worker = Worker(
        provisioner=provisioner,
        desired=desired,
        validate=pending,
        backoff=Backoff(initial=r.backoff_initial, maximum=r.backoff_max),
        leases=keeper,
    )
    if isinstance(desired, StoreDesiredState):
        worker.resyncs = ResyncQueue(desired.store)
        several_ = several(settings) and connection is not None  # then one run follower per controller
        if run_service is None:  # the approvals job reads and answers inputs on each project's controller
            run_service = (
                build_routed_api(settings, desired.store, connections)[1]
                if several_
                else build_run_service(
                    settings, desired.store, build_runs(settings, desired.store, connection)
                )
            )
        worker.runs = (
            build_followers(settings, desired.store, run_service, connections, keeper)
            if several_
            else build_run_follower(settings, desired.store, run_service, connection)
        )
        worker.approvals = build_approval_jobs(build_approvals(desired.store, run_service.runs, run_service))
        worker.preflight = build_preflight(settings, desired.store)  # deploy targets: Kubernetes only
        worker.promotions = build_promotion_job(settings, desired.store)
        worker.scoped = build_scoped(settings, desired.store)  # scoped deploy credentials: Kubernetes only
        desired.store.subscribe(worker.wake.set)  # a write through this process's API starts a pass
        # webhook deliveries and the ref poll live in the store
        if connection is not None:
            dispatcher = build_dispatcher(settings, desired.store, connection, connections)
            dispatcher.owns = desired.scope  # leases: the deliveries of its controllers' projects
            worker.deliveries = dispatcher
        worker.refs = build_ref_poller(desired.store)
    return worker


def run_worker(
    settings: Settings,
    *,
    desired: DesiredState | None = None,
    jenkins: JenkinsPort | None = None,
    run_service: RunService | None = None,
    block: bool = True,
    stop: threading.Event | None = None,
    hooks: WorkerHooks | None = None,
    connections: Mapping[str, JenkinsConnection] | None = None,
) -> WorkerHandle | None:
    """``reconcile.runner.run_worker`` with the worker built here (after the leader lock is held);
    on SQLite, commits of other processes (``apply -f``, a separate ``serve``) start a pass at once;
    ``hooks`` (``worker_hooks``): the pass metrics, the leader gauge and the summary line; with
    ``reconcile.leases`` the worker's leases are kept from its first pass until it stops."""
    from bridge.reconcile import runner
    from bridge.store.changes import INTERVAL, watch

    own = None if isinstance(desired, StoreDesiredState) else Store.from_settings(settings)
    watcher = watch(desired.store.engine if isinstance(desired, StoreDesiredState) else own.engine)  # type: ignore[union-attr]

    built: list[Worker] = []

    def build() -> Worker:
        worker = build_worker(
            settings, desired=desired, jenkins=jenkins, run_service=run_service, connections=connections
        )
        if worker.leases is not None:
            start_leases(worker, hooks.on_leases if hooks is not None else None)
        built.append(worker)
        return worker

    def close() -> None:
        for worker in built:  # after the scheduler stopped: no pass holds a controller any more
            if worker.leases is not None:
                worker.leases.stop()
        if watcher is not None:
            watcher.close()
        if own is not None:
            own.close()

    handle = runner.run_worker(
        settings,
        build=build,
        block=block,
        stop=stop,
        changed=watcher.changed if watcher is not None else None,
        watch_interval=INTERVAL,
        on_pass=hooks.on_pass if hooks is not None else None,
        on_leader=hooks.on_leader if hooks is not None else None,
    )
    if handle is None or block:
        close()
    else:
        handle.on_stop.append(close)
    return handle
