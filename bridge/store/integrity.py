"""Which integrity errors are duplicates.

Two writers racing to create the same row is expected: the loser's unique (or primary key) violation
becomes ``Conflict`` (409). Any other integrity error (a NOT NULL, CHECK or foreign-key violation) means
the bridge's own checks let something through: a bug, reported as one, never dressed up as a 409.
Decided by the driver's error code, never by message text: SQLite's extended result code, PostgreSQL's
SQLSTATE.
"""

from __future__ import annotations

import logging
import sqlite3

from sqlalchemy.exc import IntegrityError

from bridge.errors import BridgeError

log = logging.getLogger(__name__)

#: SQLite extended result codes of a duplicate key.
SQLITE_DUPLICATE = frozenset({sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY})
#: PostgreSQL's ``unique_violation`` (primary keys included).
PG_UNIQUE_VIOLATION = "23505"


def error_code(e: IntegrityError) -> str:
    """The driver's code for the violation: ``sqlite:2067``, ``postgresql:23503``, or ``unknown``."""
    orig = e.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return f"sqlite:{sqlite_code}"
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return f"postgresql:{sqlstate}"
    return "unknown"


def is_duplicate(e: IntegrityError) -> bool:
    sqlite_code = getattr(e.orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return sqlite_code in SQLITE_DUPLICATE
    return getattr(e.orig, "sqlstate", None) == PG_UNIQUE_VIOLATION


class IntegrityBug(BridgeError):
    """The database refused a write the bridge's checks should have refused first (500)."""

    title = "Internal error"


def integrity_bug(e: IntegrityError) -> IntegrityBug:
    """Log the violation (its code and constraint, never the row's values) and make it a 500."""
    constraint = getattr(getattr(e.orig, "diag", None), "constraint_name", None)
    log.error(
        "the database refused a write that is not a duplicate (%s%s): a bug in the bridge's checks",
        error_code(e),
        f", constraint {constraint}" if constraint else "",
    )
    return IntegrityBug("the store refused the write; the error is logged")
