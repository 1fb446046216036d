"""DevOps projects. Each becomes one Jenkins folder.

Deleting a project deletes its credentials and pipelines from the store and leaves one tombstone, for
the project: deleting the Jenkins folder removes everything inside it, so item tombstones (and queued
item keys) of the project are dropped. If a project is re-created while its tombstone is still
pending, both exist: the worker applies the tombstone first (the old folder goes), then the new project.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from bridge.domain.model import Project, SyncState, SyncStatus
from bridge.errors import Conflict, NotFound
from bridge.identity.bindings import Scope, forget_scope_in
from bridge.reconcile.ports import Kind, Ref
from bridge.services.clusters import DEFAULT_JENKINS
from bridge.services.common import check_version, removed, touched
from bridge.services.placement import Placement
from bridge.services.validation import Problems, check_label, check_text
from bridge.store import Store, Stored, Tx


@dataclass(frozen=True)
class NotificationChange:
    """A change of the project's approval notification webhook (``url`` ``None``: remove it)."""

    url: str | None
    secret: str | None = field(default=None, repr=False)
    #: the secret was not sent: keep the stored one
    keep_secret: bool = False


def name_unavailable(name: str) -> str:
    """The one answer for a taken project name, whoever holds it: names are unique across workspaces
    (they are Jenkins folders at the root), and the caller may not see the holder, so the answer names
    neither a workspace nor whether the caller could see it (docs/security.md, "Existence")."""
    return f"the project name {name!r} is not available: project names are unique across all workspaces"


def project_key(name: str) -> Ref:
    return Ref(Kind.PROJECT, name)


def _validate(tx: Tx, p: Project, placement: Placement | None = None) -> Project:
    """``p`` checked, and placed when ``placement`` is given (its cluster chosen or checked)."""
    problems = Problems()
    check_label(problems, "name", p.name)
    check_text(problems, "description", p.description)
    if p.cluster is not None:
        check_label(problems, "cluster", p.cluster)
    workspace = tx.workspaces.get(p.workspace)
    if workspace is None:
        problems.add("workspace", f"workspace {p.workspace!r} does not exist")
    elif placement is not None and not problems.items:
        p = dataclasses.replace(p, cluster=placement.place(workspace.obj, p.cluster, problems))
    elif p.cluster is not None and workspace.obj.clusters and p.cluster not in workspace.obj.clusters:
        problems.add("cluster", f"cluster {p.cluster!r} is not one of workspace {p.workspace!r}'s clusters")
    problems.raise_if_any("project")
    return p


def moving(old: str | None, new: str | None) -> str:
    return (
        f"moving from Jenkins controller {old!r} to {new!r}: the folder is created there, then the "
        f"bridge's folder on {old!r} is deleted"
    )


class ProjectService:
    def __init__(self, store: Store, placement: Placement | None = None) -> None:
        self.store = store
        #: Which clusters a project may be placed on, and the controller of each (None: any cluster
        #: of the workspace, one controller).
        self.placement = placement

    def list(
        self, *, workspace: str | None = None, after: str | None = None, limit: int | None = None
    ) -> list[Stored[Project]]:
        with self.store.read() as tx:
            return tx.projects.list(workspace=workspace, after=after, limit=limit)

    def get(self, name: str) -> Stored[Project]:
        with self.store.read() as tx:
            found = tx.projects.get(name)
        if found is None:
            raise NotFound(f"project {name!r} does not exist")
        return found

    def create(self, p: Project, *, notification: NotificationChange | None = None) -> Stored[Project]:
        with self.store.write() as tx:
            if tx.projects.exists(p.name):
                raise Conflict(name_unavailable(p.name))
            p = _validate(tx, p, self.placement)
            tx.projects.insert(p)
            if notification is not None:
                tx.notifications.put(p.name, notification.url, notification.secret, keep_secret=False)
            touched(tx, project_key(p.name))
            created = tx.projects.get(p.name)
        assert created is not None
        return created

    def update(
        self,
        name: str,
        *,
        expected_version: int | None = None,
        notification: NotificationChange | None = None,
        **changes: object,
    ) -> Stored[Project]:
        with self.store.write() as tx:
            current = tx.projects.get(name)
            if current is None:
                raise NotFound(f"project {name!r} does not exist")
            check_version(current, expected_version)
            if notification is not None:
                n = notification
                tx.notifications.put(name, n.url, n.secret, keep_secret=n.keep_secret)
            p = dataclasses.replace(current.obj, **changes)  # type: ignore[arg-type]
            placed = "cluster" in changes or p.workspace != current.obj.workspace
            p = _validate(tx, p, self.placement if placed else None)
            if p != current.obj:
                tx.projects.update(p)
                touched(tx, project_key(name))
                self._moved(tx, current.obj, p)
            if p.workspace != current.obj.workspace:  # other clusters allowed: check its deploy targets
                tx.targets.request_project(name)
            updated = tx.projects.get(name)
        assert updated is not None
        return updated

    def controller(self, p: Project) -> str | None:
        """The Jenkins controller holding ``p``'s folder."""
        return DEFAULT_JENKINS if self.placement is None else self.placement.controller(p)

    def _moved(self, tx: Tx, old: Project, new: Project) -> None:
        """A project placed on another controller shows the move in its sync state until the worker
        has created its folder there (the old folder goes once everything is there)."""
        before, after = self.controller(old), self.controller(new)
        if before != after:
            tx.sync.set(project_key(new.name), SyncState(SyncStatus.PENDING, message=moving(before, after)))

    def delete(self, name: str, *, expected_version: int | None = None) -> None:
        with self.store.write() as tx:
            current = tx.projects.get(name)
            if current is None:
                raise NotFound(f"project {name!r} does not exist")
            check_version(current, expected_version)
            tx.projects.delete(name)
            tx.sync.forget_project(name)
            tx.tombstones.forget_children(name)
            tx.dirty.remove_children(name)
            forget_scope_in(tx.conn, Scope.PROJECT, name)  # members go with it
            removed(tx, project_key(name), jenkins=self.controller(current.obj) or DEFAULT_JENKINS)
            for other in tx.owned.holders(name):  # a move not finished: the old folder goes too
                tx.tombstones.add(project_key(name), jenkins=other)
