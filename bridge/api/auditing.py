"""The audit entries of API writes, and the count of unauthenticated write attempts.

* A write by an authenticated caller gets one entry. When it succeeds, the entry was written inside
  the transaction of the change (``recorder``, installed by the registry around the view); otherwise
  ``audit`` appends a denied/failed entry once the response is known. A change that committed although
  the request then failed gets both.
* A write attempt without valid credentials stores nothing: anyone can send those, as fast as they
  like, and the log is append-only. ``UnauthenticatedWrites`` counts them and logs one warning line per
  interval with the count and the latest attempt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Request, Response, g

from bridge.api import access
from bridge.audit.log import AuditEntry, AuditLog, Outcome
from bridge.audit.recorder import AuditRecorder
from bridge.identity.principal import Principal

log = logging.getLogger(__name__)

#: Key of the app's ``UnauthenticatedWrites`` in ``app.extensions``.
UNAUTHENTICATED = "bridge.unauthenticated_writes"
#: Seconds between two warnings about unauthenticated write attempts.
UNAUTHENTICATED_LOG_INTERVAL = 60.0


class UnauthenticatedWrites:
    """Thread-safe count of write attempts without valid credentials, logged at most once per
    ``interval`` seconds (the first at once)."""

    def __init__(
        self, *, interval: float = UNAUTHENTICATED_LOG_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval, self._clock = interval, clock
        self._lock = threading.Lock()
        self.total = 0
        self._since_logged = 0
        self._logged_at: float | None = None

    def note(self, *, address: str, method: str, path: str, status: int) -> None:
        now = self._clock()
        with self._lock:
            self.total += 1
            self._since_logged += 1
            if self._logged_at is not None and now - self._logged_at < self.interval:
                return
            count, self._since_logged, self._logged_at = self._since_logged, 0, now
        log.warning(
            "%d unauthenticated write attempt(s) since the last report (%d in all; latest: %s %r from %s, "
            "answered %d); not stored in the audit log",
            count,
            self.total,
            method[:8],
            path[:200],
            address[:64],
            status,
        )


def _entry(request: Request, principal: Principal, *, outcome: Outcome, status: int) -> AuditEntry:
    return AuditEntry(
        at=datetime.now(UTC),
        actor=principal.name,
        actor_source=principal.source.value,
        token_id=principal.token_id,
        address=request.remote_addr or "",
        method=request.method,
        path=request.path,
        action=getattr(g, "permission", None) or "unrouted",
        project=getattr(g, "audit_project", None),
        outcome=outcome,
        status=status,
        request_id=access.request_id(request),
    )


def recorder(request: Request, principal: Principal, *, status: int) -> AuditRecorder:
    """The recorder of this write's success entry (``status``: what the route answers on success)."""
    made = AuditRecorder(lambda: _entry(request, principal, outcome=Outcome.SUCCESS, status=status))
    g.audit_recorder = made
    return made


def audit(audit_log: AuditLog, counter: UnauthenticatedWrites, request: Request, response: Response) -> None:
    """After a write (any non-safe method): the entry it still needs, whatever its outcome."""
    if request.method in access.SAFE_METHODS:
        return
    status = response.status_code
    made: AuditRecorder | None = getattr(g, "audit_recorder", None)
    if made is not None and made.written and status < 400:
        return  # committed with the change
    principal: Principal | None = getattr(g, "principal", None)
    if principal is None:
        address = request.remote_addr or ""
        counter.note(address=address, method=request.method, path=request.path, status=status)
        return
    outcome = Outcome.DENIED if getattr(g, "access_denied", False) else Outcome.of_status(status)
    audit_log.append(_entry(request, principal, outcome=outcome, status=status))
