"""Re-sealing every secret at rest under the current key (``jenkins-bridge rotate-key``).

Sealed values live in five places: credential data (``credentials.sealed``), password-parameter
defaults inside pipeline specs (``pipelines.spec`` → ``parameters[].sealed_default``), Jenkins API
tokens minted for users (``jenkins_user_tokens.token_sealed``) and cluster kubeconfigs
(``cluster_inventory.kubeconfig_sealed``) and approval notification secrets
(``project_notifications.sealed_secret``). Each row is re-sealed in a write transaction of its own
that reads it again first (``FOR UPDATE`` on PostgreSQL; SQLite's write transactions are immediate),
so API writes running meanwhile are never overwritten, and a run that stops halfway (crash, Ctrl-C)
leaves every row readable under the current key or a previous one: running again finishes the job.
Rows already under the current key are left as they are. ``verify`` then opens every value with the
current key alone, which is when the previous key may be dropped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, inspect, select, update

from bridge.store.clusters import cluster_inventory
from bridge.store.crypto import SecretBox
from bridge.store.engine import write_transaction
from bridge.store.jenkins_tokens import jenkins_user_tokens
from bridge.store.tables import credentials, pipelines, project_notifications


@dataclass(frozen=True)
class Sealed:
    """One column holding sealed values: raw Fernet tokens, or a pipeline spec with sealed fields."""

    table: Table
    column: str
    spec: bool = False  # a pipeline spec (JSON) with ``sealed_default`` tokens inside


SEALED = (
    Sealed(credentials, "sealed"),
    Sealed(pipelines, "spec", spec=True),
    Sealed(jenkins_user_tokens, "token_sealed"),
    Sealed(cluster_inventory, "kubeconfig_sealed"),
    Sealed(project_notifications, "sealed_secret"),
)


@dataclass
class RotationReport:
    #: table → rows re-sealed now / already under the current key.
    rotated: dict[str, int] = field(default_factory=dict)
    current: dict[str, int] = field(default_factory=dict)

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())


def rotate(
    engine: Engine, box: SecretBox, *, after_row: Callable[[str], None] | None = None
) -> RotationReport:
    """Re-seal every sealed value not yet under the current key. ``after_row`` is called after each
    committed row with the table's name (progress; tests stop a run there)."""
    report = RotationReport()
    for sealed in _present(engine):
        name = sealed.table.name
        report.rotated.setdefault(name, 0)
        report.current.setdefault(name, 0)
        for key in _keys(engine, sealed):
            with write_transaction(engine) as conn:
                changed = _rotate_row(conn, box, sealed, key)
            report.rotated[name] += changed
            report.current[name] += not changed
            if changed and after_row is not None:
                after_row(name)
    return report


def verify(engine: Engine, box: SecretBox) -> list[str]:
    """The rows whose sealed values the current key alone cannot open (empty: rotation is done)."""
    stale: list[str] = []
    for sealed in _present(engine):
        with engine.connect() as conn:
            for row in conn.execute(select(*_pk(sealed.table), sealed.table.c[sealed.column])):
                if any(not box.is_current(t) for t in _tokens(sealed, row[-1])):
                    stale.append(f"{sealed.table.name}/" + "/".join(str(v) for v in row[:-1]))
            conn.rollback()
    return stale


def _present(engine: Engine) -> list[Sealed]:
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    return [s for s in SEALED if s.table.name in names]


def _pk(table: Table) -> list[Any]:
    return list(table.primary_key.columns)


def _keys(engine: Engine, sealed: Sealed) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        keys = [tuple(r) for r in conn.execute(select(*_pk(sealed.table)).order_by(*_pk(sealed.table)))]
        conn.rollback()
    return keys


def _tokens(sealed: Sealed, value: Any) -> Iterator[bytes]:
    if value is None:
        return
    if not sealed.spec:
        yield bytes(value)
        return
    for parameter in value.get("parameters") or []:
        token = parameter.get("sealed_default")
        if token is not None:
            yield token.encode("ascii")


def _rotate_row(conn: Connection, box: SecretBox, sealed: Sealed, key: tuple[Any, ...]) -> bool:
    table, column = sealed.table, sealed.table.c[sealed.column]
    where = [c == v for c, v in zip(_pk(table), key, strict=True)]
    query = select(column).where(*where)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None or row[0] is None:
        return False  # deleted meanwhile, or nothing sealed (a cluster without kubeconfig)
    value = row[0]
    if all(box.is_current(t) for t in _tokens(sealed, value)):
        return False
    if sealed.spec:
        new: Any = copy.deepcopy(value)
        for parameter in new.get("parameters") or []:
            if parameter.get("sealed_default") is not None:
                token = parameter["sealed_default"].encode("ascii")
                parameter["sealed_default"] = box.rotate(token).decode("ascii")
    else:
        new = box.rotate(bytes(value))
    conn.execute(update(table).where(*where).values({sealed.column: new}))
    return True
