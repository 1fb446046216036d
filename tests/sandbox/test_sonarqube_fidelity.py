"""The sandbox SonarQube's answers compared with SonarQube's documented samples (``samples/sonarqube/``):
the same keys in the same (protobuf) order, the same value types, the same error envelopes and codes."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from bridge.sandbox.sonarqube import Account, Condition, Issue, Profile, SandboxSonarQube
from tests.waiting import wait_until

SAMPLES = Path(__file__).parent / "samples" / "sonarqube"
KEY = "com.example:demo-service"
FAILING = Profile(
    issues=(
        Issue(
            "java:S2259",
            "BUG",
            "MAJOR",
            "src/main/java/com/example/demo/OrderService.java",
            42,
            "NPE",
            10,
            ("cwe",),
        ),
        Issue(
            "java:S1192",
            "CODE_SMELL",
            "CRITICAL",
            "src/main/java/com/example/demo/web/OrderController.java",
            17,
            "Duplicated literal",
            25,
        ),
    ),
    measures={"coverage": "78.4", "duplicated_lines_density": "2.3", "ncloc": "12480"},
    new_measures={"new_reliability_rating": "3", "new_coverage": "41.7"},
    conditions=(Condition("new_reliability_rating", "GT", "1"), Condition("new_coverage", "LT", "80")),
)


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def shape(value: Any) -> Any:
    """Keys in order and value types; a list is the shape of its first element."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


@pytest.fixture
def sonar() -> Any:
    with SandboxSonarQube(
        admin_token="admin-token",
        processing_seconds=0.3,
        tokens={"scan-only": Account("scanner", browse=False)},
    ) as s:
        s.profile(KEY, FAILING)
        yield s


def get(
    sonar: SandboxSonarQube, path: str, token: str | None = "admin-token", **params: str
) -> requests.Response:
    return requests.get(sonar.url + path, params=params, auth=(token, "") if token else None, timeout=5)


def analysed(sonar: SandboxSonarQube) -> dict[str, Any]:
    r = requests.post(
        sonar.url + "api/ce/submit",
        data={"projectKey": KEY, "projectName": "demo-service"},
        auth=("admin-token", ""),
        timeout=5,
    )
    assert r.status_code == 200 and list(r.json()) == ["taskId", "projectId"]
    task_id = r.json()["taskId"]
    return wait_until(
        lambda: (t := get(sonar, "api/ce/task", id=task_id).json()["task"])["status"] == "SUCCESS" and t
    )


def test_a_task_goes_through_the_compute_engine_states_in_the_documented_shapes(
    sonar: SandboxSonarQube,
) -> None:
    r = requests.post(
        sonar.url + "api/ce/submit",
        data={"projectKey": KEY, "projectName": "demo-service"},
        auth=("admin-token", ""),
        timeout=5,
    )
    task_id = r.json()["taskId"]
    pending = get(sonar, "api/ce/task", id=task_id).json()
    assert pending["task"]["status"] == "PENDING"
    assert shape(pending) == shape(sample("ce-task-pending.json"))
    done = wait_until(
        lambda: (t := get(sonar, "api/ce/task", id=task_id).json())["task"]["status"] == "SUCCESS" and t
    )
    assert shape(done) == shape(sample("ce-task-success.json"))
    assert done["task"]["componentKey"] == KEY and done["task"]["componentQualifier"] == "TRK"
    assert time.strptime(done["task"]["executedAt"], "%Y-%m-%dT%H:%M:%S+0000")


def test_a_failed_task_has_an_error_message_and_no_analysis(sonar: SandboxSonarQube) -> None:
    sonar.profile(
        KEY, Profile(failure="Date of analysis cannot be older than the date of the last known analysis")
    )
    r = requests.post(
        sonar.url + "api/ce/submit", data={"projectKey": KEY}, auth=("admin-token", ""), timeout=5
    )
    failed = wait_until(
        lambda: (
            (t := get(sonar, "api/ce/task", id=r.json()["taskId"]).json())["task"]["status"] == "FAILED" and t
        )
    )
    assert shape(failed) == shape(sample("ce-task-failed.json"))


def test_the_gate_of_an_analysis(sonar: SandboxSonarQube) -> None:
    task = analysed(sonar)
    status = get(sonar, "api/qualitygates/project_status", analysisId=task["analysisId"]).json()
    assert shape(status) == shape(sample("qualitygates-project-status-error.json"))
    gate = status["projectStatus"]
    assert gate["status"] == "ERROR"
    assert [(c["metricKey"], c["status"], c["actualValue"]) for c in gate["conditions"]] == [
        ("new_reliability_rating", "ERROR", "3"),
        ("new_coverage", "ERROR", "41.7"),
    ]
    sonar.profile(
        KEY,
        Profile(new_measures={"new_coverage": "90.0"}, conditions=(Condition("new_coverage", "LT", "80"),)),
    )
    ok = get(sonar, "api/qualitygates/project_status", analysisId=analysed(sonar)["analysisId"]).json()
    assert ok["projectStatus"]["status"] == "OK"
    assert shape(ok) == shape(sample("qualitygates-project-status-ok.json"))
    # the first analysis keeps its own gate
    again = get(sonar, "api/qualitygates/project_status", analysisId=task["analysisId"]).json()
    assert again["projectStatus"]["status"] == "ERROR"


