"""The composition root's placement part (``bridge.bootstrap`` re-exports it): projects placed on
clusters, each cluster's Jenkins controller, and everything of a project sent to its controller.

With one controller (``BRIDGE_CONTROLLERS`` empty) the worker has one ``Provisioner`` and the API one
run service over the default connection, as before. With several, the worker reconciles through
``ControllerPasses`` (a provisioner, pool and kubeconfig sync per controller; moves finished after),
follows runs with one follower per controller, and the API's runs, run views, actions, inputs and
logs go through routed ports that pick the project's controller (``adapters/jenkins/routed.py``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING

from bridge.adapters.jenkins.port import JenkinsPort, RunPort
from bridge.services.clusters import DEFAULT_JENKINS, ClusterService
from bridge.services.placement import Placement
from bridge.settings import Settings, reveal
from bridge.store import Store, StoreDesiredState

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from bridge.adapters.jenkins.connection import JenkinsConnection
    from bridge.reconcile.controllers import ControllerFollowers, ControllerPasses
    from bridge.reconcile.leases import LeaseKeeper
    from bridge.reconcile.ports import DesiredState
    from bridge.reconcile.provision import Provisioner
    from bridge.reconcile.worker import Worker
    from bridge.services.run_logs import RunLogs
    from bridge.services.runs import RunService


def build_connections(
    settings: Settings, names: Collection[str] | None = None
) -> dict[str, JenkinsConnection]:
    """One connection per Jenkins controller named in the settings (``settings.controllers()``;
    ``names``: only these)."""
    from bridge.adapters.jenkins.connection import JenkinsConnection

    return {
        name: JenkinsConnection(
            j.url,
            name=name,
            user=j.user,
            token=reveal(j.token),
            timeout=j.timeout,
            retries=j.retries,
            verify_tls=j.verify_tls,
            # the worker's requests, the API's, and one streamed log page per run being followed
            pool_size=max(10, settings.reconcile.concurrency + 4) + settings.api.max_streams,
        )
        for name, j in settings.controllers().items()
        if names is None or name in names
    }


def build_placement(settings: Settings, clusters: ClusterService | None = None) -> Placement:
    """Which clusters a project may be placed on (the inventory, when a source is configured) and
    the controller serving each (``Settings.controller_for``)."""
    inventory = bool(settings.clusters.source_names())
    return Placement(settings.controller_for, clusters=clusters, inventory=inventory)


def several(settings: Settings) -> bool:
    """Whether projects are spread over controllers (several of them, or leases shared by workers):
    the worker has a provisioner per controller and the API routes by project."""
    return len(settings.controllers()) > 1 or settings.reconcile.leases


def project_route(store: Store, placement: Placement) -> Callable[[str], str | None]:
    """project name → its controller, read from the store at each call (a move takes effect at once)."""

    def route(project: str) -> str | None:
        with store.read() as tx:
            found = tx.projects.get(project)
        return DEFAULT_JENKINS if found is None else placement.controller(found.obj)

    return route


def projects_on(store: Store, placement: Placement, controller: str) -> Callable[[], list[str]]:
    """The names of the projects whose folder ``controller`` holds."""
    return _projects_of(store, placement, lambda: {controller})


def _projects_of(
    store: Store, placement: Placement, controllers: Callable[[], Collection[str]]
) -> Callable[[], list[str]]:
    """The names of the projects whose folder one of ``controllers()`` (asked at each call) holds."""

    def names() -> list[str]:
        held = controllers()
        with store.read() as tx:
            return [s.obj.name for s in tx.projects.list() if placement.controller(s.obj) in held]

    return names


def build_provisioner(
    settings: Settings,
    desired: DesiredState,
    jenkins: JenkinsPort,
    *,
    controller: str = DEFAULT_JENKINS,
    placement: Placement | None = None,
) -> Provisioner:
    """The provisioner of one controller (its own pool, identities and kubeconfig sync)."""
    from bridge.adapters.jenkins.configxml import KubeconfigMode
    from bridge.adapters.jenkins.identities import JenkinsProjectIdentities, JsonAndForms
    from bridge.bootstrap_clusters import build_kubeconfig_sync
    from bridge.identity.wiring import reserved_names
    from bridge.reconcile.provision import Provisioner
    from bridge.reconcile.render import marker_key

    return Provisioner(
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
        concurrency=settings.reconcile.concurrency,
        controller=controller,
        placed=placement.controller if placement is not None else None,
    )


def build_passes(
    settings: Settings,
    desired: DesiredState,
    jenkins: JenkinsPort,
    connections: Mapping[str, JenkinsConnection],
    keeper: LeaseKeeper | None = None,
) -> Provisioner | ControllerPasses:
    """One provisioner (one controller), or one per controller: ``jenkins`` for the default one, an
    adapter over ``connections[name]`` for each other; with ``keeper``, only the controllers whose
    lease this worker holds."""
    if not several(settings):
        return build_provisioner(settings, desired, jenkins)
    from bridge.adapters.jenkins.client import JenkinsAdapter
    from bridge.reconcile.controllers import ControllerPasses

    assert isinstance(desired, StoreDesiredState), "several controllers need the store"
    placement = build_placement(settings)
    adapters = {DEFAULT_JENKINS: jenkins} | {
        name: JenkinsAdapter(c) for name, c in connections.items() if name != DEFAULT_JENKINS
    }
    return ControllerPasses(
        {
            n: build_provisioner(settings, desired, a, controller=n, placement=placement)
            for n, a in adapters.items()
        },
        desired=desired,
        placed=placement.controller,
        arrived=desired.synced_folders,
        held=keeper.held if keeper is not None else None,
        guard=keeper.guard if keeper is not None else _free,
    )


def build_controllers(
    settings: Settings,
    desired: DesiredState,
    jenkins: JenkinsPort,
    connection: JenkinsConnection | None,
    connections: Mapping[str, JenkinsConnection] | None,
) -> tuple[dict[str, JenkinsConnection], LeaseKeeper | None, Provisioner | ControllerPasses]:
    """The worker's controllers: every connection (``jenkins``'s ``connection`` for the default one,
    the given ``connections`` or new ones for the others), the lease keeper (``reconcile.leases``,
    which also scopes the dirty keys taken) and the provisioner(s)."""
    found: dict[str, JenkinsConnection] = {}
    if several(settings):
        others = set(settings.controllers()) - {DEFAULT_JENKINS}
        found = {n: c for n, c in (connections or {}).items() if n in others} or build_connections(
            settings, others
        )
        if connection is not None:
            found = {DEFAULT_JENKINS: connection, **found}
    keeper = None
    if settings.reconcile.leases and isinstance(desired, StoreDesiredState):  # several workers share them
        keeper = build_lease_keeper(settings, desired.store)
        desired.scope = held_projects(desired.store, settings, keeper)  # others' dirty keys stay queued
    return found, keeper, build_passes(settings, desired, jenkins, found, keeper)


def build_routed_api(
    settings: Settings, store: Store, connections: Mapping[str, JenkinsConnection]
) -> tuple[RunPort, RunService, RunLogs]:
    """The API's runs, inputs, run views and actions, and logs, each on the project's controller."""
    runs, service = build_routed_run_service(settings, store, connections)
    return runs, service, build_routed_logs(settings, store, connections)


def _free(controller: str) -> contextlib.AbstractContextManager[bool]:
    return contextlib.nullcontext(True)


def build_lease_keeper(settings: Settings, store: Store) -> LeaseKeeper:
    """The controller leases of this worker process (``reconcile.leases``, PostgreSQL)."""
    from bridge.reconcile.leases import LeaseKeeper
    from bridge.store.leases import LeaseBook

    r = settings.reconcile
    return LeaseKeeper(
        LeaseBook(store.engine), list(settings.controllers()), ttl=r.lease_ttl, renew=r.lease_renew
    )


def start_leases(
    worker: Worker, on_leases: Callable[[Collection[str], Collection[str]], None] | None = None
) -> None:
    """Take this worker's first leases now, then keep them on the keeper's thread; a lease taken
    makes the next poll a full pass (the controller may have waited for a worker)."""
    keeper = worker.leases
    assert keeper is not None

    def changed(held: set[str]) -> None:
        worker.full_pass.set()
        worker.wake.set()
        if on_leases is not None:
            on_leases(keeper.controllers, held)

    keeper.on_change = changed
    try:
        keeper.tick()
    except Exception:  # the store unreachable: the keeper's thread tries again
        log.exception("taking the controller leases failed")
    keeper.start()


def held_projects(store: Store, settings: Settings, keeper: LeaseKeeper) -> Callable[[], list[str]]:
    """The names of the projects on the controllers this worker holds."""
    return _projects_of(store, build_placement(settings), keeper.held)


def build_routed_runs(
    settings: Settings,
    store: Store,
    connections: Mapping[str, JenkinsConnection],
    *,
    parameter: bool = False,
) -> RunPort:
    """Runs and inputs sent to each project's controller (``parameter``: attributed by parameter,
    as webhook deliveries are, whatever ``jenkins.attribution`` says)."""
    from bridge.adapters.jenkins.routed import RoutedRuns
    from bridge.adapters.jenkins.runs import connect_runs
    from bridge.store.jenkins_tokens import JenkinsTokenStore

    j = settings.jenkins.model_copy(update={"attribution": "parameter"}) if parameter else settings.jenkins
    ports: dict[str, RunPort] = {
        name: connect_runs(c, j, JenkinsTokenStore(store.engine, store.box, jenkins=name))
        for name, c in connections.items()
    }
    return RoutedRuns(ports, project_route(store, build_placement(settings)))


def build_routed_run_service(
    settings: Settings, store: Store, connections: Mapping[str, JenkinsConnection]
) -> tuple[RunPort, RunService]:
    """The API's runs over every controller: one coalescing cache per controller, routed by project."""
    from bridge.adapters.jenkins.coalesce import CachedRunViews
    from bridge.adapters.jenkins.routed import RoutedActions, RoutedViews
    from bridge.adapters.jenkins.runactions import JenkinsRunActions
    from bridge.adapters.jenkins.runs import JenkinsRuns
    from bridge.adapters.jenkins.runviews import JenkinsRunViews
    from bridge.services.runs import RunService

    runs = build_routed_runs(settings, store, connections)
    route = project_route(store, build_placement(settings))
    http = {n: p for n, p in runs.ports.items() if isinstance(p, JenkinsRuns)}  # type: ignore[attr-defined]
    views = {
        n: CachedRunViews(JenkinsRunViews(r.service), ttl=settings.reconcile.run_cache_ttl)
        for n, r in http.items()
    }
    actions = {n: JenkinsRunActions(r) for n, r in http.items()}
    return runs, RunService(store, runs, RoutedViews(views, route), RoutedActions(actions, route))


