"""Operating costs: what a ``/metrics`` scrape and the per-request telemetry cost, and how many log
lines an idle worker writes.

* scrape: the store gauges over ``--projects`` projects x ``--pipelines`` pipelines (sync states of all
  of them in a real SQLite store), ``--scrapes`` renders of the whole registry: p50 / p99 ms and bytes;
* request overhead: ``GET /healthz`` through the Flask app, with and without the access line and the
  latency histogram (``BRIDGE_LOG_REQUESTS``): p50 / p99 µs per request;
* idle worker: the real worker with a 20 ms poll over an empty store for ``--polls`` polls, log lines
  counted at the root handler at INFO (the default) and at DEBUG (APScheduler's lines included).

    .venv/bin/python bench/operations.py [--projects 200 --pipelines 10 --scrapes 200 --polls 200]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bridge.app import create_app
from bridge.bootstrap import run_worker
from bridge.domain.model import Pipeline, Project, Workspace
from bridge.log import configure_logging
from bridge.settings import LogSettings, Settings
from bridge.store import StoreDesiredState


def _settings(data: Path, **env: str) -> Settings:
    return Settings.load(
        {
            "BRIDGE_DATA_DIR": str(data),
            "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
            "BRIDGE_JENKINS_URL": "http://127.0.0.1:9/",  # never reached by what is measured
            "BRIDGE_JENKINS_RETRIES": "0",
            **env,
        }
    )


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def scrape(data: Path, projects: int, pipelines: int, scrapes: int) -> None:
    app = create_app(_settings(data))
    container = app.extensions["bridge"]
    container.workspaces.create(Workspace(name="ws"))
    for p in range(projects):
        container.projects.create(Project(name=f"p{p}", workspace="ws"))
        for n in range(pipelines):
            container.pipelines.create(Pipeline(project=f"p{p}", name=f"j{n}", jenkinsfile="echo hi"))
    metrics = container.metrics
    times, size = [], 0
    for _ in range(scrapes):
        start = time.perf_counter()
        size = len(metrics.render())
        times.append((time.perf_counter() - start) * 1000)
    objects = projects * (1 + pipelines)
    print(
        f"scrape over {objects} objects: p50 {_pct(times, 0.5):.2f} ms, p99 {_pct(times, 0.99):.2f} ms, "
        f"{size} bytes"
    )
    container.close()


def request_overhead(data: Path, requests: int) -> None:
    for access in ("true", "false"):
        app = create_app(_settings(data / access, BRIDGE_LOG_REQUESTS=access))
        configure_logging(LogSettings(format="json"))  # the line is formatted and written, to /dev/null
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.get_name() == "bridge":
                handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
        client = app.test_client()
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            client.get("/healthz")
            times.append((time.perf_counter() - start) * 1e6)
        print(
            f"GET /healthz, access line {access:5}: p50 {statistics.median(times):.0f} µs, "
            f"p99 {_pct(times, 0.99):.0f} µs"
        )
        app.extensions["bridge"].close()


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += 1


class _Polls(StoreDesiredState):
    count = 0

    def take_dirty(self, limit: int):  # type: ignore[no-untyped-def]
        type(self).count += 1
        return super().take_dirty(limit)


def idle_worker(data: Path, polls: int) -> None:
    for level in ("INFO", "DEBUG"):
        settings = _settings(data / level, BRIDGE_RECONCILE_POLL_INTERVAL="0.02")
        app = create_app(settings)
        store = app.extensions["bridge"].store
        configure_logging(LogSettings(level=level))  # type: ignore[arg-type]
        root = logging.getLogger()
        for handler in root.handlers:
            handler.setLevel(logging.CRITICAL + 1)  # counted, not printed
        counter = _Count()
        root.addHandler(counter)
        _Polls.count = 0
        stop = threading.Event()
        handle = run_worker(settings, desired=_Polls(store), block=False, stop=stop)
        assert handle is not None
        while _Polls.count < polls:
            time.sleep(0.05)
        stop.set()
        handle.stop()
        root.removeHandler(counter)
        print(f"idle worker at {level:5}: {counter.lines} log lines over {_Polls.count} polls")
        app.extensions["bridge"].close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--pipelines", type=int, default=10)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--polls", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.NOTSET)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        scrape(data / "scrape", args.projects, args.pipelines, args.scrapes)
        request_overhead(data / "requests", args.requests)
        idle_worker(data / "idle", args.polls)


if __name__ == "__main__":
    main()
