"""Where a project lives: the cluster it is placed on, and the Jenkins controller holding its folder.

A project is placed on one cluster of its workspace that is *eligible*: available to the workspace,
DevOps-enabled and served by a Jenkins controller (``Settings.controller_for``). Without a cluster in
the request it gets the workspace's first eligible one; a cluster that is not eligible is a 400 naming
the eligible ones. When no inventory is configured (``BRIDGE_CLUSTERS_SOURCES`` empty) DevOps flags are
unknown: the eligible clusters are the workspace's declared clusters that a controller serves (any
cluster a controller serves, when the workspace declares none), and a project may stay unplaced.

The controller of a project is the one serving its cluster; an unplaced project (``cluster`` null)
lives on the default controller. A project whose cluster no controller serves any more (the settings
changed) has no controller: no pass provisions it anywhere, and nothing of it is deleted.
"""

from __future__ import annotations

from bridge.domain.model import Project, Workspace
from bridge.services.clusters import DEFAULT_JENKINS, ClusterService, ControllerOf
from bridge.services.validation import Problems


class Placement:
    def __init__(
        self,
        controller_of: ControllerOf,
        *,
        clusters: ClusterService | None = None,
        inventory: bool = False,
    ) -> None:
        """``clusters``: the inventory as the API reads it; ``inventory``: whether a source is configured
        (DevOps flags and workspace placements are then known, and every project is placed)."""
        self.controller_of = controller_of
        self._clusters = clusters if inventory else None

    def eligible(self, workspace: Workspace) -> list[str]:
        """The clusters a project of ``workspace`` may be placed on, the default first."""
        if self._clusters is None:
            return [c for c in workspace.clusters if self.controller_of(c) is not None]
        available = self._clusters.available_for([workspace])[workspace.name]
        devops = {s.record.name for s in self._clusters.catalog.states() if s.record.devops}
        return [c for c in available if c in devops and self.controller_of(c) is not None]

    def place(self, workspace: Workspace, requested: str | None, problems: Problems) -> str | None:
        """The cluster a project of ``workspace`` asking for ``requested`` is placed on (a problem
        naming the eligible clusters when it may not be)."""
        eligible = self.eligible(workspace)
        if self._clusters is None and not workspace.clusters and requested is not None:
            eligible = [requested] if self.controller_of(requested) is not None else []  # names are free
        if requested is None:
            return eligible[0] if eligible and self._clusters is not None else None
        if requested not in eligible:
            names = ", ".join(eligible) if eligible else "none"
            problems.add(
                "cluster",
                f"cluster {requested!r} is not eligible for projects of workspace {workspace.name!r} "
                f"(a cluster of the workspace, DevOps-enabled, served by a Jenkins); eligible: {names}",
            )
        return requested

    def controller(self, project: Project) -> str | None:
        """The controller holding the project's folder (``None``: no Jenkins serves its cluster)."""
        return DEFAULT_JENKINS if project.cluster is None else self.controller_of(project.cluster)
