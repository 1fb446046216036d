"""Scoped deploy credentials' rows: one per (project, cluster) the credential job manages.

A row is written when the first grant succeeds and deleted only once the credential was revoked on the
cluster, so a project deleted, a target removed or a policy switched is cleaned up even across
restarts (no foreign key to ``projects``: a deleted project's row stays until its revocation). The
token is stored only inside the sealed kubeconfig (``SecretBox``). Revision ``0017_scoped_credentials``,
which also adds ``deploy_targets.cluster_role``. Grants and revocations are audited in the row
change's own transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, Connection, DateTime, LargeBinary, String, Table, Text, delete, select

from bridge.audit.log import AuditEntry, Outcome, append_in
from bridge.domain.model import Workspace
from bridge.domain.scoped import Grant, ScopedState, TargetRow
from bridge.log import SECRETS
from bridge.reconcile.ports import Kind, Ref
from bridge.store.bookkeeping import insert_for
from bridge.store.deploy_targets import deploy_targets
from bridge.store.engine import WRITE
from bridge.store.records import utc
from bridge.store.tables import NAME, metadata, projects

if TYPE_CHECKING:
    from bridge.store.unit import Store

Clock = Callable[[], datetime]
KUBECONFIG_KEY = "kubeconfig"
#: The actor of the credential job's audit entries.
ACTOR = "jenkins-bridge"

scoped_credentials = Table(
    "scoped_credentials",
    metadata,
    Column("project", String(NAME), primary_key=True),
    Column("cluster", String(NAME), primary_key=True),
    Column("grants", Text, nullable=False),
    Column("kubeconfig_sealed", LargeBinary, nullable=True),
    Column("issued_at", DateTime(timezone=True), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("rotate_at", DateTime(timezone=True), nullable=True),
    Column("rotated_at", DateTime(timezone=True), nullable=True),
    Column("error", Text, nullable=True),
    Column("error_at", DateTime(timezone=True), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
_S = scoped_credentials.c
_T = deploy_targets.c


class ScopedBook:
    """What the credential job and the kubeconfig sync read and write (``reconcile.scoped.ScopedStore``)."""

    def __init__(self, store: Store, *, clock: Clock = lambda: datetime.now(UTC)) -> None:
        self._store, self._clock = store, clock

    # --- reads ------------------------------------------------------------------------------------

    def workspaces(self) -> dict[str, Workspace]:
        with self._store.read() as tx:
            return {w.obj.name: w.obj for w in tx.workspaces.list()}

    def targets(self) -> list[TargetRow]:
        query = (
            select(_T.project, _T.cluster, _T.namespace, _T.cluster_role, projects.c.workspace)
            .join(projects, projects.c.name == _T.project)
            .order_by(_T.project, _T.cluster, _T.namespace)
        )
        with self._store.engine.connect() as conn:
            return [
                TargetRow(r.project, r.workspace, r.cluster, r.namespace, r.cluster_role)
                for r in conn.execute(query)
            ]

    def states(self, projects_: Collection[str] | None = None) -> dict[tuple[str, str], ScopedState]:
        columns = [c for c in scoped_credentials.c if c.name != "kubeconfig_sealed"]
        has_token = _S.kubeconfig_sealed.is_not(None).label("has_token")
        query = select(*columns, has_token).order_by(_S.project, _S.cluster)  # never the sealed blobs
        if projects_ is not None:
            query = query.where(_S.project.in_(sorted(projects_)))
        with self._store.engine.connect() as conn:
            return {(r.project, r.cluster): _state(r) for r in conn.execute(query)}

    def kubeconfigs(self, projects_: Collection[str]) -> dict[tuple[str, str], str]:
        """(project, cluster) → the scoped kubeconfig in clear, for the pairs that have one."""
        query = select(_S.project, _S.cluster, _S.kubeconfig_sealed).where(
            _S.project.in_(sorted(projects_)), _S.kubeconfig_sealed.is_not(None)
        )
        with self._store.engine.connect() as conn:
            rows = list(conn.execute(query))
        found = {
            (r.project, r.cluster): self._store.box.open(r.kubeconfig_sealed)[KUBECONFIG_KEY] for r in rows
        }
        for (project, cluster), text in found.items():
            SECRETS.replace(("scoped", project, cluster), [text])
        return found

    # --- writes -----------------------------------------------------------------------------------

    def granted(
        self,
        state: ScopedState,
        *,
        added: Iterable[Grant] = (),
        removed: Iterable[Grant] = (),
        kubeconfig: str | None = None,
    ) -> None:
        """Store the pair's state (a new kubeconfig when minted) with an audit entry per grant added or
        removed, in one transaction."""
        now = self._clock()
        values: dict[str, Any] = {
            "grants": _grants_text(state.grants),
            "issued_at": state.issued_at,
            "expires_at": state.expires_at,
            "rotate_at": state.rotate_at,
            "rotated_at": state.rotated_at,
            "error": state.error,
            "error_at": state.error_at,
            "updated_at": now,
        }
        if kubeconfig is not None:
            SECRETS.replace(("scoped", state.project, state.cluster), [kubeconfig])
            values["kubeconfig_sealed"] = self._store.box.seal({KUBECONFIG_KEY: kubeconfig})
        with self._writing() as conn, conn.begin():
            stmt = insert_for(conn, scoped_credentials).values(
                project=state.project, cluster=state.cluster, **values
            )
            conn.execute(stmt.on_conflict_do_update(index_elements=["project", "cluster"], set_=values))
            for grant in sorted(added):
                _audit(conn, now, "scoped.grant", "POST", state.project, state.cluster, grant)
            for grant in sorted(removed):
                _audit(conn, now, "scoped.revoke", "DELETE", state.project, state.cluster, grant)

    def revoked(self, state: ScopedState, *, removed: Iterable[Grant]) -> None:
        """The pair's credential is gone from the cluster: forget the row, audit each grant removed."""
        now = self._clock()
        with self._writing() as conn, conn.begin():
            conn.execute(
                delete(scoped_credentials).where(_S.project == state.project, _S.cluster == state.cluster)
            )
            for grant in sorted(removed):
                _audit(conn, now, "scoped.revoke", "DELETE", state.project, state.cluster, grant)
            _audit(conn, now, "scoped.revoke", "DELETE", state.project, state.cluster, None)
        SECRETS.discard(("scoped", state.project, state.cluster))

    def mark_dirty(self, project_names: Iterable[str]) -> None:
        """Queue these projects for the next pass (their folder's credential changed)."""
        names = sorted(set(project_names))
        if not names:
            return
        with self._store.write() as tx:
            live = {p.obj.name for p in tx.projects.list()}
            for name in names:
                if name in live:
                    tx.dirty.add(Ref(Kind.PROJECT, name))

    def _writing(self) -> Connection:
        return self._store.engine.connect().execution_options(**{WRITE: True})


