"""What Jenkins's Declarative linter said about a pipeline's inline Jenkinsfile.

An inline Jenkinsfile is validated by the Jenkins it will run on (pipeline-model-definition's
``validateJenkinsfile``) when it is written, or by the worker later if Jenkins could not be asked.
Until it is known to be good (``valid``, or ``unchecked`` for a script Jenkins's linter does not judge)
the pipeline is not synced: an ``invalid`` or ``pending`` Jenkinsfile never reaches Jenkins, and the
job already there (the last good one) is left as it is. SCM pipelines have no validation: their
Jenkinsfile lives in the repository.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime


class ValidationStatus(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    #: Jenkins could not be asked yet; the worker asks again.
    PENDING = "pending"
    #: Jenkins answered but judges only Declarative Pipelines (a scripted Jenkinsfile), or has no linter.
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class LintError:
    """One error as Jenkins reports it; ``line``/``column`` (1-based) when the message carries them."""

    message: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Validation:
    status: ValidationStatus
    errors: tuple[LintError, ...] = ()
    #: Why it is pending or unchecked, for humans (never secret).
    message: str | None = None
    #: When Jenkins answered (None while pending).
    checked_at: datetime | None = None

    @property
    def held_back(self) -> bool:
        """The Jenkinsfile must not be synced (yet)."""
        return self.status in (ValidationStatus.INVALID, ValidationStatus.PENDING)


def jenkinsfile_digest(text: str) -> str:
    """What a validation is of: it applies only while the stored Jenkinsfile has this digest."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hold_message(validation: Validation) -> str | None:
    """The sync-state message of a pipeline held back by its validation (None: not held back)."""
    if validation.status is ValidationStatus.INVALID:
        n = len(validation.errors)
        return f"not synced: the Jenkinsfile has {n} error{'s' if n != 1 else ''} (see 'validation')"
    if validation.status is ValidationStatus.PENDING:
        return "not synced yet: waiting for Jenkins to validate the Jenkinsfile"
    return None
