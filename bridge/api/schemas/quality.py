"""Code quality of a run or a pipeline: the SonarQube analysis its build recorded."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bridge.domain.quality import GateCondition, QualityIssue
from bridge.services.codequality import RunQuality

MEASURE_NAMES = {
    "bugs": "bugs",
    "vulnerabilities": "vulnerabilities",
    "code_smells": "code_smells",
    "coverage": "coverage",
    "duplications": "duplicated_lines_density",
    "lines_of_code": "ncloc",
    "reliability_rating": "reliability_rating",
    "security_rating": "security_rating",
    "maintainability_rating": "sqale_rating",
}


class ConditionOut(BaseModel):
    metric: str = Field(description="SonarQube metric key, e.g. new_coverage")
    status: str = Field(description="OK or ERROR")
    comparator: str = Field(description="GT or LT: the condition fails when the value is above/below")
    threshold: str
    actual: str | None

    @classmethod
    def of(cls, c: GateCondition) -> ConditionOut:
        return cls(
            metric=c.metric, status=c.status, comparator=c.comparator, threshold=c.threshold, actual=c.actual
        )


class IssueOut(BaseModel):
    key: str
    rule: str
    type: str = Field(description="BUG, VULNERABILITY or CODE_SMELL")
    severity: str = Field(description="BLOCKER, CRITICAL, MAJOR, MINOR or INFO")
    message: str
    file: str | None = Field(description="Path in the project; null for a project-level issue")
    line: int | None

    @classmethod
    def of(cls, i: QualityIssue) -> IssueOut:
        return cls(
            key=i.key,
            rule=i.rule,
            type=i.type,
            severity=i.severity,
            message=i.message,
            file=i.file,
            line=i.line,
        )


class MeasuresOut(BaseModel):
    """Values as SonarQube gives them (text): counts, percentages, ratings 1.0 (A) … 5.0 (E); absent: null."""

    bugs: str | None = None
    vulnerabilities: str | None = None
    code_smells: str | None = None
    coverage: str | None = None
    duplications: str | None = Field(default=None, description="duplicated_lines_density, %")
    lines_of_code: str | None = None
    reliability_rating: str | None = None
    security_rating: str | None = None
    maintainability_rating: str | None = None


class CodeQualityOut(BaseModel):
    run: int = Field(description="The run (build number) whose analysis this is")
    installation: str = Field(description="The SonarQube installation the build used (withSonarQubeEnv)")
    task_id: str
    status: Literal["PENDING", "IN_PROGRESS", "SUCCESS", "FAILED", "CANCELED"] = Field(
        description="SonarQube's background task: gate, measures and issues exist once it is SUCCESS"
    )
    project_key: str
    project_name: str
    dashboard_url: str | None
    analysis_id: str | None
    analysed_at: str | None
    error: str | None = Field(description="Why the background task failed")
    gate: Literal["OK", "ERROR", "WARN", "NONE"] | None = Field(description="Quality gate status")
    conditions: list[ConditionOut]
    measures: MeasuresOut
    issues: list[IssueOut] = Field(description="Top unresolved issues, most severe first")
    issues_total: int

    @classmethod
    def of(cls, q: RunQuality) -> CodeQualityOut:
        r = q.report
        gate = r.gate if r.gate in ("OK", "ERROR", "WARN", "NONE") else None
        return cls(
            run=q.run.number or 0,
            installation=q.analysis.installation,
            task_id=r.task_id,
            status=r.status.value,
            project_key=r.project_key,
            project_name=r.project_name,
            dashboard_url=q.analysis.dashboard_url,
            analysis_id=r.analysis_id,
            analysed_at=r.executed_at,
            error=r.error,
            gate=gate,  # type: ignore[arg-type]
            conditions=[ConditionOut.of(c) for c in r.conditions],
            measures=MeasuresOut(**{name: r.measures.get(key) for name, key in MEASURE_NAMES.items()}),
            issues=[IssueOut.of(i) for i in r.issues],
            issues_total=r.issues_total,
        )
