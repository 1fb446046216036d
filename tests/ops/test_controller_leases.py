"""Several worker processes share three Jenkins controllers through leases in one PostgreSQL: a lone
worker takes them all; workers that join get theirs handed over; every controller is reconciled by
exactly one worker (one holder in the store, each worker's lease gauge agreeing, and each folder and
job created exactly once at its sandbox, across hand-overs); ``kill -9`` of a worker moves its
controllers to the others within the lease time, and still nothing is written twice."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.fernet import Fernet

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.settings import Settings
from bridge.store.leases import LeaseBook
from tests.e2e.conftest import P, jenkins_env
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret
from tests.fixtures.workers import Workers
from tests.waiting import wait_until

TTL, RENEW = 4.0, 0.5
SCRIPT = "pipeline { agent any\n stages { stage('a') { steps { echo 'hi' } } } }"
#: controller → (the cluster it serves)
CLUSTERS = {"default": "c-a", "b": "c-b", "c": "c-c"}
#: a folder (``createItem`` at the root) or a job in a folder (``job/<p>/createItem``)
CREATES = r"^(job/[^/]+/)?createItem$"


@pytest.fixture
def sandboxes(sandbox_jenkins_factory: Any) -> dict[str, SandboxJenkins]:
    return {name: sandbox_jenkins_factory() for name in CLUSTERS}


@pytest.fixture
def environment(tmp_path: Path, postgres_url: str, sandboxes: dict[str, SandboxJenkins]) -> dict[str, str]:
    for s in sandboxes.values():
        register_secret(s.admin_token, s.admin_password)
    controllers = {
        name: {
            "url": s.url,
            "user": s.admin_user,
            "token": s.admin_token,
            "retries": 0,
            "timeout": 5,
            "clusters": [CLUSTERS[name]],
        }
        for name, s in sandboxes.items()
        if name != "default"
    }
    return {
        **jenkins_env(sandboxes["default"]),
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_DATABASE_URL": postgres_url,
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_CONTROLLERS": json.dumps(controllers),
        "BRIDGE_CLUSTERS_JENKINS": CLUSTERS["default"],
        "BRIDGE_RECONCILE_LEASES": "true",
        "BRIDGE_RECONCILE_LEASE_TTL": str(TTL),
        "BRIDGE_RECONCILE_LEASE_RENEW": str(RENEW),
        "BRIDGE_RECONCILE_POLL_INTERVAL": "0.2",
        "BRIDGE_RECONCILE_RESYNC_INTERVAL": "3600",
        "BRIDGE_LOG_REQUESTS": "false",
    }


@pytest.fixture
def settings(tmp_path: Path, environment: dict[str, str]) -> Settings:
    env = {k: v for k, v in environment.items() if k not in ("BRIDGE_DATA_DIR", "BRIDGE_SECRET_KEY")}
    return make_settings(tmp_path, **env, BRIDGE_SECRET_KEY=environment["BRIDGE_SECRET_KEY"])


def holders(settings: Settings, book: LeaseBook) -> dict[str, str | None]:
    return {c: book.holders().get(c) for c in settings.controllers()}


def pid_of(holder: str | None) -> int | None:
    return None if holder is None else int(holder.rsplit("-", 2)[1])


def declare(api: ApiClient, project: str, cluster: str) -> None:
    r = api.post(P, {"name": project, "workspace": "ws", "cluster": cluster})
    assert r.status_code == 201, r.json
    assert api.post(f"{P}/{project}/pipelines", {"name": "app", "jenkinsfile": SCRIPT}).status_code == 201


def folders(sandbox: SandboxJenkins) -> set[str]:
    with sandbox.state.lock:
        return set(sandbox.state.root.children)


def lease_metric(workers: Workers, name: str) -> dict[str, float]:
    text = requests.get(f"http://127.0.0.1:{workers.metrics_ports[name]}/metrics", timeout=5).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("bridge_controller_lease{"):
            controller = line.split('controller="', 1)[1].split('"', 1)[0]
            found[controller] = float(line.rsplit(" ", 1)[1])
    return found


@pytest.mark.parametrize("count", [2, 3])
def test_workers_share_the_controllers_and_take_over_a_killed_ones(
    count: int,
    settings: Settings,
    environment: dict[str, str],
    container: Any,
    api: ApiClient,
    workers: Workers,
    sandboxes: dict[str, SandboxJenkins],
) -> None:
    book = LeaseBook(container.store.engine)
    workers.env = environment
    names = [f"w{i}" for i in range(count)]
    workers.start(names[0])
    pids = {workers.pid(names[0]): names[0]}
    # alone, the first worker takes every controller and provisions every project
    wait_until(
        lambda: {pid_of(h) for h in holders(settings, book).values()} == set(pids),
        what="the first worker holding every controller",
        timeout=60,
    )
    assert (
        api.post("/api/v1/workspaces", {"name": "ws", "clusters": list(CLUSTERS.values())}).status_code == 201
    )
    for controller, cluster in CLUSTERS.items():
        for i in range(3):
            declare(api, f"{controller}-p{i}", cluster)

    def provisioned(expected: int, moved: dict[str, str] | None = None) -> bool:
        """``expected`` projects per controller, ``moved`` (project → controller) elsewhere."""
        moved = moved or {}
        for c, s in sandboxes.items():
            want = {f"{c}-p{i}" for i in range(expected)} - set(moved)
            want |= {p for p, to in moved.items() if to == c}
            if folders(s) != want or any(s.state.find_item(f"{p}/app") is None for p in want):
                return False
        return True

    wait_until(
        lambda: provisioned(3), what="every project's folder and job on its own controller", timeout=60
    )
    # exactly one folder and one job created per project, each on its own controller
    assert {c: s.faults.seen(CREATES) for c, s in sandboxes.items()} == {c: 6 for c in sandboxes}

    # the others join: controllers are handed over until each worker has its share
    for name in names[1:]:
        workers.start(name)
        pids[workers.pid(name)] = name

    def spread() -> Counter[str] | None:
        held = holders(settings, book)
        owners = [pids.get(pid_of(h) or -1) for h in held.values()]
        if None in owners or len(set(owners)) != min(count, len(CLUSTERS)):
            return None  # a controller nobody holds, or a worker holding none
        return Counter(o for o in owners if o is not None)

    share = wait_until(spread, what=f"{count} workers sharing 3 controllers", timeout=60)
    assert sorted(share.values(), reverse=True) == ([2, 1] if count == 2 else [1, 1, 1])
    held = holders(settings, book)
    for name in names:  # each worker's /metrics says which leases it holds
        mine = {c for c, h in held.items() if pids.get(pid_of(h) or -1) == name}
        metric = wait_until(lambda n=name: lease_metric(workers, n) or None, what="lease metrics")
        assert {c for c, v in metric.items() if v == 1} == mine, (name, metric, held)

    # a project moved to a cluster of controller b (another worker's, with three): created there by
    # b's holder, then its old folder deleted by c's holder once the new one is synced
    r = api.patch(f"{P}/c-p0", {"cluster": CLUSTERS["b"]})
    assert r.status_code == 200 and r.json["jenkins"] == "b", r.json
    moved = {"c-p0": "b"}
    wait_until(lambda: provisioned(3, moved), what="c-p0 moved from controller c to b", timeout=90)
    assert sandboxes["c"].faults.seen(r"^job/c-p0/doDelete$") == 1
    assert api.get(f"{P}/c-p0").json["sync"]["status"] == "synced"

    # kill -9 the worker holding the most controllers: the others take them over within the lease time
    victim = share.most_common(1)[0][0]
    orphaned = {c for c, h in held.items() if pids.get(pid_of(h) or -1) == victim}
    workers.kill(victim)
    survivors = {workers.pid(n) for n in names if n != victim}

    def taken_over() -> bool:
        now = holders(settings, book)
        return all(pid_of(now[c]) in survivors for c in now)

    wait_until(taken_over, what=f"{sorted(orphaned)} taken over", timeout=TTL + 4 * RENEW + 5)
    for controller, cluster in CLUSTERS.items():
        declare(api, f"{controller}-p3", cluster)
    wait_until(
        lambda: provisioned(4, moved), what="new projects on every controller after the takeover", timeout=60
    )
    # one folder and one job per project, the moved one's twice (on c, then on b): nothing written twice
    assert {c: s.faults.seen(CREATES) for c, s in sandboxes.items()} == {"default": 8, "b": 10, "c": 8}
    for name in names:
        if name != victim:
            assert "Traceback" not in workers.log(name), workers.log(name)


def test_readiness_lists_the_leases_held(app: Any, container: Any) -> None:
    """``serve --with-worker`` with leases: /readyz says which controllers this process's worker holds."""
    held = {"c", "b"}
    container.leases = lambda: held
    body = app.test_client().get("/readyz").json
    assert body["leases"] == ["b", "c"] and body["leader"] == "none"
    held.clear()
    assert app.test_client().get("/readyz").json["leases"] == []