def build_routed_logs(
    settings: Settings, store: Store, connections: Mapping[str, JenkinsConnection]
) -> RunLogs:
    """Run logs read from each project's controller, one shared tail per build."""
    from bridge.adapters.jenkins.logs import JenkinsLogs
    from bridge.adapters.jenkins.routed import RoutedLogs
    from bridge.services.run_logs import RunLogs

    api = settings.api
    route = project_route(store, build_placement(settings))
    ports = {n: JenkinsLogs(c) for n, c in connections.items()}
    return RunLogs(
        RoutedLogs(ports, route, counter=connections[DEFAULT_JENKINS].counter),
        interval=api.log_poll_interval,
        heartbeat=api.stream_heartbeat,
        max_streams=api.max_streams,
    )


def build_followers(
    settings: Settings,
    store: Store,
    service: RunService | None,
    connections: Mapping[str, JenkinsConnection],
    keeper: LeaseKeeper | None = None,
) -> ControllerFollowers:
    """One run follower per controller over that controller's views (the API's caches with
    ``serve --with-worker``, else a routed run service over ``connections``), each following the
    runs of the projects placed there (with ``keeper``: on the controllers it holds)."""
    service = service or build_routed_run_service(settings, store, connections)[1]
    from bridge.adapters.jenkins.routed import RoutedActions, RoutedViews
    from bridge.reconcile.controllers import ControllerFollowers
    from bridge.reconcile.runsync import RunFollower

    assert isinstance(service.views, RoutedViews) and isinstance(service.actions, RoutedActions)
    placement = build_placement(settings)
    r = settings.reconcile
    return ControllerFollowers(
        {
            name: RunFollower(
                store,
                views,
                first=r.run_refresh_min,
                most=r.run_refresh_max,
                note=getattr(service.actions.ports.get(name), "note", None),
                owns=projects_on(store, placement, name),
            )
            for name, views in service.views.ports.items()
        },
        held=keeper.held if keeper is not None else None,
        guard=keeper.guard if keeper is not None else _free,
    )
