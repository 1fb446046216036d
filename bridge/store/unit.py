"""The store: an engine, the secret box, and transactions that expose one repository per table.

Services open ``store.write()`` for anything that changes rows (an immediate, serialised transaction
on SQLite; the audit row of the change joins it, see ``bridge.store.engine.write_transaction``) and
``store.read()`` otherwise. A unique violation that slips past a service's own checks (two writers
racing to create the same object) becomes ``Conflict``; any other integrity error is a bug, logged and
answered with a 500 (``bridge.store.integrity``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cached_property

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from bridge.errors import Conflict
from bridge.settings import Settings
from bridge.store import migrate as migrations
from bridge.store.approvals import ApprovalRepo
from bridge.store.bookkeeping import DirtyRepo, SyncRepo, TombstoneRepo
from bridge.store.credentials import CredentialRepo
from bridge.store.crypto import SecretBox
from bridge.store.deploy_targets import DeployTargetRepo
from bridge.store.engine import make_engine, write_transaction
from bridge.store.integrity import integrity_bug, is_duplicate
from bridge.store.notifications import NotificationRepo
from bridge.store.ownership import OwnedRepo
from bridge.store.pipelines import PipelineRepo
from bridge.store.runs import RunRepo
from bridge.store.validations import ValidationRepo
from bridge.store.webhooks import DeliveryRepo
from bridge.store.workspaces import ProjectRepo, WorkspaceRepo

Clock = Callable[[], datetime]

#: The transaction of the ``Store.batch`` open in this context (thread), with its store.
_BATCH: ContextVar[tuple[Store, Tx] | None] = ContextVar("bridge_store_batch", default=None)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Tx:
    """Repositories bound to one connection inside one transaction."""

    def __init__(self, conn: Connection, *, box: SecretBox, clock: Clock) -> None:
        self.conn, self.box, self.clock = conn, box, clock
        #: Work for the worker was queued (a dirty key, a resync request): wake it after the commit.
        self.woke = False

    def wake(self) -> None:
        self.woke = True

    @cached_property
    def workspaces(self) -> WorkspaceRepo:
        return WorkspaceRepo(self.conn, self.clock)

    @cached_property
    def projects(self) -> ProjectRepo:
        return ProjectRepo(self.conn, self.clock)

    @cached_property
    def credentials(self) -> CredentialRepo:
        return CredentialRepo(self.conn, self.clock, self.box)

    @cached_property
    def pipelines(self) -> PipelineRepo:
        return PipelineRepo(self.conn, self.clock, self.box)

    @cached_property
    def targets(self) -> DeployTargetRepo:
        return DeployTargetRepo(self.conn, self.clock)

    @cached_property
    def validations(self) -> ValidationRepo:
        return ValidationRepo(self.conn, self.clock)

    @cached_property
    def runs(self) -> RunRepo:
        return RunRepo(self.conn, self.clock)

    @cached_property
    def sync(self) -> SyncRepo:
        return SyncRepo(self.conn, self.clock)

    @cached_property
    def tombstones(self) -> TombstoneRepo:
        return TombstoneRepo(self.conn, self.clock)

    @cached_property
    def dirty(self) -> DirtyRepo:
        return DirtyRepo(self.conn, self.clock, on_add=self.wake)

    @cached_property
    def owned(self) -> OwnedRepo:
        return OwnedRepo(self.conn, self.clock)

    @cached_property
    def deliveries(self) -> DeliveryRepo:
        return DeliveryRepo(self.conn, self.clock)

    @cached_property
    def approvals(self) -> ApprovalRepo:
        return ApprovalRepo(self.conn, self.clock)

    @cached_property
    def notifications(self) -> NotificationRepo:
        return NotificationRepo(self.conn, self.clock, self.box)


class Store:
    def __init__(self, engine: Engine, box: SecretBox, *, clock: Clock = utcnow) -> None:
        self.engine, self.box, self.clock = engine, box, clock
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every commit that queued work for the worker (same process only:
        the worker of ``serve --with-worker`` starts at once instead of at its next poll)."""
        self._listeners.append(listener)

    @classmethod
    def from_settings(cls, settings: Settings) -> Store:
        return cls(
            make_engine(settings.database_url),
            SecretBox(settings.secret_key.get_secret_value(), settings.previous_keys()),
        )

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (idempotent)."""
        migrations.upgrade(self.engine)

    def _joined(self) -> Tx | None:
        batch = _BATCH.get()
        return batch[1] if batch is not None and batch[0] is self else None

    @contextmanager
    def batch(self) -> Iterator[Tx]:
        """One write transaction for several service calls: each ``write()`` and ``read()`` of this
        store made inside the block (same thread) joins it, so they commit together or not at all
        (``apply -f`` writes a project and everything in it this way). Listeners hear of it once,
        after the commit."""
        joined = self._joined()
        if joined is not None:
            yield joined
            return
        with self.write() as tx:
            token = _BATCH.set((self, tx))
            try:
                yield tx
            finally:
                _BATCH.reset(token)

    @contextmanager
    def write(self) -> Iterator[Tx]:
        joined = self._joined()
        if joined is not None:  # inside a batch: its transaction, committed by the batch
            yield joined
            return
        try:
            with write_transaction(self.engine) as conn:
                tx = Tx(conn, box=self.box, clock=self.clock)
                yield tx
        except IntegrityError as e:
            if not is_duplicate(e):
                raise integrity_bug(e) from e
            raise Conflict("the write conflicts with another object: it exists already") from e
        if tx.woke:
            for listener in self._listeners:
                listener()

    @contextmanager
    def read(self) -> Iterator[Tx]:
        joined = self._joined()
        if joined is not None:  # inside a batch: read what it wrote so far
            yield joined
            return
        with self.engine.connect() as conn, conn.begin():
            yield Tx(conn, box=self.box, clock=self.clock)

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()
