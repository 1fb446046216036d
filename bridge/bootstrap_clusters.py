"""The composition root's cluster part (``bridge.bootstrap`` re-exports it): the kubeconfig sync,
the scoped deploy credentials' job, the sync's read view for the API, and the cluster inventory with
the Kubernetes sources its settings name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bridge.settings import Settings
from bridge.store import Store
from bridge.store.clusters import ClusterCatalog

if TYPE_CHECKING:
    from bridge.domain.clusters import SourceKind
    from bridge.inventory.ports import ClusterSource
    from bridge.inventory.runner import InventoryRunner
    from bridge.reconcile.kubeconfigs import KubeconfigSync
    from bridge.reconcile.preflight import Preflight
    from bridge.reconcile.scoped import ScopedCredentials
    from bridge.services.kubeconfigs import KubeconfigSyncService
    from bridge.settings.clusters import ClusterSettings


def build_preflight(settings: Settings, store: Store) -> Preflight:
    """The deploy target preflight over the store's targets and inventory, asking Kubernetes."""
    from bridge.adapters.kube.namespaces import KubeNamespaces
    from bridge.reconcile.preflight import Preflight
    from bridge.store.deploy_targets import DeployTargetBook

    return Preflight(
        book=DeployTargetBook(store),
        inventory=ClusterCatalog(store.engine, store.box),
        namespaces=KubeNamespaces(timeout=settings.clusters.probe_timeout),
    )


def build_scoped(
    settings: Settings, store: Store, *, clock: Callable[[], datetime] | None = None
) -> ScopedCredentials:
    """The scoped deploy credentials' job (``BRIDGE_SCOPED_*``); with no cluster scoped, a run only
    revokes what an earlier policy granted."""
    from datetime import UTC, timedelta

    from bridge.adapters.kube.deployers import KubeDeployers
    from bridge.domain.kubeconfigs import KubeconfigPolicy
    from bridge.domain.scoped import CredentialPolicy, Rotation
    from bridge.reconcile.scoped import ScopedConfig, ScopedCredentials
    from bridge.store.scoped import ScopedBook

    s = settings.scoped
    policies = {c: CredentialPolicy(p) for c, p in s.overrides().items()}
    config = ScopedConfig(
        default=CredentialPolicy(s.policy),
        policies=policies,
        cluster_role=s.cluster_role,
        audiences=s.audience_list(),
        lifetime=int(s.token_lifetime),
        rotation=Rotation(fraction=s.rotate_at, jitter=s.jitter, min_validity=s.min_validity),
        retry_after=timedelta(seconds=s.retry_interval),
        entitlement=KubeconfigPolicy(settings.clusters.kubeconfig_policy),
    )
    return ScopedCredentials(
        book=ScopedBook(store),
        inventory=ClusterCatalog(store.engine, store.box),
        deployers=KubeDeployers(namespace=s.namespace, timeout=settings.clusters.probe_timeout),
        config=config,
        clock=clock or (lambda: datetime.now(UTC)),
    )


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
        scoped=build_scoped(settings, store),
    )


def build_kubeconfig_view(settings: Settings, store: Store) -> KubeconfigSyncService:
    from bridge.domain.kubeconfigs import KubeconfigPolicy
    from bridge.services.kubeconfigs import KubeconfigSyncService

    return KubeconfigSyncService(
        store,
        ClusterCatalog(store.engine, store.box),
        policy=KubeconfigPolicy(settings.clusters.kubeconfig_policy),
        prefix=settings.clusters.kubeconfig_prefix,
        scoped=build_scoped(settings, store),
    )


def build_inventory(settings: Settings, store: Store) -> InventoryRunner | None:
    """The cluster inventory's sources (``BRIDGE_CLUSTERS_SOURCES``), writing into ``store``; None
    when no source is configured. Call ``start()`` on it; ``stop()`` ends its threads."""
    from bridge.domain.clusters import SourceKind
    from bridge.inventory.inventory import Inventory
    from bridge.inventory.prober import Prober
    from bridge.inventory.runner import InventoryRunner
    from bridge.settings.clusters import parse_static_clusters

    c = settings.clusters
    kinds = [SourceKind(s) for s in c.source_names()]
    if not kinds:
        return None
    catalog = ClusterCatalog(store.engine, store.box)
    hosted = (SourceKind.KUBESPHERE, SourceKind.ARGOCD)
    sources: list[ClusterSource] = [_host_source(kind, c) for kind in hosted if kind in kinds]
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
    # and the deploy targets on it are checked again
    inventory.subscribe(build_preflight(settings, store).on_change)
    prober = Prober(catalog, KubeVersionProbe(timeout=c.probe_timeout), interval=c.probe_interval)
    return InventoryRunner(inventory=inventory, sources=sources, prober=prober)


def _host_source(kind: SourceKind, c: ClusterSettings) -> ClusterSource:
    """The source that lists a host cluster's member clusters: KubeSphere's or Argo CD's."""
    from bridge.adapters.kube.token_review import host_api_client
    from bridge.domain.clusters import SourceKind

    if kind is SourceKind.KUBESPHERE:
        from bridge.adapters.kube.kubesphere import KubeSphereSource

        api = host_api_client(c.kubesphere_kubeconfig)
        return KubeSphereSource(
            api, relist_interval=c.relist_interval, workspace_version=c.kubesphere_workspace_version
        )
    from bridge.adapters.kube.argocd import ArgoCdSource

    api = host_api_client(c.argocd_kubeconfig)
    return ArgoCdSource(api, namespace=c.argocd_namespace, relist_interval=c.relist_interval)
