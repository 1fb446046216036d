"""Jenkinsfile validation as the API shows it: on a pipeline, and from ``POST …/pipelines/validate``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from bridge.api.schemas.common import Input
from bridge.domain.validation import LintError, Validation

#: The same bound as a stored Jenkinsfile (the request body limit applies first).
JENKINSFILE_MAX = 1024 * 1024


class LintErrorOut(BaseModel):
    message: str = Field(description="Jenkins's message, without the position")
    line: int | None = Field(default=None, description="1-based line, when Jenkins gives one")
    column: int | None = Field(default=None, description="1-based column, when Jenkins gives one")

    @classmethod
    def of(cls, e: LintError) -> LintErrorOut:
        return cls(message=e.message, line=e.line, column=e.column)


class ValidationOut(BaseModel):
    """``valid``/``invalid``: what Jenkins's Declarative linter said; ``pending``: Jenkins could not be asked
    yet (the worker asks again, the pipeline is not synced meanwhile); ``unchecked``: a scripted
    Jenkinsfile (or a Jenkins without the linter), which only a run can check."""

    status: Literal["valid", "invalid", "pending", "unchecked"]
    errors: list[LintErrorOut] = Field(default_factory=list)
    message: str | None = Field(default=None, description="Why it is pending or unchecked")
    checked_at: datetime | None = None

    @classmethod
    def of(cls, v: Validation) -> ValidationOut:
        return cls(
            status=v.status.value,
            errors=[LintErrorOut.of(e) for e in v.errors],
            message=v.message,
            checked_at=v.checked_at,
        )


class JenkinsfileIn(Input):
    jenkinsfile: str = Field(min_length=1, max_length=JENKINSFILE_MAX, description="The Jenkinsfile to check")
