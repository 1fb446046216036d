"""Pipeline validation rows: the linter's verdict on an inline Jenkinsfile, keyed by the text's digest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from bridge.domain.model import Pipeline
from bridge.domain.validation import LintError, Validation, ValidationStatus
from bridge.store.bookkeeping import upsert
from bridge.store.records import utc
from bridge.store.tables import pipeline_validations as table
from bridge.store.tables import pipelines

Clock = Callable[[], datetime]


def _validation(status: str, errors: Any, message: str | None, checked_at: datetime | None) -> Validation:
    return Validation(
        status=ValidationStatus(status),
        errors=tuple(
            LintError(message=str(e.get("message", "")), line=e.get("line"), column=e.get("column"))
            for e in errors or ()
            if isinstance(e, dict)
        ),
        message=message,
        checked_at=utc(checked_at),
    )


def _values(validation: Validation) -> dict[str, object]:
    return {
        "status": validation.status.value,
        "errors": [{"message": e.message, "line": e.line, "column": e.column} for e in validation.errors],
        "message": validation.message,
        "checked_at": validation.checked_at,
    }


_GET = select(table).where(table.c.project == bindparam("p"), table.c.name == bindparam("n"))


class ValidationRepo:
    def __init__(self, conn: Connection, clock: Clock) -> None:
        self.conn, self.clock = conn, clock

    def get(self, project: str, name: str) -> tuple[str, Validation] | None:
        """``(digest of the judged text, verdict)``."""
        row = self.conn.execute(_GET, {"p": project, "n": name}).first()
        if row is None:
            return None
        return row.digest, _validation(row.status, row.errors, row.message, row.checked_at)

    def set(self, project: str, name: str, digest: str, validation: Validation) -> None:
        values = _values(validation) | {"digest": digest, "updated_at": self.clock()}
        row = {"project": project, "name": name} | values
        upsert(self.conn, table, row, index=("project", "name"), update=tuple(values))

    def settle(self, project: str, name: str, digest: str, validation: Validation) -> bool:
        """Record the worker's verdict, only if the row is still pending for that same text."""
        where = (
            table.c.project == project,
            table.c.name == name,
            table.c.digest == digest,
            table.c.status == ValidationStatus.PENDING.value,
        )
        values = _values(validation) | {"updated_at": self.clock()}
        return self.conn.execute(update(table).where(*where).values(**values)).rowcount == 1

    def forget(self, project: str, name: str) -> None:
        self.conn.execute(delete(table).where(table.c.project == project, table.c.name == name))

    def pending(self, limit: int = 50) -> list[tuple[str, str, str]]:
        """``(project, name, digest)`` of the Jenkinsfiles still to be validated, oldest first."""
        query = (
            select(table.c.project, table.c.name, table.c.digest)
            .where(table.c.status == ValidationStatus.PENDING.value)
            .order_by(table.c.updated_at, table.c.project, table.c.name)
            .limit(limit)
        )
        return [(r.project, r.name, r.digest) for r in self.conn.execute(query)]


def joined_columns() -> tuple[Any, ...]:
    """The validation columns for a pipelines query (prefixed so they do not clash with the sync state's)."""
    return (
        table.c.status.label("v_status"),
        table.c.errors.label("v_errors"),
        table.c.message.label("v_message"),
        table.c.checked_at.label("v_checked_at"),
    )


def join_on(left: Any) -> Any:
    """``left`` LEFT JOIN the validation row of each pipeline."""
    return left.outerjoin(
        table, (table.c.project == pipelines.c.project) & (table.c.name == pipelines.c.name)
    )


def joined_validation(row: Any, pipeline: Pipeline) -> Validation | None:
    """The validation of a joined row; only an inline Jenkinsfile has one."""
    if row.v_status is None or pipeline.jenkinsfile is None:
        return None
    return _validation(row.v_status, row.v_errors, row.v_message, row.v_checked_at)
