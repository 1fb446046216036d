"""Clusters as the API shows them: the inventory's state, the workspaces that may use each cluster,
and whether a Jenkins serves it.

A workspace may use the clusters it declares (``Workspace.clusters``) plus, on a KubeSphere host, the
clusters of its ``WorkspaceTemplate`` placement (matched by workspace name). "Jenkins attached" is
the controller the settings map a DevOps-enabled cluster to (``Settings.controller_for``: a named
controller of ``BRIDGE_CONTROLLERS`` that lists it, else the default one when
``BRIDGE_CLUSTERS_JENKINS`` does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bridge.domain.clusters import ClusterState
from bridge.domain.kubeconfigs import available_clusters
from bridge.domain.model import Workspace
from bridge.errors import NotFound
from bridge.store import Store
from bridge.store.clusters import ClusterCatalog

DEFAULT_JENKINS = "default"
#: cluster name → the controller serving it, or None (``Settings.controller_for``).
ControllerOf = Callable[[str], str | None]


@dataclass(frozen=True)
class ClusterView:
    state: ClusterState
    #: The Jenkins controller serving this cluster's projects, or None.
    jenkins: str | None
    #: Workspaces whose projects may use this cluster.
    workspaces: tuple[str, ...]
    #: Projects placed on this cluster (their folders are on its Jenkins).
    projects: int = 0


class ClusterService:
    def __init__(
        self,
        store: Store,
        catalog: ClusterCatalog,
        *,
        controller_of: ControllerOf = lambda c: DEFAULT_JENKINS,
    ) -> None:
        self._store, self.catalog = store, catalog
        self.controller_of = controller_of

    def workspace_clusters(self) -> dict[str, tuple[str, ...]]:
        """Every workspace's available clusters."""
        return self._workspace_clusters(self.catalog.states())

    def available_for(self, workspaces: Sequence[Workspace]) -> dict[str, tuple[str, ...]]:
        placements = self.catalog.placements()
        # only a selector placement needs the clusters' labels
        selecting = any(p.clusters is None for p in placements.values())
        states = self.catalog.states() if selecting else []
        return {w.name: available_clusters(w, placements, states) for w in workspaces}

    def list(self) -> list[ClusterView]:
        states = self.catalog.states()
        using = self._users(self._workspace_clusters(states))
        placed = self._placed()
        return [self._view(s, using, placed) for s in states]

    def get(self, name: str) -> ClusterView:
        state = self.catalog.state(name)
        if state is None:
            raise NotFound(f"cluster {name!r} does not exist")
        return self._view(state, self._users(self.workspace_clusters()), self._placed())

    def _placed(self) -> dict[str, int]:
        with self._store.read() as tx:
            return tx.projects.placed()

    def _workspace_clusters(self, states: Sequence[ClusterState]) -> dict[str, tuple[str, ...]]:
        with self._store.read() as tx:
            workspaces = [w.obj for w in tx.workspaces.list()]
        placements = self.catalog.placements()
        return {w.name: available_clusters(w, placements, states) for w in workspaces}

    @staticmethod
    def _users(by_workspace: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
        users: dict[str, list[str]] = {}
        for workspace, clusters in sorted(by_workspace.items()):
            for cluster in clusters:
                users.setdefault(cluster, []).append(workspace)
        return {c: tuple(ws) for c, ws in users.items()}

    def _view(
        self, state: ClusterState, using: Mapping[str, tuple[str, ...]], placed: Mapping[str, int]
    ) -> ClusterView:
        name = state.record.name
        served = self.controller_of(name) if state.record.devops else None
        return ClusterView(
            state=state, jenkins=served, workspaces=using.get(name, ()), projects=placed.get(name, 0)
        )