def test_measures_with_metrics_and_period(sonar: SandboxSonarQube) -> None:
    analysed(sonar)
    keys = (
        "alert_status,bugs,code_smells,coverage,duplicated_lines_density,ncloc,vulnerabilities,new_coverage,"
        "reliability_rating"
    )
    body = get(
        sonar, "api/measures/component", component=KEY, metricKeys=keys, additionalFields="metrics,period"
    ).json()
    expected = sample("measures-component.json")
    assert [k for k, _ in shape(body)] == [k for k, _ in shape(expected)]
    assert shape(body["component"]["measures"][0]) == shape(expected["component"]["measures"][0])
    by_key = {m["metric"]: m for m in body["component"]["measures"]}
    assert by_key["bugs"]["value"] == "1" and by_key["code_smells"]["value"] == "1"
    assert by_key["vulnerabilities"]["value"] == "0" and by_key["alert_status"]["value"] == "ERROR"
    assert by_key["new_coverage"] == {
        "metric": "new_coverage",
        "period": {"value": "41.7", "bestValue": False},
    }
    metrics = {m["key"]: m for m in body["metrics"]}
    for documented in expected["metrics"]:  # bugs (INT), coverage (PERCENT), reliability_rating (RATING)
        assert shape(metrics.get(documented["key"])) == shape(documented)
    assert shape(body["period"]) == shape(expected["period"])


def test_issues_search_as_ks_devops_asks(sonar: SandboxSonarQube) -> None:
    analysed(sonar)
    body = get(
        sonar,
        "api/issues/search",
        additionalFields="_all",
        componentKeys=KEY,
        resolved="false",
        ps="10",
        s="FILE_LINE",
        facets="severities,types",
    ).json()
    expected = sample("issues-search.json")
    assert shape(body) == shape(expected)
    assert [(i["line"], i["component"].rsplit("/", 1)[-1]) for i in body["issues"]] == [
        (42, "OrderService.java"),
        (17, "OrderController.java"),
    ]
    assert body["paging"] == {"pageIndex": 1, "pageSize": 10, "total": 2} and body["effortTotal"] == 35
    facets = {f["property"]: {v["val"]: v["count"] for v in f["values"]} for f in body["facets"]}
    assert facets == {
        "severities": {"CRITICAL": 1, "MAJOR": 1, "BLOCKER": 0, "MINOR": 0, "INFO": 0},
        "types": {"BUG": 1, "CODE_SMELL": 1, "VULNERABILITY": 0},
    }
    second = get(sonar, "api/issues/search", components=KEY, ps="1", p="2", s="FILE_LINE").json()
    assert [i["line"] for i in second["issues"]] == [17] and "rules" not in second
    assert get(sonar, "api/issues/search", components=KEY, ps="501").status_code == 400


@pytest.mark.parametrize(
    ("path", "params", "status", "name"),
    [
        ("api/ce/task", {"id": "AZQyW2mXvB7k1cH3Jd9z"}, 404, "error-404-ce-task.json"),
        ("api/qualitygates/project_status", {}, 400, "error-400-project-status-params.json"),
        (
            "api/measures/component",
            {"component": KEY, "metricKeys": "bugs,new_bugz"},
            404,
            "error-404-metric-keys.json",
        ),
    ],
)
def test_errors_have_the_documented_envelope_and_text(
    sonar: SandboxSonarQube, path: str, params: dict[str, str], status: int, name: str
) -> None:
    analysed(sonar)
    r = get(sonar, path, **params)
    assert r.status_code == status and r.headers["Content-Type"].startswith("application/json")
    assert r.json() == sample(name)


def test_authentication_as_sonarqube_does_it(sonar: SandboxSonarQube) -> None:
    task = analysed(sonar)
    assert get(sonar, "api/ce/task", token=None, id=task["id"]).status_code == 401
    wrong = get(sonar, "api/ce/task", token="nope", id=task["id"])
    assert wrong.status_code == 401 and wrong.content == b""
    bearer = requests.get(
        sonar.url + "api/ce/task",
        params={"id": task["id"]},
        headers={"Authorization": "Bearer admin-token"},
        timeout=5,
    )
    assert bearer.status_code == 200
    login_password = base64.b64encode(b"admin-token:secret").decode()
    refused = requests.get(
        sonar.url + "api/ce/task",
        params={"id": task["id"]},
        headers={"Authorization": f"Basic {login_password}"},
        timeout=5,
    )
    assert refused.status_code == 401
    forbidden = get(sonar, "api/measures/component", token="scan-only", component=KEY, metricKeys="bugs")
    assert forbidden.status_code == 403 and forbidden.json() == sample(
        "error-403-insufficient-privileges.json"
    )
    assert get(sonar, "api/ce/task", token="scan-only", id=task["id"]).status_code == 200
    assert requests.get(sonar.url + "api/server/version", timeout=5).text.startswith("2025.1")
