"""Code quality: the SonarQube analysis a build recorded and the report the bridge serves for it.

The sonar plugin records each ``withSonarQubeEnv`` block that ended as a ``SonarAnalysisAction`` on the
build (``_class`` ``hudson.plugins.sonar.action.SonarAnalysisAction``: ``ceTaskId``, ``installationName``,
``serverUrl``, ``sonarqubeDashboardUrl``, ``skipped``; ``ceTaskId`` is null when the scanner wrote no
report). The report is read from SonarQube's Web API for the newest analysis with a task, as the plugin's
``waitForQualityGate`` picks it. Plain data; no framework, no client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ANALYSIS_ACTION = "hudson.plugins.sonar.action.SonarAnalysisAction"
#: The measures a report shows (all exist on SonarQube 10.x and 2025.x; one unknown key fails the call).
MEASURES = (
    "bugs",
    "vulnerabilities",
    "code_smells",
    "coverage",
    "duplicated_lines_density",
    "ncloc",
    "reliability_rating",
    "security_rating",
    "sqale_rating",
)
FINISHED = frozenset({"SUCCESS", "FAILED", "CANCELED"})


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


@dataclass(frozen=True)
class AnalysisRef:
    """One ``SonarAnalysisAction`` of a build."""

    installation: str
    task_id: str | None
    dashboard_url: str | None = None
    server_url: str | None = None
    skipped: bool = False


def analysis_refs(actions: Iterable[Any]) -> list[AnalysisRef]:
    """The build's sonar analyses in the order the blocks ended (entries that are not mappings or not
    the plugin's action, ``{}`` included, are skipped)."""
    out = []
    for action in actions:
        if not isinstance(action, Mapping) or action.get("_class") != ANALYSIS_ACTION:
            continue
        task = action.get("ceTaskId")
        dashboard = action.get("sonarqubeDashboardUrl")
        server = action.get("serverUrl")
        out.append(
            AnalysisRef(
                installation=str(action.get("installationName") or ""),
                task_id=str(task) if task else None,
                dashboard_url=str(dashboard) if dashboard else None,
                server_url=str(server) if server else None,
                skipped=bool(action.get("skipped")),
            )
        )
    return out


def newest_with_task(refs: Sequence[AnalysisRef]) -> AnalysisRef | None:
    """``waitForQualityGate``'s choice: the newest analysis that has a Compute Engine task."""
    return next((r for r in reversed(refs) if r.task_id), None)


@dataclass(frozen=True)
class GateCondition:
    metric: str
    status: str  # OK | ERROR (WARN on old servers)
    comparator: str  # GT | LT
    threshold: str
    actual: str | None


@dataclass(frozen=True)
class QualityIssue:
    key: str
    rule: str
    type: str  # BUG | VULNERABILITY | CODE_SMELL
    severity: str
    message: str
    file: str | None  # path in the project
    line: int | None


@dataclass(frozen=True)
class QualityReport:
    """The analysis of one SonarQube task: its state and, once it succeeded, gate, measures and issues."""

    task_id: str
    status: TaskStatus
    project_key: str
    project_name: str
    analysis_id: str | None = None
    submitted_at: str | None = None
    executed_at: str | None = None
    error: str | None = None
    gate: str | None = None  # OK | ERROR | NONE
    conditions: tuple[GateCondition, ...] = ()
    measures: Mapping[str, str] = field(default_factory=dict)
    issues: tuple[QualityIssue, ...] = ()
    issues_total: int = 0

    @property
    def complete(self) -> bool:
        """The task ended: nothing of this report changes any more (it may be cached)."""
        return self.status in FINISHED


def file_of(component: str, project_key: str) -> str | None:
    """An issue's ``component`` (``<project key>:<path>``) → the file path, or ``None`` for the project."""
    prefix = project_key + ":"
    return component[len(prefix) :] if component.startswith(prefix) else None
