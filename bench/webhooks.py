"""Push-webhook receiver benchmark: bursts of signed deliveries while Jenkins is down.

Starts the sandbox Jenkins (in this process), ``jenkins-bridge serve --with-worker`` and ``jenkins-bridge
receive`` (real processes on one SQLite store), declares one pipeline with a push trigger, takes Jenkins
down, then sends ``--deliveries`` GitHub push deliveries, each with its own delivery id and a valid
``X-Hub-Signature-256``, from ``--senders`` concurrent senders (persistent connections, closed loop): one
burst to ``receive`` (the receiver alone on an event loop: the process exposed to Git servers) and one to
``serve`` (the whole API, whose request threads also answer ``/webhooks/*``); ``--via`` picks one. Prints
the acknowledgement latency (p50/p90/p99/max), the CPU each process spent per delivery and the
deliveries lost (acknowledged but not stored) of each, then brings Jenkins back and counts the runs the
worker starts: exactly one per delivery is required. The p99 requirement (< 50 ms) is the receiver's;
exit status 1 when it or a count is missed.

    .venv/bin/python bench/webhooks.py [--deliveries 2000] [--senders 50] [--threads 8]
                                       [--via serve|receive|both]

Reading the numbers: the senders are a closed loop, so the mean latency is about senders / throughput
(Little's law), and the senders share the machine's cores with the bridge. ``receive`` reads requests on
one event loop and stores the rows of every delivery waiting at once in one transaction, from one writer
thread (``bridge/api/receiver_asgi.py``); ``serve`` answers the same deliveries from its pool of request
threads (``bridge/api/receiver.py``), where handing requests between threads that share one interpreter
lock costs more than the deliveries' own work. ``bench/webhook_ceiling.py`` measures an empty app on
``serve``'s HTTP server the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import Simulation

TOKEN = "bench-admin-token-0123456789"
SECRET = "bench-webhook-secret"
CLI = Path(sys.executable).with_name("jenkins-bridge")
SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "webhooks" / "samples" / "github-push.json"
P = "/api/v1/projects/demo"
#: The sample's head commit, replaced by one commit per delivery.
HEAD = "2c4c6cb67abab6e6cb46d0e94b6b646c8523ebf6"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until(what: str, check: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except requests.ConnectionError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def sender(port: int, sample: bytes, ids: list[str], latencies: list[float], codes: list[int]) -> None:
    """Each delivery its own push (its own commit), signed; bodies are made before the clock starts."""
    bodies = []
    for delivery in ids:
        sha = hashlib.sha1(delivery.encode()).hexdigest()
        bodies.append(sample.replace(HEAD.encode(), sha.encode()))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for delivery, body in zip(ids, bodies, strict=True):
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": signature,
        }
        start = time.perf_counter()
        conn.request("POST", "/webhooks/github", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        codes.append(response.status)
    conn.close()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def burst(
    via: str, port: int, payload: bytes, ids: list[str], args: argparse.Namespace, pids: dict[str, int]
) -> float:
    """Send the burst; print its numbers; return its p99 (ms)."""
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    own_before = time.process_time()
    shares = [ids[i :: args.senders] for i in range(args.senders)]
    latencies: list[float] = []
    codes: list[int] = []
    threads = [
        threading.Thread(target=sender, args=(port, payload, share, latencies, codes)) for share in shares
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    own = time.process_time() - own_before
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    acked = sum(1 for c in codes if c == 202)
    where = (
        f"jenkins-bridge serve (the whole API, {args.threads} threads)"
        if via == "serve"
        else "jenkins-bridge receive (the receiver alone, on an event loop)"
    )
    print(
        f"{where}: {len(codes)} deliveries from {args.senders} senders "
        f"in {wall:.1f}s ({len(codes) / wall:.0f}/s)"
    )
    required = "   (required: p99 < 50)" if via == "receive" else ""
    print(
        f"  ack latency ms: p50 {pct(latencies, 50):.1f}  p90 {pct(latencies, 90):.1f}  "
        f"p99 {pct(latencies, 99):.1f}  max {max(latencies) * 1e3:.1f}  "
        f"mean {statistics.fmean(latencies) * 1e3:.1f}{required}"
    )
    print(f"  answers: {acked} x 202, {len(codes) - acked} other {sorted(set(codes) - {202})}")
    used = "  ".join(f"{name} {seconds / len(codes) * 1e3:.2f}" for name, seconds in cpu.items())
    print(f"  CPU ms per delivery: {used}  senders {own / len(codes) * 1e3:.2f}")
    return pct(latencies, 99)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8, help="serve's request threads")
    parser.add_argument(
        "--via", choices=("serve", "receive", "both"), default="both", help="who takes the bursts"
    )
    args = parser.parse_args()
    sandbox = SandboxJenkins(admin_token="11aa22bb33cc44dd55ee66ff77889900", admin_password="admin-pw")
    sandbox.start()
    sandbox.services[SIMULATION] = Simulation(time_scale=0)
    tmp = tempfile.mkdtemp(prefix="bench-webhooks-")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        "BRIDGE_JENKINS_URL": sandbox.url,
        "BRIDGE_JENKINS_USER": sandbox.admin_user,
        "BRIDGE_JENKINS_TOKEN": sandbox.admin_token,
        "BRIDGE_JENKINS_RETRIES": "0",
        "BRIDGE_JENKINS_TIMEOUT": "5",
        "BRIDGE_DATA_DIR": tmp,
        "BRIDGE_ADMIN_TOKEN": TOKEN,
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_RECONCILE_POLL_INTERVAL": "0.2",
        "BRIDGE_WEBHOOKS_POLL_INTERVAL": "0.2",
        "BRIDGE_WEBHOOKS_RETRY_BASE": "0.5",
        "BRIDGE_WEBHOOKS_RETRY_MAX": "2",
        "BRIDGE_WEBHOOKS_RATE_LIMIT": "0",
        "BRIDGE_LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    cmd = [str(CLI), "serve", "--with-worker", "--port", str(port), "--threads", str(args.threads)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rport = free_port()
    rcmd = [str(CLI), "receive", "--port", str(rport)]
    receiver_process: subprocess.Popen[bytes] | None = None
    try:
        until("the bridge", lambda: requests.get(f"{base}/healthz", timeout=2).ok)
        pipeline = {
            "name": "app",
            "jenkinsfile": "pipeline { agent any\n stages { stage('a') { steps { echo 'hi' } } } }",
            "parameters": [{"name": "BRANCH_NAME", "default": "none"}],
            "webhook": {"repo_url": "https://github.com/acme/widget.git", "secret": SECRET},
        }
        for path, body in (
            ("/api/v1/workspaces", {"name": "ws"}),
            ("/api/v1/projects", {"name": "demo", "workspace": "ws"}),
            (f"{P}/pipelines", pipeline),
        ):
            r = requests.post(base + path, json=body, headers=auth, timeout=10)
            assert r.status_code == 201, r.text
        until(
            "the pipeline to sync",
            lambda: (
                requests.get(f"{base}{P}/pipelines/app", headers=auth, timeout=5).json()["sync"]["status"]
                == "synced"
            ),
        )
        sandbox.outage()
        receiver_process = subprocess.Popen(
            rcmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        payload = SAMPLE.read_bytes()
        receiver = f"http://127.0.0.1:{rport}"
        until("the receiver", lambda: requests.get(f"{receiver}/healthz", timeout=2).ok)
        targets = {"serve": port, "receive": rport}
        ids: list[str] = []
        lost = 0
        slow = False
        for via in ("receive", "serve") if args.via == "both" else (args.via,):
            batch = [str(uuid.uuid4()) for _ in range(args.deliveries)]
            ids += batch
            pids = {"serve": process.pid, "receive": receiver_process.pid}
            p99 = burst(via, targets[via], payload, batch, args, pids)
            slow = slow or (via == "receive" and p99 >= 50)
            stored = stored_deliveries(base, auth)
            missing = len(set(batch) - {d["delivery"] for d in stored})
            lost += missing
            print(f"  stored: {len(stored)} in all  lost: {missing}  (required: 0)")
        sandbox.recover()

        def all_started() -> list[dict[str, Any]] | None:
            rows = stored_deliveries(base, auth)
            return rows if all(d["status"] == "started" for d in rows) else None

        started = until("every delivery to start its run", all_started, timeout=600)
        info = requests.get(
            f"{sandbox.url}/job/demo/job/app/api/json",
            auth=(sandbox.admin_user, sandbox.admin_token),
            timeout=10,
        ).json()
        runs = int(info["nextBuildNumber"]) - 1
        print(f"after recovery: {len(started)} deliveries started, {runs} runs in Jenkins")
        print(f"required: {len(ids)} runs, one per delivery")
        if lost or runs != len(ids) or slow:
            sys.exit(1)
    finally:
        for running in (receiver_process, process):
            if running is not None:
                running.send_signal(signal.SIGTERM)
                running.wait(timeout=30)
        sandbox.stop()


def stored_deliveries(base: str, auth: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params = {"limit": "500", **({"continue": token} if token else {})}
        page = requests.get(f"{base}{P}/webhook-deliveries", headers=auth, params=params, timeout=30).json()
        out.extend(page["items"])
        token = page.get("continue")
        if not token:
            return out


if __name__ == "__main__":
    main()
