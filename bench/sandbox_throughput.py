"""Throughput of the sandbox Jenkins, so later benchmarks know it is not their bottleneck.

Runs the sandbox in its own process (``jenkins-bridge sandbox jenkins``) and drives it from client
processes (threads inside each, one keep-alive connection per client), with API-token Basic auth
as the bridge sends it:

1. simple GETs: ``GET /job/<job>/api/json?tree=name,color`` from 50 concurrent clients;
2. ``tree=`` queries over 500 jobs (10 folders x 50 pipeline jobs): the python-jenkins
   ``get_all_jobs`` query ``jobs[url,color,name,jobs[url,color,name]]`` from 10 concurrent clients.

Usage: ``python bench/sandbox_throughput.py [--seconds 5] [--clients 50]``. Prints requests/s,
p50/p95/p99 latency, and the error count (any non-200 answer).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing as mp
import re
import statistics
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

TOKEN = "bench-token-0123456789abcdef"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"admin:{TOKEN}".encode()).decode()}
ALL_JOBS_TREE = "jobs[url,color,name,jobs[url,color,name]]"


def start_server() -> tuple[subprocess.Popen[str], str]:
    cli = Path(sys.executable).with_name("jenkins-bridge")
    proc = subprocess.Popen(
        [str(cli), "sandbox", "jenkins", "--port", "0", "--token", TOKEN, "--password", "bench-password"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"sandbox did not start: {line!r}")
    return proc, match.group(1)


def request(
    base: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> int:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.request(method, parts.path + path, body=body, headers={**AUTH, **(headers or {})})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def populate(base: str, folders: int = 10, jobs_per_folder: int = 50) -> None:
    root = ET.Element("flow-definition")
    definition = ET.SubElement(
        root, "definition", {"class": "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"}
    )
    ET.SubElement(definition, "script").text = "echo 'hi'"
    job_xml = ET.tostring(root)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for f in range(folders):
        body = b"mode=com.cloudbees.hudson.plugins.folder.Folder"
        assert request(base, "POST", f"createItem?name=folder{f}", body, form) == 302
        for n in range(jobs_per_folder):
            status = request(
                base,
                "POST",
                f"job/folder{f}/createItem?name=job{n}",
                job_xml,
                {"Content-Type": "application/xml"},
            )
            assert status == 200, status


def client_worker(base: str, path: str, threads: int, seconds: float, out: mp.Queue) -> None:  # type: ignore[type-arg]
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    parts = urlsplit(base)

    def loop() -> None:
        local: list[float] = []
        bad = 0
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        while time.monotonic() < deadline:
            t0 = time.monotonic()
            try:  # one persistent connection per client, as requests.Session keeps one
                conn.request("GET", parts.path + path, headers=AUTH)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                conn.close()
                ok = False
            local.append(time.monotonic() - t0)
            bad += 0 if ok else 1
        conn.close()
        with lock:
            latencies.extend(local)
            errors[0] += bad

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((latencies, errors[0]))


def measure(base: str, path: str, *, clients: int, seconds: float, processes: int = 2) -> dict[str, float]:
    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    per_proc = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    procs = [mp.Process(target=client_worker, args=(base, path, n, seconds, out)) for n in per_proc]
    start = time.monotonic()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - start
    latencies = sorted(lat for lats, _ in results for lat in lats)
    return {
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "mean_ms": statistics.fmean(latencies) * 1000,
        "p50_ms": latencies[int(len(latencies) * 0.50)] * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": sum(e for _, e in results),
    }


def report(name: str, r: dict[str, float]) -> None:
    print(
        f"{name:<34} {r['per_second']:6.0f} req/s  p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms"
        f"  p99 {r['p99_ms']:6.1f} ms  ({int(r['requests'])} requests, {int(r['errors'])} errors)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    proc, base = start_server()
    try:
        populate(base)
        report(
            f"simple GET, {args.clients} clients",
            measure(
                base,
                "job/folder0/job/job0/api/json?tree=name,color",
                clients=args.clients,
                seconds=args.seconds,
            ),
        )
        report(
            "tree= over 500 jobs, 10 clients",
            measure(base, f"api/json?tree={ALL_JOBS_TREE}", clients=10, seconds=args.seconds),
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
