"""Workspaces: a name, a description and the clusters its projects may be placed on."""

from __future__ import annotations

import dataclasses

from bridge.domain.model import Workspace
from bridge.errors import Conflict, NotFound
from bridge.identity.bindings import Scope, forget_scope_in
from bridge.reconcile.ports import Kind, Ref
from bridge.services.common import check_version
from bridge.services.validation import Problems, check_label, check_text
from bridge.store import Store, Stored


def validate_workspace(ws: Workspace) -> None:
    problems = Problems()
    check_label(problems, "name", ws.name)
    check_text(problems, "description", ws.description)
    for i, cluster in enumerate(ws.clusters):
        check_label(problems, f"clusters[{i}]", cluster)
    if len(set(ws.clusters)) != len(ws.clusters):
        problems.add("clusters", "must not repeat a cluster")
    problems.raise_if_any("workspace")


class WorkspaceService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def list(self, *, after: str | None = None, limit: int | None = None) -> list[Stored[Workspace]]:
        with self.store.read() as tx:
            return tx.workspaces.list(after=after, limit=limit)

    def get(self, name: str) -> Stored[Workspace]:
        with self.store.read() as tx:
            found = tx.workspaces.get(name)
        if found is None:
            raise NotFound(f"workspace {name!r} does not exist")
        return found

    def create(self, ws: Workspace) -> Stored[Workspace]:
        validate_workspace(ws)
        with self.store.write() as tx:
            if tx.workspaces.get(ws.name) is not None:
                raise Conflict(f"workspace {ws.name!r} already exists")
            tx.workspaces.insert(ws)
            created = tx.workspaces.get(ws.name)
        assert created is not None
        return created

    def update(
        self, name: str, *, expected_version: int | None = None, **changes: object
    ) -> Stored[Workspace]:
        with self.store.write() as tx:
            current = tx.workspaces.get(name)
            if current is None:
                raise NotFound(f"workspace {name!r} does not exist")
            check_version(current, expected_version)
            if isinstance(clusters := changes.get("clusters"), list):
                changes["clusters"] = tuple(clusters)
            ws = dataclasses.replace(current.obj, **changes)  # type: ignore[arg-type]
            validate_workspace(ws)
            tx.workspaces.update(ws)
            if ws.clusters != current.obj.clusters:  # its projects' kubeconfig credentials follow
                for project in tx.projects.list(workspace=name):
                    tx.dirty.add(Ref(Kind.PROJECT, project.obj.name))
            updated = tx.workspaces.get(name)
        assert updated is not None
        return updated

    def delete(self, name: str, *, expected_version: int | None = None) -> None:
        with self.store.write() as tx:
            current = tx.workspaces.get(name)
            if current is None:
                raise NotFound(f"workspace {name!r} does not exist")
            check_version(current, expected_version)
            if n := tx.projects.count_in(name):
                raise Conflict(f"workspace {name!r} still holds {n} project(s); delete them first")
            tx.workspaces.delete(name)
            forget_scope_in(tx.conn, Scope.WORKSPACE, name)  # members go with it
