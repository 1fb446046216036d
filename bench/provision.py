"""Provisioning benchmark: 50 projects x 10 pipelines x 5 credentials into the sandbox Jenkins.

Phases: cold pass (everything created), no-op pass, one pipeline changed. Prints wall time, Jenkins
requests by method per phase and writes per change, and fails (exit 1) unless the no-op pass makes
0 writes and at most 2 requests per project, and the one change makes exactly 1 write.

Then the side-by-side against jenkins-job-builder (``bench/compare.py``, ``--compare-rounds`` rounds,
1 by default, 0 to skip; it needs the ``bench`` extra), which must print bridge/JJB <= 0.5 for the API
path and for ``apply -f`` in every round: one run prints every figure the provisioning goals name.

Each project's Jenkins build identity exists beforehand (an operator-provided realm): the cold pass
reads each once (``GET user/<id>/api/json``), later passes read none. Where the bridge creates them,
the cold pass adds one ``POST securityRealm/createAccountByAdmin`` per project.

The desired state lives in the real store (SQLite in a temporary directory), written through the
service layer; Jenkins is reached through the real adapter over HTTP.

    .venv/bin/python bench/provision.py [--projects 50 --pipelines 10 --credentials 5]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.identities import JenkinsProjectIdentities
from bridge.domain.model import (
    Credential,
    CredentialType,
    Parameter,
    Pipeline,
    Project,
    SecretData,
    Workspace,
)
from bridge.identity.tenancy import DEFAULT_PREFIX, project_identity
from bridge.reconcile.provision import PassResult, Provisioner
from bridge.reconcile.render import marker_key
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.server import UserSpec
from bridge.services.credentials import CredentialService
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store.desired import StoreDesiredState
from bridge.store.unit import Store

JENKINSFILE = (
    "pipeline {\n  agent any\n  stages { stage('build') { steps { echo \"build ${params.TAG}\" } } }\n}\n"
)


def project_name(p: int) -> str:
    return f"proj-{p:03d}"


def populate(store: Store, *, projects: int, pipelines: int, credentials: int) -> None:
    WorkspaceService(store).create(Workspace(name="bench"))
    for p in range(projects):
        name = project_name(p)
        ProjectService(store).create(Project(name=name, workspace="bench", description=f"bench project {p}"))
        for c in range(credentials):
            CredentialService(store).create(
                Credential(
                    project=name,
                    id=f"cred-{c}",
                    type=CredentialType.BASIC_AUTH,
                    data=SecretData(username=f"user{c}", password=f"pw-{p}-{c}"),
                )
            )
        for j in range(pipelines):
            PipelineService(store).create(
                Pipeline(
                    project=name,
                    name=f"pipe-{j}",
                    jenkinsfile=JENKINSFILE,
                    parameters=(Parameter(name="TAG", default="latest"),),
                )
            )


def phase(name: str, provisioner: Provisioner, adapter: JenkinsAdapter, **kwargs: object) -> PassResult:
    before = adapter.counter.snapshot()
    started = time.perf_counter()
    result = provisioner.run(**kwargs)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    after = adapter.counter.snapshot()
    delta = {
        m: after.get(m, 0) - before.get(m, 0) for m in sorted(after) if after.get(m, 0) != before.get(m, 0)
    }
    print(
        f"{name:<12} {elapsed:8.2f}s  requests {sum(delta.values()):6d} {delta}  "
        f"writes {result.writes}  errors {len(result.errors)}"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--pipelines", type=int, default=10)
    parser.add_argument("--credentials", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=4, help="projects reconciled at the same time")
    parser.add_argument(
        "--compare-rounds", type=int, default=1, help="rounds of bench/compare.py afterwards (0: none)"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the sandbox adds to each request (a real Jenkins' time)",
    )
    args = parser.parse_args()
    identities = [UserSpec(project_identity(DEFAULT_PREFIX, project_name(p))) for p in range(args.projects)]
    with tempfile.TemporaryDirectory() as tmp, SandboxJenkins(users=identities) as sandbox:
        from bridge.store.crypto import SecretBox
        from bridge.store.engine import make_engine

        key = Fernet.generate_key().decode()
        store = Store(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"), SecretBox(key))
        store.migrate()
        started = time.perf_counter()
        populate(store, projects=args.projects, pipelines=args.pipelines, credentials=args.credentials)
        print(f"store populated in {time.perf_counter() - started:.2f}s")
        adapter = JenkinsAdapter.connect(sandbox.url, user=sandbox.admin_user, token=sandbox.admin_token)
        desired = StoreDesiredState(store)
        provisioner = Provisioner(
            desired=desired,
            jenkins=adapter,
            key=marker_key(key),
            identities=JenkinsProjectIdentities(adapter),
            concurrency=args.concurrency,
        )
        sandbox.faults.latency = args.latency
        print(f"concurrency {args.concurrency}, Jenkins latency {args.latency * 1000:.0f} ms per request")
        cold = phase("cold", provisioner, adapter)
        noop_before = adapter.counter.total
        noop = phase("no-op", provisioner, adapter)
        noop_requests = adapter.counter.total - noop_before
        PipelineService(store).update("proj-007", "pipe-3", cron="H 3 * * *")
        desired.take_dirty(10_000)
        change = phase("one change", provisioner, adapter, projects=["proj-007"])
        full = phase("full resync", provisioner, adapter)
        store.close()
    per_project = noop_requests / args.projects
    print(
        f"no-op pass: {noop.writes} writes, {per_project:.2f} requests per project; "
        f"one change: {change.writes} writes"
    )
    # The sandbox runs in this process too, so this bounds the bridge's own peak from above.
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (bridge and sandbox in one process): {peak_mib:.0f} MiB")
    ok = not cold.errors and noop.writes == 0 and per_project <= 2 and change.writes == 1 and full.writes == 0
    print("PASS" if ok else "FAIL")
    if args.compare_rounds > 0:
        import compare  # bench/compare.py, beside this file

        print()
        ok = compare.main(["--rounds", str(args.compare_rounds)]) == 0 and ok
        print(
            f"no-op pass: {noop.writes} writes, {per_project:.2f} requests per project; "
            f"one change: {change.writes} writes; overall {'PASS' if ok else 'FAIL'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
