"""The cluster inventory and KubeSphere workspace placements, as the inventory last saw them.

The process running the inventory (``bridge.inventory``) writes here; every API process reads here, so
all replicas show the same clusters. Kubeconfigs are sealed with the store's ``SecretBox`` like
credential data and only ``kubeconfig(name)`` opens one (never the listing). Created by Alembic
revision ``0006_clusters``.

``sync`` is level-based: it is handed the whole merged view and writes only what differs, bumping a
row's ``generation`` when its record changed; the ``ClusterChange``s it returns are the inventory's
change notifications.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)

from bridge.domain.clusters import (
    ChangeKind,
    ClusterChange,
    ClusterRecord,
    ClusterRole,
    ClusterState,
    Placement,
    Reachability,
    SourceKind,
)
from bridge.log import SECRETS
from bridge.store.crypto import SecretBox
from bridge.store.engine import WRITE
from bridge.store.records import utc
from bridge.store.tables import metadata

KUBECONFIG_KEY = "kubeconfig"

cluster_inventory = Table(
    "cluster_inventory",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("origin", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("devops", Boolean, nullable=False),
    Column("ready", Boolean, nullable=True),
    Column("labels", JSON, nullable=False),
    Column("problem", Text, nullable=True),
    Column("kubeconfig_sealed", LargeBinary, nullable=True),
    Column("kubeconfig_digest", String(64), nullable=False),
    Column("generation", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("reachable", Boolean, nullable=True),
    Column("latency_ms", Float, nullable=True),
    Column("kubernetes_version", String(64), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("checked_at", DateTime(timezone=True), nullable=True),
)

workspace_placements = Table(
    "workspace_placements",
    metadata,
    Column("workspace", String(63), primary_key=True),
    Column("clusters", JSON, nullable=True),
    Column("match_labels", JSON, nullable=True),
    Column("selector_all", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _public(record: ClusterRecord) -> tuple[object, ...]:
    """What a row shows besides the kubeconfig: a change here is a new generation."""
    return (
        record.source.value,
        record.origin,
        record.role.value,
        record.devops,
        record.ready,
        dict(sorted(record.labels.items())),
        record.problem,
    )


class ClusterCatalog:
    def __init__(
        self, engine: Engine, box: SecretBox, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._engine, self._box, self._clock = engine, box, clock

    # --- the inventory's writes ---------------------------------------------------------------------

    def sync(
        self, records: Mapping[str, ClusterRecord], *, authoritative: Collection[SourceKind]
    ) -> list[ClusterChange]:
        """Make the table hold ``records``. A row absent from them is removed only when its source is
        ``authoritative`` (has listed everything since this process started, or is no longer configured),
        so a restart does not drop clusters before their source answered."""
        changes: list[ClusterChange] = []
        now = self._clock()
        with self._writing() as conn, conn.begin():
            rows = {r.name: r for r in conn.execute(select(cluster_inventory))}
            for name, row in rows.items():
                if name not in records and SourceKind(row.source) in authoritative:
                    conn.execute(delete(cluster_inventory).where(cluster_inventory.c.name == name))
                    changes.append(ClusterChange(name, ChangeKind.LEFT, kubeconfig_changed=True))
            for name, record in records.items():
                found = rows.get(name)
                if found is None:
                    conn.execute(insert(cluster_inventory).values(**self._values(record, now), generation=1))
                    changes.append(ClusterChange(name, ChangeKind.JOINED, kubeconfig_changed=True))
                    continue
                row = found
                kubeconfig_changed = row.kubeconfig_digest != record.digest
                if not kubeconfig_changed and _public(_record(row)) == _public(record):
                    continue
                values = self._values(record, now, seal=kubeconfig_changed)
                conn.execute(
                    update(cluster_inventory)
                    .where(cluster_inventory.c.name == name)
                    .values(**values, generation=cluster_inventory.c.generation + 1)
                )
                changes.append(
                    ClusterChange(
                        name,
                        ChangeKind.CHANGED,
                        kubeconfig_changed=kubeconfig_changed,
                        devops_changed=bool(row.devops) != record.devops,
                    )
                )
        return changes

    def record_reachability(self, name: str, seen: Reachability) -> None:
        values = {
            "reachable": seen.reachable,
            "latency_ms": seen.latency_ms,
            "kubernetes_version": (seen.version or None) and seen.version[:64],
            "last_error": seen.error,
            "checked_at": seen.checked_at,
        }
        with self._writing() as conn, conn.begin():
            conn.execute(update(cluster_inventory).where(cluster_inventory.c.name == name).values(**values))

    def sync_placements(self, placements: Mapping[str, Placement]) -> None:
        """Replace every placement (the KubeSphere source lists them all)."""
        now = self._clock()
        with self._writing() as conn, conn.begin():
            current = {r.workspace: _placement(r) for r in conn.execute(select(workspace_placements))}
            for gone in set(current) - set(placements):
                conn.execute(delete(workspace_placements).where(workspace_placements.c.workspace == gone))
            for name, placement in placements.items():
                if current.get(name) == placement:
                    continue
                values = {
                    "clusters": list(placement.clusters) if placement.clusters is not None else None,
                    "match_labels": dict(placement.match_labels) if placement.match_labels else None,
                    "selector_all": placement.selector_all,
                    "updated_at": now,
                }
                if name in current:
                    conn.execute(
                        update(workspace_placements)
                        .where(workspace_placements.c.workspace == name)
                        .values(**values)
                    )
                else:
                    conn.execute(insert(workspace_placements).values(workspace=name, **values))

    # --- reads --------------------------------------------------------------------------------------

    def states(self) -> list[ClusterState]:
        """Every cluster, without kubeconfigs, by name."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(cluster_inventory).order_by(cluster_inventory.c.name))
            return [_state(r) for r in rows]

    def state(self, name: str) -> ClusterState | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(cluster_inventory).where(cluster_inventory.c.name == name)).first()
        return None if row is None else _state(row)

    def kubeconfig(self, name: str) -> str | None:
        """The cluster's kubeconfig, decrypted (a secret: registered with the log redaction)."""
        with self._engine.connect() as conn:
            query = select(cluster_inventory.c.kubeconfig_sealed).where(cluster_inventory.c.name == name)
            sealed = conn.execute(query).scalar_one_or_none()
        if sealed is None:
            return None
        text = self._box.open(sealed)[KUBECONFIG_KEY]
        SECRETS.add(text)
        return text

    def placements(self) -> dict[str, Placement]:
        with self._engine.connect() as conn:
            return {r.workspace: _placement(r) for r in conn.execute(select(workspace_placements))}

    # --- helpers ------------------------------------------------------------------------------------

    def _values(self, record: ClusterRecord, now: datetime, *, seal: bool = True) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": record.name,
            "source": record.source.value,
            "origin": record.origin,
            "role": record.role.value,
            "devops": record.devops,
            "ready": record.ready,
            "labels": dict(record.labels),
            "problem": record.problem,
            "kubeconfig_digest": record.digest,
            "updated_at": now,
        }
        if seal:
            values["kubeconfig_sealed"] = (
                self._box.seal({KUBECONFIG_KEY: record.kubeconfig}) if record.kubeconfig else None
            )
        return values

    def _writing(self) -> Connection:
        return self._engine.connect().execution_options(**{WRITE: True})


def _record(row: Any) -> ClusterRecord:
    return ClusterRecord(
        name=row.name,
        source=SourceKind(row.source),
        origin=row.origin,
        role=ClusterRole(row.role),
        devops=bool(row.devops),
        ready=row.ready,
        labels=dict(row.labels or {}),
        problem=row.problem,
    )


def _state(row: Any) -> ClusterState:
    seen = None
    if row.checked_at is not None:
        seen = Reachability(
            reachable=bool(row.reachable),
            checked_at=utc(row.checked_at),
            latency_ms=row.latency_ms,
            version=row.kubernetes_version,
            error=row.last_error,
        )
    return ClusterState(
        record=_record(row),
        digest=row.kubeconfig_digest,
        generation=row.generation,
        updated_at=utc(row.updated_at),
        reachability=seen,
    )


def _placement(row: Any) -> Placement:
    return Placement(
        workspace=row.workspace,
        clusters=tuple(row.clusters) if row.clusters is not None else None,
        match_labels=dict(row.match_labels) if row.match_labels else None,
        selector_all=bool(row.selector_all),
    )
