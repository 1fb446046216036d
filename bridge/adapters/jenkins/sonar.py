"""A build's SonarQube analyses as the sonar plugin records them (``AnalysisActionsPort``).

One ``tree=``-limited read of the build's ``actions``: the plugin's ``SonarAnalysisAction`` is exported at
the default depth (``@ExportedBean(defaultVisibility = 2)``), so asking for its fields by name is enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.adapters.jenkins import paths
from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.domain.quality import AnalysisRef, analysis_refs

TREE = "actions[_class,ceTaskId,installationName,serverUrl,sonarqubeDashboardUrl,skipped]"


class JenkinsAnalysisActions:
    def __init__(self, jenkins: JenkinsAdapter) -> None:
        self._jenkins = jenkins

    def analyses(self, job_path: str, number: int) -> Sequence[AnalysisRef]:
        data = self._jenkins.get_json(paths.item(job_path) + f"{number}/api/json", tree=TREE)
        return analysis_refs(data.get("actions") or ())
