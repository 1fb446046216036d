"""Controller leases in the store (tables ``controller_leases`` and ``lease_workers``).

Every statement is one short transaction and compares with the database's clock (``now()``), so
workers on hosts whose clocks disagree still agree on who holds what. A lease is taken only when it is
free (released, or past ``expires_at``) and renewed only by its holder; a renewal that finds another
holder (the lease expired and was taken over) reports the controller as lost.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from sqlalchemy import Engine, and_, delete, func, or_, select, update

from bridge.store.bookkeeping import insert_for
from bridge.store.tables import controller_leases, lease_workers


class LeaseBook:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def heartbeat(self, worker: str, ttl: float) -> list[str]:
        """Record ``worker`` as live for ``ttl`` seconds; the live workers, sorted (forgotten ones
        dropped)."""
        until = func.now() + timedelta(seconds=ttl)
        w = lease_workers.c
        with self._engine.begin() as conn:
            stmt = insert_for(conn, lease_workers).values(worker=worker, seen_until=until)
            conn.execute(stmt.on_conflict_do_update(index_elements=[w.worker], set_={"seen_until": until}))
            conn.execute(delete(lease_workers).where(w.seen_until < func.now() - timedelta(seconds=10 * ttl)))
            rows = conn.execute(select(w.worker).where(w.seen_until >= func.now()).order_by(w.worker))
            return [r.worker for r in rows]

    def leave(self, worker: str) -> None:
        """A worker stopping: gone from the live ones at once."""
        with self._engine.begin() as conn:
            conn.execute(delete(lease_workers).where(lease_workers.c.worker == worker))

    def renew(self, worker: str, controllers: Collection[str], ttl: float) -> set[str]:
        """Extend the leases ``worker`` holds among ``controllers``; the ones it still holds."""
        if not controllers:
            return set()
        c = controller_leases.c
        with self._engine.begin() as conn:
            rows = conn.execute(
                update(controller_leases)
                .where(c.controller.in_(sorted(controllers)), c.holder == worker)
                .values(expires_at=func.now() + timedelta(seconds=ttl))
                .returning(c.controller)
            )
            return {r.controller for r in rows}

    def acquire(self, worker: str, controller: str, ttl: float, *, free_for: float = 0.0) -> bool:
        """Take ``controller``'s lease if nobody holds it (released, or expired at least ``free_for``
        seconds ago); True when ``worker`` holds it now."""
        c = controller_leases.c
        until = func.now() + timedelta(seconds=ttl)
        with self._engine.begin() as conn:
            stmt = insert_for(conn, controller_leases).values(
                controller=controller, holder=worker, expires_at=until, generation=1
            )
            if conn.execute(stmt.on_conflict_do_nothing()).rowcount == 1:
                return True
            free = or_(c.holder.is_(None), c.expires_at < func.now() - timedelta(seconds=free_for))
            taken = conn.execute(
                update(controller_leases)
                .where(and_(c.controller == controller, free))
                .values(holder=worker, expires_at=until, generation=c.generation + 1)
            )
            return bool(taken.rowcount == 1)

    def release(self, worker: str, controller: str) -> None:
        """Give the lease up (only if ``worker`` holds it): free at once for the next worker."""
        c = controller_leases.c
        with self._engine.begin() as conn:
            conn.execute(
                update(controller_leases)
                .where(c.controller == controller, c.holder == worker)
                .values(holder=None, expires_at=func.now())
            )

    def holders(self) -> dict[str, str | None]:
        """controller → the worker holding an unexpired lease on it (None: nobody)."""
        c = controller_leases.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(c.controller, c.holder, c.expires_at >= func.now()))
            return {r[0]: (r[1] if r[2] else None) for r in rows}
