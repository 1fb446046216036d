"""The ownership ledger: which Jenkins items the bridge created, remembered across restarts."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, select

from bridge.reconcile.ports import Ref
from bridge.store.bookkeeping import key_of, key_values, key_where, upsert
from bridge.store.tables import owned_items

Clock = Callable[[], datetime]
MAX_IN = 500


class OwnedRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def list(self, projects: Collection[str], jenkins: str = "default") -> set[Ref]:
        """Keys recorded for these projects (a long list reads the table and filters here instead of
        sending thousands of bound parameters)."""
        query = select(owned_items).where(owned_items.c.jenkins == jenkins)
        wanted = set(projects)
        if len(wanted) <= MAX_IN:
            query = query.where(owned_items.c.project.in_(sorted(wanted)))
        return {key_of(r) for r in self.conn.execute(query) if r.project in wanted}

    def holders(self, project: str) -> set[str]:
        """The controllers whose ledger holds ``project``'s folder."""
        c = owned_items.c
        query = select(c.jenkins).where(c.kind == "project", c.project == project, c.name == "")
        return {r.jenkins for r in self.conn.execute(query)}

    def add(self, keys: Iterable[Ref], jenkins: str = "default") -> None:
        now = self.clock()
        rows = [key_values(key) | {"jenkins": jenkins, "recorded_at": now} for key in keys]
        if rows:  # one batch of one statement
            upsert(self.conn, owned_items, rows, index=(), update=())

    def remove(self, keys: Iterable[Ref], jenkins: str = "default") -> None:
        for key in keys:
            where = (*key_where(owned_items, key), owned_items.c.jenkins == jenkins)
            self.conn.execute(delete(owned_items).where(*where))
