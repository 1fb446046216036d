"""What Jenkinsfile validation costs a pipeline write, and how fast the worker catches up after an outage.

Against the sandbox Jenkins over HTTP, through the real adapter, store (SQLite) and service layer:

1. ``create`` of N pipelines with an inline Declarative Jenkinsfile, without a linter and with one:
   latency p50/p95 and Jenkins requests per write;
2. N writes while Jenkins is down and the readiness probe knows it: Jenkins requests per write (0 expected);
3. the worker's catch-up after the outage: time and requests to validate the N pending Jenkinsfiles.

Fails (exit 1) unless a write with the linter costs exactly one Jenkins request (after the first crumb),
writes during a known outage cost none, and the catch-up validates all N.

    .venv/bin/python bench/jenkinsfile_validation.py [--pipelines 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.linter import JenkinsLinter
from bridge.domain.model import Pipeline, Project, Workspace
from bridge.domain.validation import ValidationStatus
from bridge.reconcile.validate import PendingValidator
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.services.jenkinsfiles import Jenkinsfiles
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store.crypto import SecretBox
from bridge.store.desired import StoreDesiredState
from bridge.store.engine import make_engine
from bridge.store.unit import Store


def jenkinsfile(i: int) -> str:
    return f"pipeline {{\n  agent any\n  stages {{ stage('s{i}') {{ steps {{ echo 'build {i}' }} }} }}\n}}\n"


def timed_creates(service: PipelineService, project: str, n: int) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        service.create(Pipeline(project=project, name=f"p{i}", jenkinsfile=jenkinsfile(i)))
        times.append(time.perf_counter() - start)
    return times


def report(label: str, times: list[float], requests: int) -> None:
    p95 = statistics.quantiles(times, n=20)[18] * 1000 if len(times) >= 20 else max(times) * 1000
    print(
        f"{label:<34} p50 {statistics.median(times) * 1000:6.2f} ms  p95 {p95:6.2f} ms  "
        f"Jenkins requests/write {requests / len(times):.2f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", type=int, default=200)
    n = parser.parse_args().pipelines
    ok = True
    with tempfile.TemporaryDirectory() as tmp, SandboxJenkins() as sandbox:
        store = Store(
            make_engine(f"sqlite:///{Path(tmp) / 'b.db'}"), SecretBox(Fernet.generate_key().decode())
        )
        store.migrate()
        WorkspaceService(store).create(Workspace(name="ws"))
        for name in ("plain", "linted", "outage"):
            ProjectService(store).create(Project(name=name, workspace="ws"))
        adapter = JenkinsAdapter.connect(
            sandbox.url, user=sandbox.admin_user, token=sandbox.admin_token, retries=0
        )
        linter = JenkinsLinter(adapter)
        linter.validate_jenkinsfile(jenkinsfile(0))  # the crumb, once per adapter

        report("create, no linter", timed_creates(PipelineService(store), "plain", n), 0)

        before = adapter.counter.total
        linted = PipelineService(store, Jenkinsfiles(linter))
        times = timed_creates(linted, "linted", n)
        requests = adapter.counter.total - before
        report("create, linter (Jenkins up)", times, requests)
        ok &= requests == n

        sandbox.outage()
        before = adapter.counter.total
        down = PipelineService(store, Jenkinsfiles(linter, reachable=lambda: False))
        times = timed_creates(down, "outage", n)
        requests = adapter.counter.total - before
        report("create, Jenkins known down", times, requests)
        ok &= requests == 0

        sandbox.recover()
        desired = StoreDesiredState(store)
        validator = PendingValidator(desired, linter, batch=n)
        before, start = adapter.counter.total, time.perf_counter()
        settled = validator.run()
        elapsed = time.perf_counter() - start
        requests = adapter.counter.total - before
        print(f"worker catch-up: {settled}/{n} validated in {elapsed:.2f} s, {requests} Jenkins requests")
        with store.read() as tx:
            statuses = {s.validation.status if s.validation else None for s in tx.pipelines.list("outage")}
        ok &= settled == n and statuses == {ValidationStatus.VALID}
        store.close()
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
