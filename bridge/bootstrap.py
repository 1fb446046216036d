"""Composition root: the only place that names concrete classes and wires them together.

``build_container(settings)`` opens the store, migrates it, and builds the services and the one
Jenkins adapter (used by ``/readyz`` through a cached, non-blocking probe); ``build_worker`` builds the
reconciliation worker from the same pieces, so ``serve --with-worker`` shares the container's store
and adapter. Tests pass fakes through the keyword arguments instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bridge.adapters.jenkins.port import JenkinsPort, RunPort
from bridge.identity.token_review import TokenReviewer
from bridge.identity.wiring import Identity, build_identity
from bridge.reconcile.ports import DesiredState
from bridge.services.credentials import CredentialService
from bridge.services.jenkinsfiles import Jenkinsfiles
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.sync import SyncService
from bridge.services.workspaces import WorkspaceService
from bridge.settings import Settings
from bridge.store import Store, StoreDesiredState

if TYPE_CHECKING:
    from bridge.adapters.jenkins.linter import JenkinsfileLinter
    from bridge.reconcile.runner import Worker

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
    jenkins: JenkinsPort | None = None
    jenkins_probe: JenkinsProbe | None = None
    #: Runs and input decisions made for a real user (``jenkins.attribution`` picks how).
    runs: RunPort | None = None

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
        pipelines=PipelineService(store),
        sync=SyncService(store),
        identity=build_identity(settings, store.engine, reviewer=token_reviewer),
        jenkins_probe=jenkins_probe,
    )
    # --- Jenkins adapter wiring -------------------------------------------------------------------
    container.jenkins = jenkins or build_jenkins(settings)
    if container.jenkins_probe is None:
        from bridge.adapters.jenkins.probe import CachedProbe

        container.jenkins_probe = CachedProbe(container.jenkins.ping, ttl=PROBE_TTL)
    container.runs = runs or build_runs(settings, store)
    container.pipelines.jenkinsfiles = Jenkinsfiles(build_linter(container.jenkins), container.jenkins_probe)
    # ------------------------------------------------------------------------------------------------
    return container


def build_jenkins(settings: Settings) -> JenkinsPort:
    """The adapter for the default Jenkins (``settings.jenkins``)."""
    from bridge.adapters.jenkins.client import JenkinsAdapter

    j = settings.jenkins
    return JenkinsAdapter(
        j.url, user=j.user, token=j.token, timeout=j.timeout, retries=j.retries, verify_tls=j.verify_tls
    )


def build_linter(jenkins: JenkinsPort) -> JenkinsfileLinter | None:
    """Jenkins's Declarative linter, through the adapter's connection (None for an adapter without one)."""
    from bridge.adapters.jenkins.linter import FormPoster, JenkinsLinter

    return JenkinsLinter(jenkins) if isinstance(jenkins, FormPoster) else None


def build_runs(settings: Settings, store: Store) -> RunPort:
    """The run side of the default Jenkins, attributed as ``jenkins.attribution`` says."""
    from bridge.adapters.jenkins.runs import connect_runs
    from bridge.store.jenkins_tokens import JenkinsTokenStore

    return connect_runs(settings.jenkins, JenkinsTokenStore(store.engine, store.box))


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
        key=marker_key(settings.secret_key),
        kubeconfig_mode=KubeconfigMode(settings.jenkins.kubeconfig_credential_mode),
        secret_repush_interval=settings.reconcile.secret_repush_interval,
        requested_by=settings.jenkins.attribution == "parameter",
    )
    linter = build_linter(jenkins)
    pending = (
        PendingValidator(desired, linter).run
        if linter is not None and isinstance(desired, PendingJenkinsfiles)
        else None
    )
    return Worker(provisioner=provisioner, desired=desired, validate=pending)
