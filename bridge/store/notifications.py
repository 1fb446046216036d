"""A project's outgoing approval notification webhook (``Tx.notifications``): URL and sealed secret.

The secret signs each delivery (HMAC-SHA256); it is sealed with the store's secret box, registered
with the log redactor when read or written, and never returned by the API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from bridge.log import SECRETS
from bridge.store.crypto import SecretBox
from bridge.store.tables import project_notifications

N = project_notifications.c


@dataclass(frozen=True)
class Notification:
    url: str
    secret: str | None = field(default=None, repr=False)


def _owner(project: str) -> tuple[str, str, str]:
    return ("notification", project, "")


class NotificationRepo:
    def __init__(self, conn: Connection, clock: Callable[[], datetime], box: SecretBox) -> None:
        self.conn, self.clock, self.box = conn, clock, box

    def get(self, project: str) -> Notification | None:
        row = self.conn.execute(select(N.url, N.sealed_secret).where(N.project == project)).first()
        if row is None:
            return None
        secret = self.box.open(bytes(row.sealed_secret))["secret"] if row.sealed_secret is not None else None
        SECRETS.replace(_owner(project), [secret] if secret else [])
        return Notification(row.url, secret)

    def put(self, project: str, url: str | None, secret: str | None, *, keep_secret: bool) -> None:
        """Set the URL (``None``: no notifications) and the secret (kept as it is when ``keep_secret``)."""
        if url is None:
            self.conn.execute(delete(project_notifications).where(N.project == project))
            SECRETS.replace(_owner(project), [])
            return
        values: dict[str, object] = {"url": url, "updated_at": self.clock()}
        if not keep_secret:
            values["sealed_secret"] = self.box.seal({"secret": secret}) if secret else None
            SECRETS.replace(_owner(project), [secret] if secret else [])
        if self.conn.execute(select(N.project).where(N.project == project)).first() is None:
            self.conn.execute(insert(project_notifications).values(project=project, **values))
        else:
            self.conn.execute(update(project_notifications).where(N.project == project).values(**values))