def _audit(
    conn: Connection, now: datetime, action: str, method: str, project: str, cluster: str, grant: Grant | None
) -> None:
    if grant is None:
        path = f"/clusters/{cluster}/serviceaccounts/{project}"  # the ServiceAccount and all its tokens
    else:
        path = (
            f"/clusters/{cluster}/namespaces/{grant.namespace}/rolebindings/{project}"
            f"?clusterrole={grant.cluster_role}"
        )
    entry = AuditEntry(
        at=now,
        actor=ACTOR,
        actor_source="worker",
        address="",
        method=method,
        path=path,
        action=action,
        outcome=Outcome.SUCCESS,
        status=200,
        request_id="",
        project=project,
    )
    append_in(conn, entry)


def _grants_text(grants: Iterable[Grant]) -> str:
    return json.dumps([[g.namespace, g.cluster_role] for g in sorted(grants)])


def _state(row: Any) -> ScopedState:
    return ScopedState(
        project=row.project,
        cluster=row.cluster,
        grants=frozenset(Grant(ns, role) for ns, role in json.loads(row.grants)),
        issued_at=utc(row.issued_at),
        expires_at=utc(row.expires_at),
        rotate_at=utc(row.rotate_at),
        rotated_at=utc(row.rotated_at),
        error=row.error,
        error_at=utc(row.error_at),
        has_token=bool(row.has_token),
    )
