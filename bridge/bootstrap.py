"""Composition root: the only place that names concrete classes and wires them together.

``build_container(settings)`` opens the store, migrates it, and builds the services and the one
Jenkins adapter (used by ``/readyz`` through a cached, non-blocking probe); ``build_worker`` builds the
reconciliation worker from the same pieces, so ``serve --with-worker`` shares the container's store
and adapter. Tests pass fakes through the keyword arguments instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.adapters.jenkins.port import JenkinsPort, RunPort
from bridge.identity.token_review import TokenReviewer
from bridge.identity.wiring import Identity, build_identity
from bridge.reconcile.ports import DesiredState
from bridge.services.clusters import ClusterService
from bridge.services.credentials import CredentialService
from bridge.services.jenkinsfiles import Jenkinsfiles
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.sync import SyncService
from bridge.services.workspaces import WorkspaceService
from bridge.settings import Settings, reveal
from bridge.store import Store, StoreDesiredState
from bridge.store.clusters import ClusterCatalog

if TYPE_CHECKING:
    from bridge.adapters.jenkins.linter import JenkinsfileLinter
    from bridge.inventory.runner import InventoryRunner
    from bridge.metrics import Metrics
    from bridge.reconcile.kubeconfigs import KubeconfigSync
    from bridge.reconcile.provision import PassResult
    from bridge.reconcile.runner import Worker
    from bridge.services.kubeconfigs import KubeconfigSyncService

#: Answers "can Jenkins be reached?" at once (``None``: not known yet); /readyz reports it only.
JenkinsProbe = Callable[[], bool | None]
#: Seconds a reachability answer is reused before the probe asks Jenkins again (in the background).
PROBE_TTL = 10.0


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

    def close(self) -> None:
        self.store.close()


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
    container = Container(
        settings=settings,
        store=store,
        desired=StoreDesiredState(store),
        workspaces=WorkspaceService(store),
        projects=ProjectService(store),
        credentials=CredentialService(store),
        pipelines=PipelineService(store, allow_http_scm=settings.jenkins.allow_http_scm),
        sync=SyncService(store),
        identity=build_identity(settings, store.engine, reviewer=token_reviewer),
        clusters=ClusterService(
            store, ClusterCatalog(store.engine, store.box), jenkins=settings.clusters.jenkins
        ),
        jenkins_probe=jenkins_probe,
    )
    # --- Jenkins adapter wiring -------------------------------------------------------------------
    container.jenkins = jenkins or build_jenkins(settings)
    if container.jenkins_probe is None:
        from bridge.adapters.jenkins.probe import CachedProbe

        container.jenkins_probe = CachedProbe(container.jenkins.ping, ttl=PROBE_TTL)
    container.metrics = build_metrics(store, container.jenkins)
    observe = container.metrics.jenkins_observer("default")
    container.runs = runs or build_runs(settings, store, observers=[observe])
    container.pipelines.jenkinsfiles = Jenkinsfiles(build_linter(container.jenkins), container.jenkins_probe)
    container.kubeconfigs = build_kubeconfig_view(settings, store)
    # ------------------------------------------------------------------------------------------------
    return container


def build_jenkins(settings: Settings) -> JenkinsPort:
    """The adapter for the default Jenkins (``settings.jenkins``)."""
    from bridge.adapters.jenkins.client import JenkinsAdapter

    j = settings.jenkins
    return JenkinsAdapter(
        j.url,
        user=j.user,
        token=reveal(j.token),
        timeout=j.timeout,
        retries=j.retries,
        verify_tls=j.verify_tls,
    )


def build_metrics(store: Store, jenkins: JenkinsPort | None, *, controller: str = "default") -> Metrics:
    """The process's instruments: store gauges read at scrape time, the Jenkins adapter's requests."""
    from bridge.metrics import Metrics

    metrics = Metrics()
    metrics.watch_store(store.engine)
    if jenkins is not None:
        jenkins.counter.observers.append(metrics.jenkins_observer(controller))
    return metrics


@dataclass(frozen=True)
class WorkerHooks:
    on_pass: Callable[[str, PassResult, float], None]
    on_leader: Callable[[bool], None]


def worker_hooks(settings: Settings, metrics: Metrics | None) -> WorkerHooks:
    """``run_worker``'s ``on_leader`` and ``on_pass``: the leader gauge, pass metrics, the summary line."""
    from bridge.reconcile.summary import PassTally

    tally = PassTally(settings.log.worker_summary_interval)

    def on_pass(trigger: str, result: PassResult, seconds: float) -> None:
        tally.record(trigger, result, seconds)
        if metrics is not None:
            applied = [(a.ref.kind, a.op.value) for a in result.applied if a.op.writes]
            metrics.observe_pass(trigger, seconds, applied, len(result.errors))

    def on_leader(held: bool) -> None:
        if metrics is not None:
            metrics.set_leader(held)

    return WorkerHooks(on_pass=on_pass, on_leader=on_leader)


def build_linter(jenkins: JenkinsPort) -> JenkinsfileLinter | None:
    """Jenkins's Declarative linter, through the adapter's connection (None for an adapter without one)."""
    from bridge.adapters.jenkins.linter import FormPoster, JenkinsLinter

    return JenkinsLinter(jenkins) if isinstance(jenkins, FormPoster) else None


def build_runs(
    settings: Settings, store: Store, *, observers: Sequence[Callable[[str, str, int | None], None]] = ()
) -> RunPort:
    """The run side of the default Jenkins, attributed as ``jenkins.attribution`` says; ``observers``
    hear its requests (the metrics)."""
    from bridge.adapters.jenkins.runs import connect_runs
    from bridge.store.jenkins_tokens import JenkinsTokenStore

    return connect_runs(settings.jenkins, JenkinsTokenStore(store.engine, store.box), observers=observers)


