"""Code-quality benchmark: what a run's report costs SonarQube and Jenkins, cold and once cached.

A sandbox SonarQube over HTTP holds ``--runs`` analyses (one project each, processed at once); the bridge's
``SonarQubeClient`` and ``CodeQualityService`` read them. The Jenkins side is an in-process actions port that
counts calls (one build read per report) and the run index an in-process stand-in with finished runs.

Phases: every run's report read once (cold: SonarQube's four reads per report), then ``--readers`` threads
reading random runs ``--reads`` times each (warm: served from the cache). Prints SonarQube requests and
Jenkins reads per phase and p50/p99 of a read. Fails (exit 1) unless a cold report costs exactly 4
SonarQube requests and 1 Jenkins read, and warm reads cost none.

    .venv/bin/python bench/code_quality.py [--runs 50 --readers 8 --reads 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time

import requests

from bridge.adapters.sonar.client import SonarQubeClient
from bridge.domain.quality import AnalysisRef
from bridge.domain.runs import Run, RunStatus, Trigger, TriggerKind
from bridge.sandbox.sonarqube import SandboxSonarQube
from bridge.services.codequality import CodeQualityService

TOKEN = "bench-token-0123456789"


class Index:
    def indexed(self, project: str, pipeline: str, number: int) -> Run:
        return Run(project, pipeline, Trigger(TriggerKind.USER), status=RunStatus.SUCCEEDED, number=number)


class Actions:
    def __init__(self, tasks: dict[int, str]) -> None:
        self.tasks, self.calls, self.lock = tasks, 0, threading.Lock()

    def analyses(self, job_path: str, number: int) -> list[AnalysisRef]:
        with self.lock:
            self.calls += 1
        return [AnalysisRef("sonar", self.tasks[number])]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    with SandboxSonarQube(admin_token=TOKEN, processing_seconds=0) as sonar:
        tasks = {}
        for n in range(1, args.runs + 1):
            r = requests.post(
                sonar.url + "api/ce/submit", data={"projectKey": f"bench:p{n}"}, auth=(TOKEN, ""), timeout=5
            )
            tasks[n] = r.json()["taskId"]
        actions = Actions(tasks)
        service = CodeQualityService(Index(), actions, SonarQubeClient(sonar.url, TOKEN))  # type: ignore[arg-type]
        base = len(sonar.seen("/api/"))

        cold: list[float] = []
        for n in range(1, args.runs + 1):
            started = time.perf_counter()
            assert service.for_run("bench", "build", n).report.gate is not None
            cold.append(time.perf_counter() - started)
        cold_sonar, cold_jenkins = len(sonar.seen("/api/")) - base, actions.calls

        warm: list[float] = []
        lock = threading.Lock()

        def reader(seed: int) -> None:
            rng = random.Random(seed)
            mine = []
            for _ in range(args.reads):
                started = time.perf_counter()
                service.for_run("bench", "build", rng.randint(1, args.runs))
                mine.append(time.perf_counter() - started)
            with lock:
                warm.extend(mine)

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(args.readers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        warm_sonar = len(sonar.seen("/api/")) - base - cold_sonar
        warm_jenkins = actions.calls - cold_jenkins

    print(
        f"cold: {args.runs} reports, SonarQube requests {cold_sonar} ({cold_sonar / args.runs:.2f}/report), "
        f"Jenkins reads {cold_jenkins}, p50 {percentile(cold, 0.5):.2f} ms, "
        f"p99 {percentile(cold, 0.99):.2f} ms"
    )
    print(
        f"warm: {len(warm)} reads by {args.readers} threads, SonarQube requests {warm_sonar}, Jenkins reads "
        f"{warm_jenkins}, p50 {percentile(warm, 0.5):.3f} ms, p99 {percentile(warm, 0.99):.3f} ms, "
        f"mean {statistics.mean(warm) * 1000:.3f} ms"
    )
    ok = cold_sonar == 4 * args.runs and cold_jenkins == args.runs and warm_sonar == 0 and warm_jenkins == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
