"""The metric catalogue: every key ``api/measures/component`` accepts (one unknown key fails the call)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    domain: str
    type: str
    higher_is_better: bool
    qualitative: bool
    best: str | None = None
    worst: str | None = None
    decimal_scale: int | None = None

    def json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "key": self.key,
            "name": self.name,
            "description": self.name,
            "domain": self.domain,
            "type": self.type,
            "higherValuesAreBetter": self.higher_is_better,
            "qualitative": self.qualitative,
            "hidden": False,
        }
        if self.decimal_scale is not None:
            out["decimalScale"] = self.decimal_scale
        if self.best is not None:
            out["bestValue"] = self.best
        if self.worst is not None:
            out["worstValue"] = self.worst
        return out


def _m(
    key: str,
    name: str,
    domain: str,
    kind: str,
    higher: bool = False,
    qual: bool = False,
    *,
    best: str | None = None,
    worst: str | None = None,
    decimal_scale: int | None = None,
) -> Metric:
    return Metric(key, name, domain, kind, higher, qual, best, worst, decimal_scale)


def _rating(key: str, name: str, domain: str) -> Metric:
    """A rating, 1.0 (A) best to 5.0 (E) worst."""
    return _m(key, name, domain, "RATING", qual=True, best="1.0", worst="5.0")


_ALL = [
    _m("alert_status", "Quality Gate Status", "Releasability", "LEVEL", True, True),
    _m("quality_gate_details", "Quality Gate Details", "General", "DATA"),
    _m("bugs", "Bugs", "Reliability", "INT", best="0", worst="0"),
    _m("new_bugs", "New Bugs", "Reliability", "INT", best="0"),
    _rating("reliability_rating", "Reliability Rating", "Reliability"),
    _rating("new_reliability_rating", "Reliability Rating on New Code", "Reliability"),
    _m("vulnerabilities", "Vulnerabilities", "Security", "INT", best="0"),
    _m("new_vulnerabilities", "New Vulnerabilities", "Security", "INT", best="0"),
    _rating("security_rating", "Security Rating", "Security"),
    _rating("new_security_rating", "Security Rating on New Code", "Security"),
    _m("security_hotspots", "Security Hotspots", "SecurityReview", "INT", best="0"),
    _m(
        "new_security_hotspots_reviewed",
        "Security Hotspots Reviewed on New Code",
        "SecurityReview",
        "PERCENT",
        True,
        True,
        best="100.0",
        worst="0.0",
        decimal_scale=1,
    ),
    _m("code_smells", "Code Smells", "Maintainability", "INT", best="0"),
    _m("new_code_smells", "New Code Smells", "Maintainability", "INT", best="0"),
    _rating("sqale_rating", "Maintainability Rating", "Maintainability"),
    _rating("new_maintainability_rating", "Maintainability Rating on New Code", "Maintainability"),
    _m("sqale_index", "Technical Debt", "Maintainability", "WORK_DUR", best="0"),
    _m("new_technical_debt", "Added Technical Debt", "Maintainability", "WORK_DUR", best="0"),
    _m("coverage", "Coverage", "Coverage", "PERCENT", True, True, best="100.0", worst="0.0", decimal_scale=1),
    _m(
        "new_coverage",
        "Coverage on New Code",
        "Coverage",
        "PERCENT",
        True,
        True,
        best="100.0",
        worst="0.0",
        decimal_scale=1,
    ),
    _m("new_lines_to_cover", "Lines to Cover on New Code", "Coverage", "INT"),
    _m("tests", "Unit Tests", "Coverage", "INT", True),
    _m(
        "duplicated_lines_density",
        "Duplicated Lines (%)",
        "Duplications",
        "PERCENT",
        qual=True,
        best="0.0",
        worst="100.0",
        decimal_scale=1,
    ),
    _m(
        "new_duplicated_lines_density",
        "Duplicated Lines on New Code (%)",
        "Duplications",
        "PERCENT",
        qual=True,
        best="0.0",
        decimal_scale=1,
    ),
    _m("duplicated_blocks", "Duplicated Blocks", "Duplications", "INT", best="0"),
    _m("ncloc", "Lines of Code", "Size", "INT"),
    _m("ncloc_language_distribution", "Lines of Code Per Language", "Size", "DATA"),
    _m("projects", "Project Count", "Size", "INT"),
    _m("new_lines", "New Lines", "Size", "INT"),
]
METRICS: dict[str, Metric] = {m.key: m for m in _ALL}
