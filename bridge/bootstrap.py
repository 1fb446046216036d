"""Composition root: the only place that names concrete classes and wires them together.

``build_container(settings)`` opens the store, migrates it, and builds the services. Adapters to
external systems are wired here too (see the marked section); tests pass fakes through the keyword
arguments instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bridge.identity.token_review import TokenReviewer
from bridge.identity.wiring import Identity, build_identity
from bridge.services.credentials import CredentialService
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.sync import SyncService
from bridge.services.workspaces import WorkspaceService
from bridge.settings import Settings
from bridge.store import Store, StoreDesiredState

#: Answers "can Jenkins be reached?" quickly; used by /readyz for information only.
JenkinsProbe = Callable[[], bool]


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
    jenkins_probe: JenkinsProbe | None = None

    def close(self) -> None:
        self.store.close()


def build_container(
    settings: Settings,
    *,
    store: Store | None = None,
    jenkins_probe: JenkinsProbe | None = None,
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
    # --- Jenkins adapter wiring (reconcile work) -------------------------------------------------
    # Build the Jenkins adapter from settings.jenkins here and set container.jenkins_probe (a fast
    # reachability check) unless a test passed one; add the adapter to Container as a field.
    # ------------------------------------------------------------------------------------------------
    return container
