"""Jenkinsfile validation for pipeline writes: ask Jenkins's linter, record the verdict with the pipeline.

The write is never refused for what the linter says, and never waits for a Jenkins known to be down:
the verdict (``valid``, ``invalid`` with errors and their line and column, ``unchecked`` for a scripted
Jenkinsfile, or ``pending`` when Jenkins could not answer) is stored next to the pipeline, keyed by the
digest of the Jenkinsfile it judged. A held-back pipeline (invalid or pending) is not synced, and its
sync state says why; the worker validates pending ones later (``bridge.reconcile.validate``).

Jenkins's verdict depends only on the text and on the controller (its plugins), so a definite verdict
(valid, invalid, unchecked) is reused for the same SHA-256 for ``VERDICT_TTL`` seconds instead of asking
again: a hundred pipelines sharing one Jenkinsfile cost one linter request. One ``Jenkinsfiles`` serves
one controller, so the cache is per controller; ``pending`` is never cached.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from bridge.clock import SYSTEM_CLOCK, Clock
from bridge.domain.model import Pipeline, SyncState, SyncStatus
from bridge.domain.validation import Validation, ValidationStatus, hold_message, jenkinsfile_digest
from bridge.errors import BridgeError, UpstreamError, UpstreamUnavailable
from bridge.reconcile.ports import Kind, Ref
from bridge.store import Tx

if TYPE_CHECKING:
    from bridge.adapters.jenkins.linter import JenkinsfileLinter

log = logging.getLogger(__name__)

NO_LINTER = "no Jenkins linter is configured"
UNREACHABLE = "Jenkins could not be asked; the worker validates it when Jenkins answers"

#: ``(digest of the text, verdict)`` obtained before the write transaction.
Verdict = tuple[str, Validation]
#: Seconds a definite verdict of the controller is reused for the same text.
VERDICT_TTL = 3600.0
#: Distinct Jenkinsfile texts whose verdict is kept.
VERDICTS_KEPT = 1024


class Jenkinsfiles:
    """Validation of inline Jenkinsfiles through ``linter``; ``reachable`` (the /readyz probe) lets a
    write skip a Jenkins known to be down."""

    def __init__(
        self,
        linter: JenkinsfileLinter | None = None,
        reachable: Callable[[], bool | None] | None = None,
        *,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.linter, self.reachable = linter, reachable
        self._clock = clock
        self._lock = threading.Lock()
        self._verdicts: OrderedDict[str, tuple[float, Validation]] = (
            OrderedDict()
        )  # digest -> (when, verdict)

    def cached(self, text: str) -> Verdict | None:
        """The controller's recent definite verdict on this very text, if there is one."""
        digest = jenkinsfile_digest(text)
        with self._lock:
            found = self._verdicts.get(digest)
            if found is None:
                return None
            if self._clock.monotonic() - found[0] >= VERDICT_TTL:
                del self._verdicts[digest]
                return None
            self._verdicts.move_to_end(digest)
            return digest, found[1]

    def _remember(self, digest: str, validation: Validation) -> None:
        if validation.status is ValidationStatus.PENDING:
            return
        with self._lock:
            self._verdicts[digest] = (self._clock.monotonic(), validation)
            self._verdicts.move_to_end(digest)
            while len(self._verdicts) > VERDICTS_KEPT:
                self._verdicts.popitem(last=False)

    def ask(self, text: str) -> Validation:
        """Jenkins's verdict, for the ``validate`` endpoint: errors reach the caller (503 when down)."""
        if self.linter is None:
            return Validation(ValidationStatus.UNCHECKED, message=NO_LINTER)
        try:
            return self.linter.validate_jenkinsfile(text)
        except (UpstreamUnavailable, UpstreamError):
            raise
        except BridgeError as e:  # Jenkins refused the bridge itself (401/403...): not the caller's fault
            raise UpstreamError(f"Jenkins did not validate the Jenkinsfile: {e.status} {e.title}") from e

    def judge(self, text: str) -> Verdict:
        """The verdict for a write: ``pending`` instead of an error when Jenkins cannot answer."""
        digest = jenkinsfile_digest(text)
        if self.linter is None:
            return digest, Validation(ValidationStatus.UNCHECKED, message=NO_LINTER)
        if self.reachable is not None and self.reachable() is False:
            return digest, Validation(ValidationStatus.PENDING, message=UNREACHABLE)
        cached = self.cached(text)
        if cached is not None:
            return cached
        try:
            validation = self.linter.validate_jenkinsfile(text)
        except BridgeError as e:
            log.info("Jenkinsfile validation deferred: %s", e.detail)
            return digest, Validation(ValidationStatus.PENDING, message=UNREACHABLE)
        self._remember(digest, validation)
        return digest, validation

    def needs_judging(self, tx: Tx, p: Pipeline) -> bool:
        """Whether a write of ``p`` needs a new verdict (its Jenkinsfile is new, or still pending)."""
        if p.jenkinsfile is None:
            return False
        stored = tx.validations.get(p.project, p.name)
        if stored is None:
            return True
        digest, validation = stored
        return digest != jenkinsfile_digest(p.jenkinsfile) or validation.status is ValidationStatus.PENDING

    def settle(
        self, tx: Tx, p: Pipeline, verdict: Verdict | None, *, touched: bool, fresh: bool = False
    ) -> None:
        """Inside the write transaction, after the row (and, if ``touched``, its pending sync state):
        store the verdict that applies to ``p``'s Jenkinsfile and hold the pipeline back if it must be.
        ``fresh``: the row was just inserted, so no verdict is stored for it (its validation row goes
        with a deleted pipeline: ON DELETE CASCADE)."""
        if p.jenkinsfile is None:
            if not fresh:
                tx.validations.forget(p.project, p.name)
            return
        digest = jenkinsfile_digest(p.jenkinsfile)
        stored = None if fresh else tx.validations.get(p.project, p.name)
        if verdict is not None and verdict[0] == digest:
            validation = verdict[1]
        elif stored is not None and stored[0] == digest:
            validation = stored[1]
        else:  # changed by another writer since it was judged
            validation = Validation(ValidationStatus.PENDING, message=UNREACHABLE)
        changed = stored != (digest, validation)
        if changed:
            tx.validations.set(p.project, p.name, digest, validation)
        message = hold_message(validation)
        if message is not None and (touched or changed):
            status = SyncStatus.ERROR if validation.status is ValidationStatus.INVALID else SyncStatus.PENDING
            tx.sync.set(Ref(Kind.PIPELINE, p.project, p.name), SyncState(status=status, message=message))
        elif changed and not touched:  # released by a new verdict on the same text: sync it
            tx.sync.set(Ref(Kind.PIPELINE, p.project, p.name), SyncState())
            tx.dirty.add(Ref(Kind.PIPELINE, p.project, p.name))
