"""Without a SonarQube configured for the Jenkins, the code-quality views say so (404) and ask nobody."""

from __future__ import annotations

from bridge.bootstrap import Container
from bridge.domain.runs import Run, RunStatus, Trigger, TriggerKind
from tests.fixtures.app import ApiClient

P = "/api/v1/projects"


def test_code_quality_without_a_sonarqube(api: ApiClient, container: Container) -> None:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    assert api.post(f"{P}/demo/pipelines", {"name": "build", "jenkinsfile": "echo hi"}).status_code == 201
    with container.store.write() as tx:
        tx.runs.add(Run("demo", "build", Trigger(TriggerKind.USER), status=RunStatus.SUCCEEDED, number=1))
    for path in (f"{P}/demo/pipelines/build/runs/1/code-quality", f"{P}/demo/pipelines/build/code-quality"):
        r = api.get(path)  # the fixture's Jenkins does not exist: asking it would be a 503
        assert r.status_code == 404 and r.mimetype == "application/problem+json", r.json
        assert "BRIDGE_JENKINS_SONAR_URL" in r.json["detail"]
    assert api.get(f"{P}/demo/pipelines/build/runs/2/code-quality").status_code == 404
    assert api.get(f"{P}/demo/pipelines/nope/code-quality").status_code == 404
