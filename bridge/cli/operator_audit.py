"""Audit entries for changes made from the command line, attributed to the local operating-system user.

Whoever runs ``jenkins-bridge token``, ``apply`` or ``audit prune`` can read the database anyway, so
there is nothing to authenticate; but what they change must still be in the same append-only audit
log as API writes. The actor is ``cli:<account name of the process's uid>`` (from the password
database, not from ``$USER``, which anyone can set), and the address records the uid itself:
``local uid=<uid>``, plus ``env-user=<$USER>`` when that variable names someone else.

``recording`` writes the entry inside the transaction of the change (``bridge.audit.recorder``).
"""

from __future__ import annotations

import os
import pwd
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine

from bridge.audit.log import AuditEntry, AuditLog, Outcome
from bridge.audit.recorder import AuditRecorder
from bridge.store.engine import observing


def _account() -> str | None:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return None


def operator() -> str:
    """``cli:<account>`` of the process's real uid; ``cli:uid-<uid>`` when it has no passwd entry."""
    return "cli:" + (_account() or f"uid-{os.getuid()}")


def operator_address() -> str:
    """``local uid=<uid>``, and the claimed ``$USER`` when it differs from the uid's account."""
    address = f"local uid={os.getuid()}"
    claimed = os.environ.get("USER") or os.environ.get("LOGNAME")
    if claimed and claimed != _account():
        address += f" env-user={claimed}"
    return address[:64]


def cli_entry(*, action: str, path: str, project: str | None = None) -> AuditEntry:
    """The entry of one successful CLI change; ``path`` names the target (``token/<id>``, ``apply/...``)."""
    return AuditEntry(
        at=datetime.now(UTC),
        actor=operator(),
        actor_source="cli",
        address=operator_address(),
        method="CLI",
        path=path,
        action=action,
        outcome=Outcome.SUCCESS,
        status=0,
        request_id=uuid.uuid4().hex,
        project=project,
    )


def append_cli_audit(engine: Engine, *, action: str, path: str, project: str | None = None) -> None:
    """Append one CLI change in a transaction of its own (for changes made outside the database)."""
    AuditLog(engine).append(cli_entry(action=action, path=path, project=project))


@contextmanager
def recording(
    engine: Engine, *, action: str, path: str, project: str | None = None
) -> Iterator[AuditRecorder]:
    """Audit the change made in this block inside its own transaction; a block that wrote nothing
    (the change needed no write) still gets its entry, appended on its own."""
    recorder = AuditRecorder(lambda: cli_entry(action=action, path=path, project=project))
    with observing(recorder):
        yield recorder
    if not recorder.written:
        append_cli_audit(engine, action=action, path=path, project=project)
