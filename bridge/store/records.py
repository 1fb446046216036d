"""What the store hands back: a domain object plus its bookkeeping (version, times, sync state)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, overload

from sqlalchemy import ColumnElement, Join, Table, and_

from bridge.domain.model import SyncState, SyncStatus
from bridge.domain.validation import Validation
from bridge.store.tables import sync_states

T = TypeVar("T")


@dataclass(frozen=True)
class Meta:
    #: Starts at 1, +1 on every write; exposed as ``resource_version`` for optimistic concurrency.
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Stored(Generic[T]):
    obj: T
    meta: Meta
    sync: SyncState | None = None
    #: Pipelines with an inline Jenkinsfile: what Jenkins's linter said (``bridge.domain.validation``).
    validation: Validation | None = None
    #: Projects: their approval notification webhook, without its secret (``bridge.store.notifications``).
    notification: NotificationView | None = None


@dataclass(frozen=True)
class NotificationView:
    url: str
    signed: bool


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """Aware UTC datetime from what the driver returns: SQLite gives naive values for timezone-aware
    columns (everything we write is UTC), PostgreSQL aware ones in the session's zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def meta_of(row: Any) -> Meta:
    created, updated = utc(row.created_at), utc(row.updated_at)
    assert created is not None and updated is not None
    return Meta(version=row.version, created_at=created, updated_at=updated)


def sync_of(row: Any) -> SyncState:
    return SyncState(status=SyncStatus(row.status), synced_at=utc(row.synced_at), message=row.message)


def sync_columns() -> tuple[ColumnElement[Any], ...]:
    return (sync_states.c.status, sync_states.c.synced_at, sync_states.c.message)


def with_sync(table: Table, kind: str, project: ColumnElement[Any], name: ColumnElement[Any]) -> Join:
    """``table`` LEFT JOIN its sync state row (absent until the object is first written by a service)."""
    return table.outerjoin(
        sync_states,
        and_(sync_states.c.kind == kind, sync_states.c.project == project, sync_states.c.name == name),
    )


def optional_sync(row: Any) -> SyncState:
    return sync_of(row) if row.status is not None else SyncState()
