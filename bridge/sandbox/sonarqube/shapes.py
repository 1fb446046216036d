"""The JSON of each endpoint, field by field as SonarQube writes it (protobuf order; absent scalars
omitted, repeated fields always written)."""

from __future__ import annotations

import hashlib
from typing import Any

from bridge.sandbox.sonarqube.metrics import METRICS
from bridge.sandbox.sonarqube.state import (
    RULE_NAMES,
    SEVERITY_IMPACT,
    TYPE_QUALITY,
    Analysis,
    Issue,
    Task,
    sonar_date,
)

SEVERITIES = ("INFO", "MINOR", "MAJOR", "CRITICAL", "BLOCKER")
TYPES = ("CODE_SMELL", "BUG", "VULNERABILITY")


def task(t: Task, now: float) -> dict[str, Any]:
    status = t.status(now)
    out: dict[str, Any] = {
        "id": t.id,
        "type": "REPORT",
        "componentId": t.project.uuid,
        "componentKey": t.project.key,
        "componentName": t.project.name,
        "componentQualifier": "TRK",
    }
    if status == "SUCCESS":
        out["analysisId"] = t.analysis.id
    out["status"] = status
    out["submittedAt"] = sonar_date(t.submitted)
    out["submitterLogin"] = t.submitter
    if status != "PENDING":
        out["startedAt"] = sonar_date(t.pending_until)
    if status in ("SUCCESS", "FAILED"):
        out["executedAt"] = sonar_date(t.done_at)
        out["executionTimeMs"] = int((t.done_at - t.pending_until) * 1000)
        if status == "FAILED":
            out["errorMessage"] = t.analysis.profile.failure
        out["hasScannerContext"] = True
        out["warningCount"] = 0
    out["warnings"] = []
    return {"task": out}


def period(a: Analysis) -> dict[str, Any]:
    return {"mode": "PREVIOUS_VERSION", "date": sonar_date(a.period_date)}


def project_status(a: Analysis) -> dict[str, Any]:
    conditions = [
        {
            "status": status,
            "metricKey": c.metric,
            "comparator": c.comparator,
            "errorThreshold": c.threshold,
            "actualValue": actual,
        }
        for c, actual, status in a.conditions()
    ]
    body: dict[str, Any] = {"status": a.gate_status(), "ignoredConditions": False, "caycStatus": "compliant"}
    body["conditions"] = conditions
    body["period"] = period(a)
    return {"projectStatus": body}


def measures(a: Analysis, keys: list[str], additional: set[str]) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    for key in sorted(keys):
        value = a.value(key)
        if value is None:
            continue
        if key.startswith("new_"):
            found.append({"metric": key, "period": {"value": value, "bestValue": value == METRICS[key].best}})
        else:
            found.append({"metric": key, "value": value})
    out: dict[str, Any] = {
        "component": {"key": a.project.key, "name": a.project.name, "qualifier": "TRK", "measures": found}
    }
    if "metrics" in additional:
        out["metrics"] = [METRICS[k].json() for k in sorted(set(keys))]
    if "period" in additional:
        out["period"] = period(a)
    return out


def _effort(minutes: int) -> str:
    return f"{minutes}min" if minutes < 60 else f"{minutes // 60}h{minutes % 60}min".replace("h0min", "h")


def issue(a: Analysis, i: Issue, key: str) -> dict[str, Any]:
    stamp = sonar_date(a.at)
    return {
        "key": key,
        "rule": i.rule,
        "severity": i.severity,
        "component": f"{a.project.key}:{i.path}",
        "project": a.project.key,
        "line": i.line,
        "hash": hashlib.md5(f"{i.rule}:{i.path}:{i.line}".encode(), usedforsecurity=False).hexdigest(),
        "textRange": {"startLine": i.line, "endLine": i.line, "startOffset": 0, "endOffset": 1},
        "flows": [],
        "status": "OPEN",
        "message": i.message,
        "effort": _effort(i.effort_minutes),
        "debt": _effort(i.effort_minutes),
        "author": "",
        "tags": list(i.tags),
        "transitions": ["confirm", "resolve", "falsepositive", "wontfix"],
        "actions": ["set_tags", "comment", "assign"],
        "comments": [],
        "creationDate": stamp,
        "updateDate": stamp,
        "type": i.type,
        "scope": "MAIN",
        "quickFixAvailable": False,
        "messageFormattings": [],
        "codeVariants": [],
        "cleanCodeAttribute": "LOGICAL" if i.type == "BUG" else "CONVENTIONAL",
        "cleanCodeAttributeCategory": "INTENTIONAL" if i.type == "BUG" else "CONSISTENT",
        "impacts": [{"softwareQuality": TYPE_QUALITY[i.type], "severity": SEVERITY_IMPACT[i.severity]}],
        "issueStatus": "OPEN",
    }


def file_component(project_key: str, path: str) -> dict[str, Any]:
    return {
        "key": f"{project_key}:{path}",
        "enabled": True,
        "qualifier": "FIL",
        "name": path.rsplit("/", 1)[-1],
        "longName": path,
        "path": path,
    }


def rule(key: str) -> dict[str, Any]:
    return {
        "key": key,
        "name": RULE_NAMES.get(key, key),
        "status": "READY",
        "lang": "java",
        "langName": "Java",
    }


def facet(prop: str, values: tuple[str, ...], found: list[Issue]) -> dict[str, Any]:
    attr = "severity" if prop == "severities" else "type"
    counts = {v: sum(1 for i in found if getattr(i, attr) == v) for v in values}
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {"property": prop, "values": [{"val": v, "count": n} for v, n in ordered]}