def build_worker(
    settings: Settings,
    *,
    desired: DesiredState | None = None,
    jenkins: JenkinsPort | None = None,
) -> Worker:
    """The reconciliation worker: a provisioner over ``desired`` (the store) and ``jenkins``.

    ``serve --with-worker`` passes its container's pieces; ``worker`` and ``reconcile`` pass nothing
    and get their own store (migrated) and adapter.
    """
    from bridge.adapters.jenkins.configxml import KubeconfigMode
    from bridge.adapters.jenkins.identities import JenkinsProjectIdentities, JsonAndForms
    from bridge.identity.wiring import reserved_names
    from bridge.reconcile.provision import Provisioner
    from bridge.reconcile.render import marker_key
    from bridge.reconcile.runner import Worker
    from bridge.reconcile.validate import PendingJenkinsfiles, PendingValidator

    if desired is None:
        store = Store.from_settings(settings)
        store.migrate()
        desired = StoreDesiredState(store)
    jenkins = jenkins or build_jenkins(settings)
    provisioner = Provisioner(
        desired=desired,
        jenkins=jenkins,
        key=marker_key(settings.secret_key.get_secret_value()),
        kubeconfig_mode=KubeconfigMode(settings.jenkins.kubeconfig_credential_mode),
        secret_repush_interval=settings.reconcile.secret_repush_interval,
        requested_by=settings.jenkins.attribution == "parameter",
        # project identities are created through the adapter's form primitive (a real JenkinsAdapter)
        identities=JenkinsProjectIdentities(jenkins) if isinstance(jenkins, JsonAndForms) else None,
        identity_prefix=settings.jenkins.project_identity_prefix,
        reserved=reserved_names(settings.jenkins),
        kubeconfigs=build_kubeconfig_sync(settings, desired.store)
        if isinstance(desired, StoreDesiredState)
        else None,
    )
    linter = build_linter(jenkins)
    pending = (
        PendingValidator(desired, linter).run
        if linter is not None and isinstance(desired, PendingJenkinsfiles)
        else None
    )
    return Worker(provisioner=provisioner, desired=desired, validate=pending)


def build_kubeconfig_sync(settings: Settings, store: Store) -> KubeconfigSync:
    """The kubeconfig sync over the store's inventory (``clusters.kubeconfig_*`` settings)."""
    from bridge.domain.kubeconfigs import KubeconfigPolicy
    from bridge.reconcile.kubeconfigs import KubeconfigSync
    from bridge.store.kubeconfig_sync import KubeconfigSyncStore

    return KubeconfigSync(
        inventory=ClusterCatalog(store.engine, store.box),
        book=KubeconfigSyncStore(store),
        policy=KubeconfigPolicy(settings.clusters.kubeconfig_policy),
        prefix=settings.clusters.kubeconfig_prefix,
    )


def build_kubeconfig_view(settings: Settings, store: Store) -> KubeconfigSyncService:
    from bridge.domain.kubeconfigs import KubeconfigPolicy
    from bridge.services.kubeconfigs import KubeconfigSyncService

    return KubeconfigSyncService(
        store,
        ClusterCatalog(store.engine, store.box),
        policy=KubeconfigPolicy(settings.clusters.kubeconfig_policy),
        prefix=settings.clusters.kubeconfig_prefix,
    )


def build_inventory(settings: Settings, store: Store) -> InventoryRunner | None:
    """The cluster inventory's sources (``BRIDGE_CLUSTERS_SOURCES``), writing into ``store``; None
    when no source is configured. Call ``start()`` on it; ``stop()`` ends its threads."""
    from bridge.domain.clusters import SourceKind
    from bridge.inventory.inventory import Inventory
    from bridge.inventory.ports import ClusterSource
    from bridge.inventory.prober import Prober
    from bridge.inventory.runner import InventoryRunner
    from bridge.settings.clusters import parse_static_clusters

    c = settings.clusters
    kinds = [SourceKind(s) for s in c.source_names()]
    if not kinds:
        return None
    catalog = ClusterCatalog(store.engine, store.box)
    sources: list[ClusterSource] = []
    if SourceKind.KUBESPHERE in kinds:
        from bridge.adapters.kube.kubesphere import KubeSphereSource
        from bridge.adapters.kube.token_review import host_api_client

        sources.append(
            KubeSphereSource(
                host_api_client(c.kubesphere_kubeconfig),
                relist_interval=c.relist_interval,
                workspace_version=c.kubesphere_workspace_version,
            )
        )
    if SourceKind.ARGOCD in kinds:
        from bridge.adapters.kube.argocd import ArgoCdSource
        from bridge.adapters.kube.token_review import host_api_client

        sources.append(
            ArgoCdSource(
                host_api_client(c.argocd_kubeconfig),
                namespace=c.argocd_namespace,
                relist_interval=c.relist_interval,
            )
        )
    if SourceKind.STATIC in kinds:
        from bridge.adapters.kube.static import StaticSource

        sources.append(
            StaticSource(
                parse_static_clusters(c.static),
                devops=c.static_devops,
                host=c.static_host,
                relist_interval=c.relist_interval,
            )
        )
    from bridge.adapters.kube.reachability import KubeVersionProbe

    inventory = Inventory(catalog, sources=kinds, placements=SourceKind.KUBESPHERE in kinds)
    # a cluster that joins, rotates or leaves queues the projects whose folders hold or get it
    inventory.subscribe(build_kubeconfig_sync(settings, store).on_change)
    prober = Prober(catalog, KubeVersionProbe(timeout=c.probe_timeout), interval=c.probe_interval)
    return InventoryRunner(inventory=inventory, sources=sources, prober=prober)
