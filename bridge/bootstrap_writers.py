"""The composition root's writing part (``bridge.bootstrap`` re-exports it): the services that change
what users declare (workspaces, projects, credentials, pipelines), wired with the checks they make:
the cluster inventory and placement, and the default controller's Declarative linter.

``build_container`` builds them for the API; ``build_writers`` builds only them (and the store and the
connection they use) for ``apply -f``, so that a one-shot command neither imports nor builds the run,
approval, metrics, cluster-sync and code-quality parts it never calls. Both wire them the same way,
through ``writer_services``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bridge.bootstrap_placement import build_connections, build_placement
from bridge.services.clusters import ClusterService
from bridge.services.credentials import CredentialService
from bridge.services.jenkinsfiles import Jenkinsfiles
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.settings import Settings
from bridge.store import Store
from bridge.store.clusters import ClusterCatalog

if TYPE_CHECKING:
    from bridge.adapters.jenkins.connection import JenkinsConnection
    from bridge.adapters.jenkins.linter import JenkinsfileLinter
    from bridge.adapters.jenkins.port import JenkinsPort

#: Answers "can Jenkins be reached?" at once (``None``: not known yet).
JenkinsProbe = Callable[[], bool | None]
#: The controller named by ``settings.jenkins`` (``settings.controllers()`` adds the named ones).
DEFAULT_CONTROLLER = "default"
#: Seconds a reachability answer is reused before the probe asks Jenkins again (in the background).
PROBE_TTL = 10.0


@dataclass
class Writers:
    """The writing services over one store (``build_writers``); ``close`` releases what they hold."""

    store: Store
    clusters: ClusterService
    workspaces: WorkspaceService
    projects: ProjectService
    credentials: CredentialService
    pipelines: PipelineService
    connections: dict[str, JenkinsConnection] = field(default_factory=dict)

    def close(self) -> None:
        self.store.close()
        for connection in self.connections.values():
            connection.close()


def writer_services(
    settings: Settings, store: Store, jenkins: JenkinsPort | None, probe: JenkinsProbe | None
) -> Writers:
    """The four writing services and the cluster service, wired as the API and ``apply -f`` use them."""
    clusters = ClusterService(
        store, ClusterCatalog(store.engine, store.box), controller_of=settings.controller_for
    )
    writers = Writers(
        store=store,
        clusters=clusters,
        workspaces=WorkspaceService(store),
        projects=ProjectService(store),
        credentials=CredentialService(store),
        pipelines=PipelineService(store, allow_http_scm=settings.jenkins.allow_http_scm),
    )
    linter = build_linter(jenkins) if jenkins is not None else None
    writers.pipelines.jenkinsfiles = Jenkinsfiles(linter, probe)
    # clusters: targets name a workspace's clusters; workspaces name the inventory's
    writers.projects.placement = build_placement(settings, clusters)  # a project's cluster, controller
    writers.pipelines.allowed_clusters = lambda ws: clusters.available_for([ws])[ws.name]
    if settings.clusters.source_names():
        writers.workspaces.known_clusters = lambda: [s.record.name for s in clusters.catalog.states()]
    return writers


def build_writers(settings: Settings, *, store: Store | None = None, migrate: bool = True) -> Writers:
    """The writing services alone, over a new store and the default controller's connection (its
    linter and reachability probe), for ``apply -f``."""
    from bridge.adapters.jenkins.probe import CachedProbe

    store = store or Store.from_settings(settings)
    if migrate:
        store.migrate()
    connections = build_connections(settings, names=[DEFAULT_CONTROLLER])
    jenkins = adapter_over(connections[DEFAULT_CONTROLLER])
    writers = writer_services(settings, store, jenkins, CachedProbe(jenkins.ping, ttl=PROBE_TTL))
    writers.connections = connections
    return writers


def adapter_over(connection: JenkinsConnection) -> JenkinsPort:
    """The provisioning adapter over ``connection``."""
    from bridge.adapters.jenkins.client import JenkinsAdapter

    return JenkinsAdapter(connection)


def build_linter(jenkins: JenkinsPort) -> JenkinsfileLinter | None:
    """Jenkins's Declarative linter, through the adapter's connection (None for an adapter without one)."""
    from bridge.adapters.jenkins.linter import FormPoster, JenkinsLinter

    return JenkinsLinter(jenkins) if isinstance(jenkins, FormPoster) else None
