"""Side by side: cold provisioning of the same folders x parameterised pipelines by jenkins-job-builder
and by the bridge, each on its own fresh sandbox Jenkins, in one run.

* ``jjb``: ``jenkins-jobs update --workers 1`` of a generated YAML file (with more workers it races
  folder creation), timed from the command's start to its end;
* ``api``: ``jenkins-bridge serve --with-worker`` running (started, its worker process holding the
  scheduler lock, before the clock starts), then the workspace, projects and pipelines written through
  its API, one request each, timed until every job exists in Jenkins. The writer is a load generator,
  not part of either tool, so it is kept cheap: ``http.client`` on one kept-alive connection (about
  0.5 ms of CPU per call here). ``--client requests`` writes with a ``requests`` session instead, as
  earlier rounds did: about 1.5 ms per call, spent in this process, where the sandbox Jenkins serving
  the worker competes for the same interpreter lock. Each round prints the writer's CPU time;
* ``apply``: the same ``serve --with-worker`` running, then ``jenkins-bridge apply -f`` of the same
  content (another process, writing the same store), timed until every job exists in Jenkins.

Both tools start from compiled bytecode: pip compiled jenkins-job-builder's when it installed it, and
the bridge (an editable install, which pip does not compile) is compiled here before the first round,
as ``make`` does; without it, every ``jenkins-bridge`` start compiles the package from source when the
environment forbids caching bytecode (``PYTHONDONTWRITEBYTECODE``).

Each pipeline has the same inline Declarative Jenkinsfile and a string parameter ``TAG``. The bridge
validates every inline Jenkinsfile with Jenkins's linter and creates each project's build identity:
work JJB does not do, included in its times. Prints each time, the ratios bridge/JJB and the requests
each sandbox received, and fails (exit 1) unless both ratios are <= 0.5 (``--max-ratio``).

    .venv/bin/pip install -c constraints.txt -e '.[bench]'   # jenkins-job-builder
    .venv/bin/python bench/compare.py [--folders 20 --pipelines 10 --rounds 3 --clients 1]
"""

from __future__ import annotations

import argparse
import compileall
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import yaml
from cryptography.fernet import Fernet

import bridge
from bridge.sandbox.jenkins import SandboxJenkins

BIN = Path(sys.executable).parent
JENKINSFILE = (
    "pipeline {\n  agent any\n  stages { stage('build') { steps { echo \"build ${params.TAG}\" } } }\n}\n"
)


def folder(f: int) -> str:
    return f"proj-{f:02d}"


def all_jobs(folders: int, pipelines: int) -> list[str]:
    return [f"{folder(f)}/pipe-{p}" for f in range(folders) for p in range(pipelines)]


