"""Approvals: what an approval costs Jenkins, what the worker's approval job costs per paused run, and
how fast the inbox answers a user with many projects.

The sandbox Jenkins and the bridge (the real app factory and composition root, the Flask test client)
run in this process. ``--projects`` projects each get one pipeline whose run waits on an ``input``.
Printed: the requests the sandbox received (counted there) for one approval refused by the rules, one
partial approval (two required), one approval that proceeds, and one run of the approval job over every
paused run (first and second pass, the latter with nothing new); then the inbox of an operator of every
project, ``--reads`` times: p50/p99 latency and items per page.

Usage: ``python bench/approvals.py [--projects 20] [--reads 200] [--attribution parameter]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

ADMIN = "bench-admin-token-0123456789"
JENKINS_TOKEN = "11aa22bb33cc44dd55ee66ff77889900"
GATE = "pipeline { agent any\n stages { stage('gate') { steps { input(id: 'ship', message: 'Ship?') } } } }"


def _stack(args: argparse.Namespace, data_dir: Path) -> tuple[Any, Any, Any, dict[str, dict[str, str]]]:
    from bridge.app import create_app
    from bridge.bootstrap import build_approval_jobs, build_container, build_run_follower, build_worker
    from bridge.identity.token_store import TokenStore
    from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
    from bridge.sandbox.jenkins.buildstate import SIMULATION
    from bridge.sandbox.jenkins.pipeline import Simulation
    from bridge.settings import Settings

    users = ("alice", "bob", "carol")
    sandbox = SandboxJenkins(
        admin_token=JENKINS_TOKEN,
        admin_password="bench-password",
        users=[UserSpec(u, password=f"{u}-pw-1") for u in users],
        system_properties={"jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens": "true"},
    )
    sandbox.start()
    sandbox.services[SIMULATION] = Simulation(time_scale=0)
    settings = Settings.load(
        {
            "BRIDGE_DATA_DIR": str(data_dir),
            "BRIDGE_ADMIN_TOKEN": ADMIN,
            "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
            "BRIDGE_JENKINS_URL": sandbox.url,
            "BRIDGE_JENKINS_USER": sandbox.admin_user,
            "BRIDGE_JENKINS_TOKEN": JENKINS_TOKEN,
            "BRIDGE_JENKINS_ATTRIBUTION": args.attribution,
            "BRIDGE_RECONCILE_RUN_CACHE_TTL": "0.05",
            "BRIDGE_LOG_LEVEL": "WARNING",
        }
    )
    container = build_container(settings)
    client = create_app(container=container).test_client()
    admin = {"Authorization": f"Bearer {ADMIN}"}
    tokens = TokenStore(container.store.engine)
    auth = {
        u: {"Authorization": f"Bearer {tokens.create(user=u, groups=(), created_by='bench').token}"}
        for u in users
    }
    assert client.post("/api/v1/workspaces", json={"name": "ws"}, headers=admin).status_code == 201
    for i in range(args.projects):
        project = f"p{i:03d}"
        assert (
            client.post(
                "/api/v1/projects", json={"name": project, "workspace": "ws"}, headers=admin
            ).status_code
            == 201
        )
        for user in users:
            body = {"subject": user, "role": "operator"}
            assert (
                client.post(f"/api/v1/projects/{project}/members", json=body, headers=admin).status_code
                == 200
            )
        body = {"name": "gate", "jenkinsfile": GATE, "approvals": {"required": 2 if i == 0 else 1}}
        assert (
            client.post(f"/api/v1/projects/{project}/pipelines", json=body, headers=admin).status_code == 201
        )
    build_worker(settings, desired=container.desired, jenkins=container.jenkins).poll()
    for i in range(args.projects):
        r = client.post(f"/api/v1/projects/p{i:03d}/pipelines/gate/runs", json={}, headers=auth["alice"])
        assert r.status_code == 202, r.json
    follower = build_run_follower(settings, container.store, container.run_service)
    deadline = time.time() + 60
    while time.time() < deadline:
        follower.follow()
        with container.store.read() as tx:
            if len(tx.runs.paused()) == args.projects:
                break
        time.sleep(0.05)
    else:
        raise SystemExit("the runs did not all reach their input")
    jobs = build_approval_jobs(container.approvals)
    return sandbox, container, (client, jobs), auth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--attribution", choices=("parameter", "user-token"), default="parameter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox, container, (client, jobs), auth = _stack(args, Path(tmp))
        try:
            seen = sandbox.faults.seen
            counts: dict[str, int] = {}
            before = seen()
            jobs.run()
            counts["approval job, first pass (records every input)"] = seen() - before
            before = seen()
            jobs.run()
            counts["approval job, next pass (nothing new)"] = seen() - before

            def approve(project: str, who: str) -> int:
                path = f"/api/v1/projects/{project}/pipelines/gate/runs/1/inputs/Ship/approve"
                return client.post(path, headers=auth[who]).status_code

            with container.store.write() as tx:  # a refusal: mark bob as having approved p001 already
                row = tx.approvals.get("p001", "gate", 1, "Ship")
                tx.approvals.vote(row.id, "bob", None)
            for label, project, who, expected in (
                ("approval refused by the rules", "p001", "bob", 403),
                ("partial approval (1 of 2)", "p000", "bob", 202),
                ("approval that proceeds (2 of 2)", "p000", "carol", 200),
                ("approval that proceeds (1 of 1)", "p002", "carol", 200),
            ):
                before = seen()
                assert approve(project, who) == expected, label
                counts[label] = seen() - before
            latencies = []
            for _ in range(args.reads):
                started = time.perf_counter()
                r = client.get("/api/v1/approvals", headers=auth["bob"])
                latencies.append(time.perf_counter() - started)
                assert r.status_code == 200
            items = len(r.json["items"])
        finally:
            container.close()
            sandbox.stop()
    print(f"attribution: {args.attribution}; projects with a paused run: {args.projects}")
    for label, n in counts.items():
        print(f"  Jenkins requests, {label}: {n}")
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000
    print(f"  inbox of an operator of every project: {items} items, p50 {p50:.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    main()
