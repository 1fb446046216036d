"""The seed story's last two views as the demo prints them: the run's Code Quality report and, after the
production approval, the workloads of each cluster with the run's image. Both are read through the
bridge's API only (``get`` is a client's GET of an API path); nothing here asks SonarQube or a cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

MEASURES = (
    ("bugs", "bugs", ""),
    ("vulnerabilities", "vulnerabilities", ""),
    ("code smells", "code_smells", ""),
    ("coverage", "coverage", "%"),
    ("duplications", "duplications", "%"),
    ("lines of code", "lines_of_code", ""),
)
_BELOW = {"LT": "below", "GT": "above"}
#: How many issues the report shows (the API gives the top ones and the total).
TOP_ISSUES = 5


class Says(Protocol):
    def fact(self, text: str, *, indent: int = 4) -> None: ...
    def good(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...
    def table(self, rows: Sequence[Sequence[str]], *, indent: int = 4) -> None: ...


def code_quality(say: Says, report: Mapping[str, Any]) -> None:
    """The report of ``GET .../runs/{run}/code-quality``: gate and its conditions, measures, top issues."""
    say.fact(
        f"SonarQube {report['installation']!r}: project {report['project_key']}, analysis "
        f"{report.get('analysis_id') or '-'} ({report['status']})"
    )
    gate = report.get("gate") or "NONE"
    failing = [c for c in report.get("conditions") or () if c["status"] != "OK"]
    conditions = ", ".join(
        f"{c['metric']} {c.get('actual') or '-'} (fails when {_BELOW.get(c['comparator'], c['comparator'])} "
        f"{c['threshold']})"
        for c in report.get("conditions") or ()
    )
    line = f"quality gate {gate}" + (f": {conditions}" if conditions else "")
    (say.good if gate == "OK" else say.warn)(line)
    if failing:
        say.fact("failing: " + ", ".join(c["metric"] for c in failing))
    measures = report.get("measures") or {}
    say.fact(
        "  ".join(
            f"{label} {measures.get(key) or '-'}{unit if measures.get(key) else ''}"
            for label, key, unit in MEASURES
        )
    )
    issues = list(report.get("issues") or ())[:TOP_ISSUES]
    if issues:
        rows = [["severity", "type", "where", "issue"]]
        rows += [
            [i["severity"], i["type"], f"{i.get('file') or '(project)'}:{i.get('line') or '-'}", i["message"]]
            for i in issues
        ]
        say.table(rows)
    total = report.get("issues_total", len(issues))
    say.fact(f"{total} open issues; dashboard {report.get('dashboard_url') or '-'}")


def workloads(
    say: Says,
    get: Callable[[str], Any],
    pipeline_path: str,
    run: int,
    targets: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], bool | None]:
    """Each target's workloads (``.../targets/{cluster}/{namespace}/workloads``) with their images and
    replicas, then whether ``run``'s build runs there (``.../runs/{run}/targets``); returns the latter."""
    rows = [["cluster", "namespace", "workload", "image", "ready/desired"]]
    for cluster, namespace in targets:
        listed = get(f"{pipeline_path}/targets/{cluster}/{namespace}/workloads")
        if listed["status"] != "ok":
            rows.append([cluster, namespace, f"({listed['status']}: {listed.get('reason') or '-'})", "", ""])
            continue
        for w in listed["items"] or [{"kind": "", "name": "(none)", "images": [], "ready": 0, "desired": 0}]:
            images = (
                ", ".join(f"{i['repository'].rsplit('/', 1)[-1]}:{i['tag'] or '-'}" for i in w["images"])
                or "-"
            )
            rows.append(
                [
                    cluster,
                    namespace,
                    f"{w['kind']}/{w['name']}".lstrip("/"),
                    images,
                    f"{w['ready']}/{w['desired']}",
                ]
            )
    say.table(rows)
    running = {
        (t["cluster"], t["namespace"]): t["running"]
        for t in get(f"{pipeline_path}/runs/{run}/targets")["items"]
    }
    for (cluster, namespace), here in sorted(running.items()):
        state = {True: "runs there", False: "does not run there", None: "unknown (cluster not read)"}[here]
        say.fact(f"run #{run} on {cluster}/{namespace}: {state}")
    return running
