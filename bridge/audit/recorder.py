"""The audit entry of a change, written in the same transaction as the change.

An ``AuditRecorder`` is made for one API write request or one CLI change and installed with
``bridge.store.engine.observing``; the first ``write_transaction`` that commits in that context appends
the entry as its last statement. So a change that rolls back leaves no success row, and a change that
commits always has its row. Whoever installed the recorder checks ``written`` afterwards and appends
a denied/failed entry on its own when the request did not succeed.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from bridge.audit.log import AuditEntry, append_in


class AuditRecorder:
    def __init__(self, entry: Callable[[], AuditEntry]) -> None:
        self._entry = entry
        self._pending: int | None = None
        #: Id of the row written with a committed change, once there is one.
        self.row_id: int | None = None

    @property
    def written(self) -> bool:
        return self.row_id is not None

    def before_commit(self, conn: Connection) -> None:
        if self.row_id is None:
            self._pending = append_in(conn, self._entry())

    def after_commit(self) -> None:
        if self.row_id is None and self._pending is not None:
            self.row_id, self._pending = self._pending, None
