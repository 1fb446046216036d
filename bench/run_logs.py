"""Run logs under load: memory while streaming a large log, and Jenkins requests with many readers.

The bridge runs as a real ``jenkins-bridge serve --with-worker`` process (the memory of serve, which
answers the log requests, is measured from ``/proc``; its worker is a child process of its own)
against the sandbox Jenkins in this process, whose WSGI app counts the log requests it gets.

1. **Large log**: a pipeline prints ~100 MB (``yes <100 chars> | head -n 1000000``). Ten readers fetch
   ``GET …/log`` at once, then ten follow ``…/log/stream`` (SSE) to the end. Reported: bytes received,
   the bridge's RSS before and its peak during each phase (sampled every 20 ms), the growth.
   **Required: growth under 50 MB** in both phases.
2. **Many readers**: 200 SSE readers follow one running build whose log grows for ~20 s. Reported: the
   Jenkins log requests per poll interval while they read, which must be **one** (at most one per
   interval), and the p50/p99 time to first event.
3. **Many pollers**: 200 clients poll ``…/log?start=<X-Text-Size>`` every 0.5 s on another such build:
   Jenkins log requests per interval (**one**), and the p50/p99 of a read.

    .venv/bin/python bench/run_logs.py [--lines 1000000] [--readers 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import ShellRule, Simulation

TOKEN = "bench-admin-token-0123456789abcdef"
CLI = Path(sys.executable).with_name("jenkins-bridge")
LINE = "0123456789" * 10
INTERVAL = 1.0


def counting(app: Any, counts: Counter[str]) -> Callable[..., Any]:
    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if "logText" in path:
            counts[path] += 1
        return app(environ, start_response)

    return wrapped


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class PeakRss:
    """Samples a process's RSS in a thread; ``peak`` is the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)


def serve(sandbox: SandboxJenkins, data: Path, port: int, max_streams: int) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        "BRIDGE_DATA_DIR": str(data),
        "BRIDGE_ADMIN_TOKEN": TOKEN,
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_JENKINS_URL": sandbox.url,
        "BRIDGE_JENKINS_USER": sandbox.admin_user,
        "BRIDGE_JENKINS_TOKEN": sandbox.admin_token,
        "BRIDGE_API_MAX_STREAMS": str(max_streams),
        "BRIDGE_API_LOG_POLL_INTERVAL": str(INTERVAL),
        "BRIDGE_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [str(CLI), "serve", "--port", str(port), "--with-worker", "--threads", "8"], env=env
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bridge:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {TOKEN}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise SystemExit("the bridge did not start")

    def pipeline(self, name: str, script: str) -> None:
        r = self.http.post(
            self.url + "/api/v1/projects/demo/pipelines", json={"name": name, "jenkinsfile": script}
        )
        assert r.status_code == 201, r.text
        deadline = time.monotonic() + 60
        while (
            self.http.get(self.url + f"/api/v1/projects/demo/pipelines/{name}").json()["sync"]["status"]
            != "synced"
        ):
            if time.monotonic() > deadline:
                raise SystemExit(f"pipeline {name} was not synced")
            time.sleep(0.1)

    def run(self, name: str) -> str:
        r = self.http.post(self.url + f"/api/v1/projects/demo/pipelines/{name}/runs", json={})
        assert r.status_code == 202, r.text
        return self.url + f"/api/v1/projects/demo/pipelines/{name}/runs/1"


def finished(sandbox: SandboxJenkins, job: str, *, started: bool = False) -> None:
    url = f"{sandbox.url}job/demo/job/{job}/1/api/json"
    auth = (sandbox.admin_user, sandbox.admin_token)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        r = requests.get(url, auth=auth, params={"tree": "result"})
        if r.status_code == 200 and (started or r.json().get("result")):
            return
        time.sleep(0.2)
    raise SystemExit(f"{job} did not finish")


def sse_texts(response: requests.Response) -> Iterator[tuple[str, bytes]]:
    kind = ""
    for line in response.iter_lines(chunk_size=64 * 1024):
        if line.startswith(b"event: "):
            kind = line[7:].decode()
        elif line.startswith(b"data: "):
            yield kind, line[6:]


def read_all(url: str, headers: dict[str, str], stream: bool) -> int:
    with requests.get(url, headers=headers, stream=True, timeout=600) as r:
        r.raise_for_status()
        if not stream:
            return sum(len(c) for c in r.iter_content(256 * 1024))
        total = 0
        for kind, data in sse_texts(r):
            total += len(data)
            if kind == "end":
                break
        return total


