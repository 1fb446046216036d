"""``SonarQubeClient``: the ``CodeQualityPort`` over SonarQube's Web API.

Four reads, as the sonar plugin and KubeSphere DevOps make them: ``api/ce/task?id=`` (the task; its
``analysisId`` once ``SUCCESS``), ``api/qualitygates/project_status?analysisId=`` (the gate computed for
that analysis), ``api/measures/component`` (the project's key measures) and ``api/issues/search``
(unresolved issues, most severe first). The token is the Basic user with an empty password. Errors are
told by status, never by message: no answer or 5xx → ``UpstreamUnavailable`` (with SonarQube's
``Retry-After`` or ``RETRY_AFTER``), 401/403 → ``UpstreamError``, 404 → ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import requests

from bridge.domain.quality import MEASURES, GateCondition, QualityIssue, QualityReport, TaskStatus, file_of
from bridge.errors import NotFound, UpstreamError, UpstreamUnavailable

RETRY_AFTER = 30.0


def _retry_after(response: requests.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return RETRY_AFTER


def _message(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or []
        return "; ".join(str(e.get("msg", "")) for e in errors if isinstance(e, Mapping)) or response.reason
    except (ValueError, AttributeError):
        return response.reason or f"HTTP {response.status_code}"


class SonarQubeClient:
    def __init__(self, url: str, token: str | None, *, timeout: float = 10.0, verify: bool = True) -> None:
        self.url = url.rstrip("/") + "/"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.verify = verify
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.auth = (token, "")
        self.requests = 0  # answered or not, for tests and benchmarks counting reads

    def close(self) -> None:
        self.session.close()

    def _get(self, path: str, **params: str) -> dict[str, Any]:
        self.requests += 1
        try:
            response = self.session.get(self.url + path, params=params, timeout=self.timeout)
        except requests.RequestException:
            raise UpstreamUnavailable("SonarQube did not answer", retry_after=RETRY_AFTER) from None
        if response.status_code >= 500:
            raise UpstreamUnavailable(
                f"SonarQube answered {response.status_code} to {path}", retry_after=_retry_after(response)
            )
        if response.status_code in (401, 403):
            raise UpstreamError(f"SonarQube refused the bridge's token ({response.status_code} on {path})")
        if response.status_code == 404:
            raise NotFound(f"SonarQube: {_message(response)}")
        if response.status_code != 200:
            raise UpstreamError(f"SonarQube answered {response.status_code} to {path}: {_message(response)}")
        try:
            body = response.json()
        except ValueError:
            raise UpstreamError(f"SonarQube sent invalid JSON for {path}") from None
        if not isinstance(body, dict):
            raise UpstreamError(f"SonarQube sent unexpected JSON for {path}")
        return body

    def report(self, task_id: str, *, issues: int) -> QualityReport:
        task = self._get("api/ce/task", id=task_id).get("task") or {}
        try:
            status = TaskStatus(str(task.get("status")))
        except ValueError:
            raise UpstreamError(f"SonarQube sent an unknown task status {task.get('status')!r}") from None
        key = str(task.get("componentKey") or "")
        base = QualityReport(
            task_id=task_id,
            status=status,
            project_key=key,
            project_name=str(task.get("componentName") or key),
            analysis_id=task.get("analysisId"),
            submitted_at=task.get("submittedAt"),
            executed_at=task.get("executedAt"),
            error=task.get("errorMessage"),
        )
        if status is not TaskStatus.SUCCESS or not base.analysis_id:
            return base
        gate = (
            self._get("api/qualitygates/project_status", analysisId=base.analysis_id).get("projectStatus")
            or {}
        )
        component = (
            self._get("api/measures/component", component=key, metricKeys=",".join(MEASURES)).get("component")
            or {}
        )
        found = self._get(
            "api/issues/search",
            components=key,
            resolved="false",
            s="SEVERITY",
            asc="false",
            ps=str(max(1, min(issues, 500))),
            types="BUG,VULNERABILITY,CODE_SMELL",
        )
        return replace(
            base,
            gate=str(gate.get("status") or "NONE"),
            conditions=tuple(_condition(c) for c in gate.get("conditions") or () if isinstance(c, Mapping)),
            measures=_measures(component.get("measures") or ()),
            issues=tuple(_issue(i, key) for i in found.get("issues") or () if isinstance(i, Mapping)),
            issues_total=int((found.get("paging") or {}).get("total", found.get("total", 0)) or 0),
        )


def _condition(c: Mapping[str, Any]) -> GateCondition:
    actual = c.get("actualValue")
    return GateCondition(
        metric=str(c.get("metricKey", "")),
        status=str(c.get("status", "")),
        comparator=str(c.get("comparator", "")),
        threshold=str(c.get("errorThreshold", "")),
        actual=str(actual) if actual is not None else None,
    )


def _measures(items: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in items:
        if not isinstance(m, Mapping) or not m.get("metric"):
            continue
        value = m.get("value")
        if value is None and isinstance(m.get("period"), Mapping):
            value = m["period"].get("value")
        if value is not None:
            out[str(m["metric"])] = str(value)
    return out


def _issue(i: Mapping[str, Any], project_key: str) -> QualityIssue:
    line = i.get("line")
    return QualityIssue(
        key=str(i.get("key", "")),
        rule=str(i.get("rule", "")),
        type=str(i.get("type", "")),
        severity=str(i.get("severity", "")),
        message=str(i.get("message", "")),
        file=file_of(str(i.get("component", "")), project_key),
        line=int(line) if isinstance(line, int) else None,
    )
