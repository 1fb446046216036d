"""The run side of the composition root (re-exported by ``bridge.bootstrap``): the default controller's
run port, its views and actions behind one coalescing cache, its logs, and the worker's run follower."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.adapters.jenkins.port import RunPort
from bridge.bootstrap_placement import build_connections
from bridge.services.clusters import DEFAULT_JENKINS
from bridge.settings import Settings
from bridge.store import Store

if TYPE_CHECKING:
    from bridge.adapters.jenkins.connection import JenkinsConnection
    from bridge.reconcile.runsync import RunFollower
    from bridge.services.run_logs import RunLogs
    from bridge.services.runs import RunService


def build_run_logs(settings: Settings, connection: JenkinsConnection) -> RunLogs:
    """Run logs of the default Jenkins over its shared ``connection`` (whose pool has room for the
    streams: ``build_connections``), paced and bounded by ``api.*`` settings."""
    from bridge.adapters.jenkins.logs import JenkinsLogs
    from bridge.services.run_logs import RunLogs

    api = settings.api
    return RunLogs(
        JenkinsLogs(connection),
        interval=api.log_poll_interval,
        heartbeat=api.stream_heartbeat,
        max_streams=api.max_streams,
    )


def build_runs(settings: Settings, store: Store, connection: JenkinsConnection | None = None) -> RunPort:
    """The run side of the default Jenkins, attributed as ``jenkins.attribution`` says."""
    from bridge.adapters.jenkins.runs import connect_runs
    from bridge.store.jenkins_tokens import JenkinsTokenStore

    connection = connection or build_connections(settings)[DEFAULT_JENKINS]
    vault = JenkinsTokenStore(store.engine, store.box, jenkins=connection.name)
    return connect_runs(connection, settings.jenkins, vault)


def build_run_service(
    settings: Settings, store: Store, runs: RunPort, connection: JenkinsConnection | None = None
) -> RunService:
    """Runs over the default controller's shared connection: reads through one coalescing cache,
    actions attributed like runs (for a ``RunPort`` that is not the HTTP one, the run side is built
    over ``connection``)."""
    from bridge.adapters.jenkins.coalesce import CachedRunViews
    from bridge.adapters.jenkins.runactions import JenkinsRunActions
    from bridge.adapters.jenkins.runs import JenkinsRuns
    from bridge.adapters.jenkins.runviews import JenkinsRunViews
    from bridge.services.runs import RunService

    http = runs if isinstance(runs, JenkinsRuns) else build_runs(settings, store, connection)
    assert isinstance(http, JenkinsRuns)
    views = CachedRunViews(JenkinsRunViews(http.service), ttl=settings.reconcile.run_cache_ttl)
    return RunService(store, runs, views, JenkinsRunActions(http))


def build_run_follower(
    settings: Settings,
    store: Store,
    service: RunService | None = None,
    connection: JenkinsConnection | None = None,
) -> RunFollower:
    """The worker's side of the run index: reads through ``service`` (``serve --with-worker``: the API's
    cache, so both share each Jenkins request), else over ``connection`` (the worker's adapter's)."""
    from bridge.reconcile.runsync import RunFollower

    service = service or build_run_service(settings, store, build_runs(settings, store, connection))
    r = settings.reconcile
    return RunFollower(
        store,
        service.views,
        first=r.run_refresh_min,
        most=r.run_refresh_max,
        note=getattr(service.actions, "note", None),
    )