def until(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


def requests_seen(sandbox: SandboxJenkins) -> dict[str, int]:
    return dict(getattr(sandbox.faults, "requests", {}))  # counted by the sandbox since it started


def jobs_exist(sandbox: SandboxJenkins, jobs: list[str]) -> bool:
    with sandbox.state.lock:
        return all(sandbox.state.find_item(job) is not None for job in jobs)


# -- jenkins-job-builder ----------------------------------------------------------------------------


def jjb_yaml(folders: int, pipelines: int) -> str:
    escaped = JENKINSFILE.replace("{", "{{").replace("}", "}}")  # JJB formats every string field
    jobs: list[dict[str, object]] = []
    for f in range(folders):
        jobs.append({"job": {"name": folder(f), "project-type": "folder"}})
        for p in range(pipelines):
            jobs.append(
                {
                    "job": {
                        "name": f"{folder(f)}/pipe-{p}",
                        "project-type": "pipeline",
                        "parameters": [{"string": {"name": "TAG", "default": "latest"}}],
                        "dsl": escaped,
                        "sandbox": True,
                    }
                }
            )
    return yaml.safe_dump(jobs, sort_keys=False)


def run_jjb(tmp: Path, folders: int, pipelines: int) -> tuple[float, dict[str, int]]:
    with SandboxJenkins() as sandbox:
        (tmp / "jobs.yaml").write_text(jjb_yaml(folders, pipelines))
        (tmp / "jjb.ini").write_text(
            "[job_builder]\nignore_cache=True\n[jenkins]\n"
            f"url={sandbox.url}\nuser={sandbox.admin_user}\npassword={sandbox.admin_token}\n"
            "query_plugins_info=False\n"
        )
        command = [str(BIN / "jenkins-jobs"), "--conf", str(tmp / "jjb.ini"), "update", "--workers", "1"]
        env = {**os.environ, "HOME": str(tmp)}  # its cache stays in the temporary directory
        started = time.perf_counter()
        subprocess.run([*command, str(tmp / "jobs.yaml")], env=env, check=True, capture_output=True)
        elapsed = time.perf_counter() - started
        assert jobs_exist(sandbox, all_jobs(folders, pipelines)), "JJB did not create every job"
        return elapsed, requests_seen(sandbox)


# -- the bridge ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bridge:
    """``jenkins-bridge serve --with-worker`` on a fresh store, pointed at ``sandbox``."""

    def __init__(self, tmp: Path, sandbox: SandboxJenkins, extra_env: dict[str, str]) -> None:
        self.token = secrets.token_hex(24)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
            "BRIDGE_DATA_DIR": str(tmp),
            "BRIDGE_ADMIN_TOKEN": self.token,
            "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
            "BRIDGE_JENKINS_URL": sandbox.url,
            "BRIDGE_JENKINS_USER": sandbox.admin_user,
            "BRIDGE_JENKINS_TOKEN": sandbox.admin_token,
            "BRIDGE_LOG_LEVEL": "WARNING",
            **extra_env,
        }
        self.log = open(tmp / "serve.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(BIN / "jenkins-bridge"), "serve", "--with-worker", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        until(self._ready, timeout=60, what="the bridge to serve")

    def _ready(self) -> bool:
        """Serving, Jenkins reachable, and the worker holding the scheduler lock."""
        try:
            ready = requests.get(self.base + "/readyz", timeout=1).json()
        except (requests.RequestException, ValueError):
            return False
        return bool(ready.get("jenkins") == "ok" and ready.get("leader") == "leader")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def run_api(
    tmp: Path,
    folders: int,
    pipelines: int,
    extra_env: dict[str, str],
    clients: int = 1,
    client: str = "http",
) -> tuple[float, dict[str, int]]:
    with SandboxJenkins() as sandbox:
        bridge = Bridge(tmp, sandbox, extra_env)
        try:
            local = threading.local()
            client_cpu: list[float] = []
            post_with = {"http": _post_http, "requests": _post_requests}[client]

            def post(path: str, body: dict[str, object]) -> None:  # one connection per client thread
                status, text = post_with(local, bridge, path, body)
                if status != 201:
                    raise SystemExit(f"POST {path}: {status} {text}")

            jobs = all_jobs(folders, pipelines)
            before = requests_seen(sandbox)
            started = time.perf_counter()
            post("/api/v1/workspaces", {"name": "bench"})

            def declare_project(f: int) -> None:  # one client's writes: the project, then its pipelines
                cpu = time.thread_time()
                post("/api/v1/projects", {"name": folder(f), "workspace": "bench"})
                for p in range(pipelines):
                    body: dict[str, object] = {
                        "name": f"pipe-{p}",
                        "jenkinsfile": JENKINSFILE,
                        "parameters": [{"name": "TAG", "default": "latest"}],
                    }
                    post(f"/api/v1/projects/{folder(f)}/pipelines", body)
                client_cpu.append(time.thread_time() - cpu)

            with ThreadPoolExecutor(max_workers=clients) as pool:
                list(pool.map(declare_project, range(folders)))
            written = time.perf_counter() - started
            until(lambda: jobs_exist(sandbox, jobs), timeout=600, what="every job in Jenkins")
            elapsed = time.perf_counter() - started
        finally:
            bridge.stop()
        seen = {k: v - before.get(k, 0) for k, v in requests_seen(sandbox).items()}
        seen["writes done at (ms)"] = round(written * 1000)
        seen["client CPU (ms)"] = round(sum(client_cpu) * 1000)
        return elapsed, seen


def _post_http(local: threading.local, bridge: Bridge, path: str, body: dict[str, object]) -> tuple[int, str]:
    """``http.client`` on a kept-alive connection: ~0.5 ms of client CPU per call here."""
    if not hasattr(local, "http"):
        local.http = http.client.HTTPConnection("127.0.0.1", bridge.port, timeout=30)
    headers = {"Authorization": f"Bearer {bridge.token}", "Content-Type": "application/json"}
    local.http.request("POST", path, body=json.dumps(body).encode(), headers=headers)
    response = local.http.getresponse()
    return response.status, response.read().decode()


def _post_requests(
    local: threading.local, bridge: Bridge, path: str, body: dict[str, object]
) -> tuple[int, str]:
    """A ``requests`` session: ~1.5 ms of client CPU per call here, in the process of the sandbox."""
    if not hasattr(local, "session"):
        local.session = requests.Session()
        local.session.headers["Authorization"] = f"Bearer {bridge.token}"
    r = local.session.post(bridge.base + path, json=body, timeout=30)
    return r.status_code, r.text


def apply_yaml(folders: int, pipelines: int) -> str:
    projects = [
        {
            "name": folder(f),
            "workspace": "bench",
            "pipelines": [
                {
                    "name": f"pipe-{p}",
                    "jenkinsfile": JENKINSFILE,
                    "parameters": [{"name": "TAG", "default": "latest"}],
                }
                for p in range(pipelines)
            ],
        }
        for f in range(folders)
    ]
    return yaml.safe_dump({"workspaces": [{"name": "bench"}], "projects": projects}, sort_keys=False)


def run_apply(
    tmp: Path, folders: int, pipelines: int, extra_env: dict[str, str]
) -> tuple[float, dict[str, int]]:
    with SandboxJenkins() as sandbox:
        (tmp / "bench.yaml").write_text(apply_yaml(folders, pipelines))
        bridge = Bridge(tmp, sandbox, extra_env)
        try:
            jobs = all_jobs(folders, pipelines)
            before = requests_seen(sandbox)
            started = time.perf_counter()
            subprocess.run(
                [str(BIN / "jenkins-bridge"), "apply", "-f", str(tmp / "bench.yaml")],
                env=bridge.env,
                check=True,
                capture_output=True,
            )
            written = time.perf_counter() - started
            until(lambda: jobs_exist(sandbox, jobs), timeout=600, what="every job in Jenkins")
            elapsed = time.perf_counter() - started
        finally:
            bridge.stop()
        seen = {k: v - before.get(k, 0) for k, v in requests_seen(sandbox).items()}
        seen["apply done at (ms)"] = round(written * 1000)
        return elapsed, seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=20)
    parser.add_argument("--pipelines", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--max-ratio", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=None, help="BRIDGE_RECONCILE_CONCURRENCY")
    parser.add_argument(
        "--clients", type=int, default=1, help="API clients writing side by side (one project each at a time)"
    )
    parser.add_argument(
        "--client",
        choices=("http", "requests"),
        default="http",
        help="the API writers' HTTP library (requests: the heavier client of earlier rounds)",
    )
    args = parser.parse_args(argv)
    extra = {} if args.concurrency is None else {"BRIDGE_RECONCILE_CONCURRENCY": str(args.concurrency)}
    compileall.compile_dir(Path(bridge.__file__).parent, quiet=1)
    print(f"{args.folders} folders x {args.pipelines} parameterised pipelines, each tool on a fresh sandbox")
    ok = True
    for round_ in range(1, args.rounds + 1):
        times: dict[str, float] = {}
        for name, run in (
            ("jjb", lambda t: run_jjb(t, args.folders, args.pipelines)),
            ("api", lambda t: run_api(t, args.folders, args.pipelines, extra, args.clients, args.client)),
            ("apply", lambda t: run_apply(t, args.folders, args.pipelines, extra)),
        ):
            tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
            try:
                times[name], seen = run(tmp)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            print(f"round {round_} {name:<6} {times[name]:7.2f}s  requests at the sandbox {seen}")
        api, apply = times["api"] / times["jjb"], times["apply"] / times["jjb"]
        print(f"round {round_} ratio bridge/JJB: API {api:.2f}, apply -f {apply:.2f}")
        ok = ok and api <= args.max_ratio and apply <= args.max_ratio
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
