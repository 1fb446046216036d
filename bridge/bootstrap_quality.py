"""The composition root's code-quality part (``bridge.bootstrap`` re-exports it): the SonarQube client
configured for the default Jenkins and the code-quality service over the run views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.settings import Settings, reveal

if TYPE_CHECKING:
    from bridge.adapters.jenkins.connection import JenkinsConnection
    from bridge.services.codequality import CodeQualityService
    from bridge.services.runs import RunService


def build_code_quality(
    settings: Settings, runs: RunService, connection: JenkinsConnection
) -> CodeQualityService:
    """Analyses read from the default controller's builds; reports from its SonarQube (none configured:
    the views answer 404 saying so)."""
    from bridge.adapters.jenkins.client import JenkinsAdapter
    from bridge.adapters.jenkins.sonar import JenkinsAnalysisActions
    from bridge.adapters.sonar.client import SonarQubeClient
    from bridge.services.codequality import CodeQualityService

    jenkins = settings.jenkins
    sonar = (
        SonarQubeClient(
            jenkins.sonar_url,
            reveal(jenkins.sonar_token),
            timeout=jenkins.sonar_timeout,
            verify=jenkins.verify_tls,
        )
        if jenkins.sonar_url
        else None
    )
    return CodeQualityService(runs, JenkinsAnalysisActions(JenkinsAdapter(connection)), sonar)
