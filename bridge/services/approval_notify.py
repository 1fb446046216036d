"""Outgoing approval notifications: each queued approval event POSTed, signed, to its project's URL.

The body is the event as JSON (``event``, ``id``, then the input: project, pipeline, run, input,
message, submitter, started_by, since, state, approvals, required, user, comment). With a secret
configured, ``X-Bridge-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the exact body bytes under
that secret (as GitHub's ``X-Hub-Signature-256``); receivers compute it over the raw body and compare
in constant time. ``X-Bridge-Event`` names the event and ``X-Bridge-Delivery`` its id (the same on
every retry, so receivers can drop duplicates). A 2xx answer delivers the event; anything else, or no
answer, is retried with exponential backoff (``retry_base`` doubling up to ``retry_max``) until
``max_attempts``, then the event is marked ``failed``. Events of a project without a URL are never
queued.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bridge.store import Store

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Bridge-Signature-256"
EVENT_HEADER = "X-Bridge-Event"
DELIVERY_HEADER = "X-Bridge-Delivery"


class Sender(Protocol):
    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST ``body``; the answer's status (raise ``OSError``-like errors when there is none)."""
        ...


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class Notifier:
    def __init__(
        self,
        store: Store,
        send: Sender,
        *,
        retry_base: float = 5.0,
        retry_max: float = 600.0,
        max_attempts: int = 8,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.send, self.clock = store, send, clock
        self.retry_base, self.retry_max, self.max_attempts = retry_base, retry_max, max_attempts

    def run(self) -> int:
        """Deliver the due events; how many were delivered."""
        with self.store.read() as tx:
            due = tx.approvals.due_notifications(self.clock())
            targets = {project: tx.notifications.get(project) for _, project, _, _ in due}
        delivered = 0
        for event_id, project, body, attempts in due:
            target = targets.get(project)
            if target is None:  # the URL was removed meanwhile
                self._mark(event_id, status="none", attempts=attempts, error=None)
                continue
            raw = json.dumps({**body, "id": event_id}, ensure_ascii=False, sort_keys=True).encode("utf-8")
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "jenkins-bridge",
                EVENT_HEADER: str(body.get("event", "")),
                DELIVERY_HEADER: str(event_id),
            }
            if target.secret:
                headers[SIGNATURE_HEADER] = signature(target.secret, raw)
            try:
                status = self.send(target.url, raw, headers)
                error = None if 200 <= status < 300 else f"answered {status}"
            except Exception as e:
                error = f"{type(e).__name__}: {e}"[:500]
            if error is None:
                delivered += 1
                self._mark(event_id, status="delivered", attempts=attempts + 1, error=None)
            else:
                log.info("approval notification %d to project %s failed: %s", event_id, project, error)
                self._mark(event_id, status="queued", attempts=attempts + 1, error=error)
        return delivered

    def _mark(self, event_id: int, *, status: str, attempts: int, error: str | None) -> None:
        next_at = None
        if status == "queued":
            if attempts >= self.max_attempts:
                status = "failed"
            else:
                delay = min(self.retry_max, self.retry_base * 2 ** (attempts - 1))
                next_at = self.clock() + timedelta(seconds=delay)
        with self.store.write() as tx:
            tx.approvals.notified(event_id, status=status, attempts=attempts, next_at=next_at, error=error)
