"""The sonar plugin's actions on a build, as ``bridge.domain.quality`` reads them."""

from __future__ import annotations

import json
from pathlib import Path

from bridge.domain.quality import AnalysisRef, analysis_refs, file_of, newest_with_task

SAMPLE = Path(__file__).parents[1] / "sandbox" / "samples" / "sonarqube" / "jenkins-build-actions-sonar.json"


def test_the_documented_build_actions() -> None:
    actions = json.loads(SAMPLE.read_text(encoding="utf-8"))["actions"]
    (ref,) = analysis_refs(actions)
    assert ref == AnalysisRef(
        installation="sonar",
        task_id="AZQyW2mXvB7k1cH3Jd9a",
        dashboard_url="https://sonarqube.example.com/dashboard?id=com.example%3Ademo-service",
        server_url="https://sonarqube.example.com",
        skipped=False,
    )


def test_the_newest_analysis_with_a_task_is_chosen() -> None:
    refs = analysis_refs(
        [
            {
                "_class": "hudson.plugins.sonar.action.SonarAnalysisAction",
                "ceTaskId": "A",
                "installationName": "s",
            },
            {},
            {
                "_class": "hudson.plugins.sonar.action.SonarAnalysisAction",
                "ceTaskId": "B",
                "installationName": "s",
            },
            {"_class": "hudson.plugins.sonar.action.SonarAnalysisAction", "ceTaskId": None, "skipped": True},
            "not a mapping",
        ]
    )
    assert [r.task_id for r in refs] == ["A", "B", None]
    assert newest_with_task(refs) == refs[1]
    assert newest_with_task(refs[2:]) is None


def test_issue_component_to_file() -> None:
    assert file_of("com.example:demo:src/Main.java", "com.example:demo") == "src/Main.java"
    assert file_of("com.example:demo", "com.example:demo") is None