def phase(pid: int, label: str, readers: int, work: Callable[[], int]) -> bool:
    before = rss_kb(pid)
    results: list[int] = []
    with PeakRss(pid) as peak:
        threads = [threading.Thread(target=lambda: results.append(work())) for _ in range(readers)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    growth = (peak.peak - before) / 1024
    print(
        f"{label:<26} readers {readers:3d}  received {sum(results) / 2**20:8.1f} MiB in {elapsed:5.1f} s  "
        f"RSS before {before / 1024:6.1f} MiB  peak {peak.peak / 1024:6.1f} MiB  growth {growth:5.1f} MiB"
    )
    return growth < 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines of 101 bytes in the large log")
    parser.add_argument("--readers", type=int, default=200)
    args = parser.parse_args()
    ok = True
    counts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as tmp, SandboxJenkins() as sandbox:
        sandbox.services[SIMULATION] = Simulation(
            time_scale=1.0, sh_seconds=0.0, shell_rules=(ShellRule("seq", seconds=20.0),)
        )
        sandbox._server.app = counting(sandbox._server.app, counts)  # type: ignore[union-attr]
        port = free_port()
        process = serve(sandbox, Path(tmp), port, max_streams=args.readers + 16)
        try:
            bridge = Bridge(f"http://127.0.0.1:{port}")
            bridge.wait_ready()
            assert bridge.http.post(bridge.url + "/api/v1/workspaces", json={"name": "ws"}).status_code == 201
            r = bridge.http.post(bridge.url + "/api/v1/projects", json={"name": "demo", "workspace": "ws"})
            assert r.status_code == 201, r.text

            # 1. a large log, ten readers
            bridge.pipeline(
                "big",
                "pipeline { agent any\n stages { stage('x') { steps { "
                f"sh 'yes {LINE} | head -n {args.lines}' }} }} }} }}",
            )
            run = bridge.run("big")
            finished(sandbox, "big")
            size = int(bridge.http.get(run + "/log", stream=True).headers["X-Text-Size"])
            print(f"large log: {size / 2**20:.1f} MiB in Jenkins")
            ok &= phase(
                process.pid,
                "GET …/log (whole)",
                10,
                lambda: read_all(run + "/log", dict(bridge.http.headers), False),
            )
            ok &= phase(
                process.pid,
                "GET …/log/stream (SSE)",
                10,
                lambda: read_all(run + "/log/stream", dict(bridge.http.headers), True),
            )

            # 2. many readers of one running log
            bridge.pipeline(
                "grow", "pipeline { agent any\n stages { stage('x') { steps { sh 'seq 1 20000' } } } }"
            )
            counts.clear()
            run = bridge.run("grow")
            finished(sandbox, "grow", started=True)
            firsts: list[float] = []

            def follow() -> int:
                t0 = time.monotonic()
                with requests.get(
                    run + "/log/stream", headers=dict(bridge.http.headers), stream=True, timeout=120
                ) as r:
                    assert r.status_code == 200, r.text
                    n = 0
                    for kind, data in sse_texts(r):
                        if n == 0:
                            firsts.append(time.monotonic() - t0)
                        n += len(data)
                        if kind == "end":
                            return n
                return n

            start = time.monotonic()
            threads = [threading.Thread(target=follow) for _ in range(args.readers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - start
            polls = sum(n for path, n in counts.items() if "/grow/1/logText" in path)
            intervals = elapsed / INTERVAL
            q = statistics.quantiles(firsts, n=100) if len(firsts) >= 2 else [0.0] * 99
            print(
                f"{args.readers} SSE readers of a running log for {elapsed:.1f} s: Jenkins log requests "
                f"{polls} = {polls / intervals:.2f} per {INTERVAL:g} s interval; first event p50 "
                f"{q[49] * 1000:.0f} ms "
                f"p99 {q[98] * 1000:.0f} ms; readers done {len(firsts)}"
            )
            ok &= polls <= intervals + 1 and len(firsts) == args.readers

            # 3. many pollers of one running log (``?start=`` with the last X-Text-Size, every 0.5 s)
            bridge.pipeline(
                "poll", "pipeline { agent any\n stages { stage('x') { steps { sh 'seq 1 20000' } } } }"
            )
            counts.clear()
            run = bridge.run("poll")
            finished(sandbox, "poll", started=True)
            latencies: list[float] = []
            done: list[bool] = []

            def poll() -> None:
                offset, session = 0, requests.Session()
                session.headers.update(bridge.http.headers)
                while True:
                    t0 = time.monotonic()
                    r = session.get(run + "/log", params={"start": offset}, timeout=60)
                    latencies.append(time.monotonic() - t0)
                    offset = int(r.headers["X-Text-Size"])
                    if "X-More-Data" not in r.headers:
                        done.append(True)
                        return
                    time.sleep(0.5)

            start = time.monotonic()
            threads = [threading.Thread(target=poll) for _ in range(args.readers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - start
            polls = sum(n for path, n in counts.items() if "/poll/1/logText" in path)
            intervals = elapsed / INTERVAL
            q = statistics.quantiles(latencies, n=100)
            print(
                f"{args.readers} pollers of a running log for {elapsed:.1f} s ({len(latencies)} reads): "
                f"Jenkins log requests {polls} = {polls / intervals:.2f} per {INTERVAL:g} s interval; "
                f"read p50 {q[49] * 1000:.0f} ms p99 {q[98] * 1000:.0f} ms; pollers done {len(done)}"
            )
            ok &= polls <= intervals + 1 and len(done) == args.readers
        finally:
            process.terminate()
            process.wait(30)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
