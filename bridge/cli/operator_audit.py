"""Audit entries for changes made from the command line, with the local operating-system user as actor.

Whoever runs ``jenkins-bridge token`` or ``apply`` can read the database anyway, so there is nothing to
authenticate; but what they change must still be in the same append-only audit log as API writes,
attributed to ``cli:<os user>`` with source ``cli``.
"""

from __future__ import annotations

import getpass
import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine

from bridge.audit.log import AuditEntry, AuditLog, Outcome


def operator() -> str:
    """``cli:<os user>``; ``cli:unknown`` when the user cannot be determined (no passwd entry)."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli:unknown"


def append_cli_audit(engine: Engine, *, action: str, path: str, project: str | None = None) -> None:
    """Append one successful CLI change; ``path`` names the target (``token/<id>``, ``apply/...``)."""
    AuditLog(engine).append(
        AuditEntry(
            at=datetime.now(UTC),
            actor=operator(),
            actor_source="cli",
            address="local",
            method="CLI",
            path=path,
            action=action,
            outcome=Outcome.SUCCESS,
            status=0,
            request_id=uuid.uuid4().hex,
            project=project,
        )
    )
