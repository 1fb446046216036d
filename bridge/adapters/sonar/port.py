"""What the code-quality views need from SonarQube, and from Jenkins about a build's analyses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bridge.domain.quality import AnalysisRef, QualityReport


class CodeQualityPort(Protocol):
    def report(self, task_id: str, *, issues: int) -> QualityReport:
        """The task's state; once it succeeded, its gate, the key measures and the top ``issues``.

        Raises ``UpstreamUnavailable`` (SonarQube down), ``NotFound`` (unknown task), ``UpstreamError``
        (the token is refused, or an answer the bridge cannot use)."""
        ...


class AnalysisActionsPort(Protocol):
    def analyses(self, job_path: str, number: int) -> Sequence[AnalysisRef]:
        """The build's ``SonarAnalysisAction`` entries, in the order they were recorded."""
        ...
