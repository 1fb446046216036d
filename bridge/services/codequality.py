"""Code quality of runs: the SonarQube analysis a build recorded, read through the SonarQube configured
for its Jenkins (``jenkins.sonar_url`` / ``sonar_token``).

A run's report: the build's ``SonarAnalysisAction`` entries (one Jenkins read), the newest with a
Compute Engine task, then SonarQube's task, gate, measures and top issues. A report whose task ended and
whose run finished never changes: it is cached (bounded, per process) and served without asking Jenkins
or SonarQube again. SonarQube down is ``UpstreamUnavailable`` (503 with ``Retry-After``) for this view
only; the run's other views do not read SonarQube. The pipeline's report is its newest analysed run
among the last ``SCAN_RUNS`` of the index.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from bridge.adapters.sonar.port import AnalysisActionsPort, CodeQualityPort
from bridge.domain.quality import AnalysisRef, QualityReport, newest_with_task
from bridge.domain.runs import Run
from bridge.errors import NotFound
from bridge.services.runs import RunService, job_path
from bridge.store.runs import RunFilter

TOP_ISSUES = 10
SCAN_RUNS = 10
CACHE_SIZE = 2048


@dataclass(frozen=True)
class RunQuality:
    run: Run
    analysis: AnalysisRef
    report: QualityReport


class CodeQualityService:
    def __init__(
        self,
        runs: RunService,
        actions: AnalysisActionsPort,
        sonar: CodeQualityPort | None,
        *,
        issues: int = TOP_ISSUES,
    ) -> None:
        self.runs, self.actions, self.sonar, self.issues = runs, actions, sonar, issues
        self._done: OrderedDict[tuple[str, str, int], RunQuality | None] = OrderedDict()
        self._lock = threading.Lock()

    def _cached(self, key: tuple[str, str, int]) -> tuple[bool, RunQuality | None]:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return True, self._done[key]
        return False, None

    def _keep(self, key: tuple[str, str, int], value: RunQuality | None) -> None:
        with self._lock:
            self._done[key] = value
            while len(self._done) > CACHE_SIZE:
                self._done.popitem(last=False)

    def _analysed(self, run: Run) -> RunQuality | None:
        """The run's report, or ``None`` when its build recorded no analysis with a task."""
        assert run.number is not None
        key = (run.project, run.pipeline, run.number)
        hit, value = self._cached(key)
        if hit:
            return value
        if self.sonar is None:  # nothing to read a report from: Jenkins is not asked either
            raise NotFound("no SonarQube is configured for this Jenkins (BRIDGE_JENKINS_SONAR_URL)")
        refs = self.actions.analyses(job_path(run.project, run.pipeline), run.number)
        chosen = newest_with_task(refs)
        if chosen is None or chosen.task_id is None:
            if run.finished:
                self._keep(key, None)
            return None
        quality = RunQuality(run, chosen, self.sonar.report(chosen.task_id, issues=self.issues))
        if run.finished and quality.report.complete:
            self._keep(key, quality)
        return quality

    def for_run(self, project: str, pipeline: str, number: int) -> RunQuality:
        run = self.runs.indexed(project, pipeline, number)
        if run.number is None:
            raise NotFound(f"run {number} has not started: it has no analysis yet")
        found = self._analysed(run)
        if found is None:
            raise NotFound(f"run {number} of {project}/{pipeline} recorded no SonarQube analysis")
        return found

    def for_pipeline(self, project: str, pipeline: str) -> RunQuality:
        """The newest run (of the last ``SCAN_RUNS`` started ones) whose build recorded an analysis."""
        runs = self.runs.index(project, pipeline, RunFilter(), before_id=None, limit=SCAN_RUNS)
        for run in runs:
            if run.number is None:
                continue
            found = self._analysed(run)
            if found is not None:
                return found
        raise NotFound(
            f"none of the last {SCAN_RUNS} runs of {project}/{pipeline} recorded a SonarQube analysis"
        )
