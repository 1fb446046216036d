"""The worker's part of Jenkinsfile validation: ask Jenkins about the Jenkinsfiles it could not judge
when they were written (it was unreachable), before each pass.

A verdict is stored only if the pipeline still holds that same text (``record_validation``); a valid
or unchecked Jenkinsfile is released (its key queued, so the pass that follows syncs it), an invalid
one stays held back with its errors. When Jenkins is still unreachable the rest waits for the next
poll; any other failure leaves that one pending and goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bridge.adapters.jenkins.linter import JenkinsfileLinter
from bridge.domain.validation import Validation, ValidationStatus
from bridge.errors import BridgeError
from bridge.reconcile.ports import Ref

log = logging.getLogger(__name__)


@runtime_checkable
class PendingJenkinsfiles(Protocol):
    def pending_jenkinsfiles(self, limit: int = 50) -> Sequence[tuple[Ref, str]]: ...

    def record_validation(self, key: Ref, text: str, validation: Validation) -> bool: ...


class PendingValidator:
    def __init__(self, queue: PendingJenkinsfiles, linter: JenkinsfileLinter, *, batch: int = 50) -> None:
        self._queue, self._linter, self._batch = queue, linter, batch

    def run(self) -> int:
        """Validate what is pending (one batch); returns how many verdicts were stored."""
        stored = 0
        for key, text in self._queue.pending_jenkinsfiles(self._batch):
            try:
                validation = self._linter.validate_jenkinsfile(text)
            except BridgeError as e:
                if e.retryable:
                    log.info("Jenkinsfile validation waits for Jenkins: %s", e.detail)
                    break
                log.warning(
                    "Jenkins could not validate the Jenkinsfile of %s/%s: %s", key.project, key.name, e
                )
                continue
            if validation.status is ValidationStatus.PENDING:
                continue
            if self._queue.record_validation(key, text, validation):
                stored += 1
                log.info("Jenkinsfile of %s/%s validated: %s", key.project, key.name, validation.status)
        return stored
