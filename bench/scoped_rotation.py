"""Scoped credential rotation: 500 projects x 3 clusters, one rotation interval, on real apiservers.

Three real kube-apiservers (``rohan``, ``gondor``, ``shire``: the test fixtures' control plane, RBAC on;
binaries from ``make k8s-bin``) and the sandbox Jenkins run in this process. One workspace uses the three
clusters; each project has a pipeline with one deploy target per cluster, so each project holds three scoped
credentials. The credential job (``ScopedCredentials``, the real adapter) first grants and mints them all
and a pass puts them into the folders. Then the job's clock walks one token lifetime in steps of ``--step``
seconds (the apiservers' tokens keep their real expiry: the clock the job decides with is the only one
moved) until every credential rotated once (0.6 of the lifetime: rotations fall in [0.4, 0.6] of it, the
next ones half a lifetime later); after each step the projects it queued get a pass, as the worker's next
poll does.

Printed: TokenRequests in the interval (should equal the number of credentials), Jenkins writes in it (the
same), the work time to rotate all (job runs that minted + their passes), the spread of the rotations over
the interval (first, last, p50 of the scheduled rotation times after issue, the most in one second,
rotations per step: max, p50, p99) and the time of a job
run that has nothing to do. Exit 1 when the counts differ.

    .venv/bin/python bench/scoped_rotation.py [--projects 500 --lifetime 3600 --step 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from cryptography.fernet import Fernet
from kubernetes import client as k8s

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.kube.deployers import KubeDeployers
from bridge.domain.clusters import ClusterRecord, SourceKind
from bridge.domain.kubeconfigs import KubeconfigPolicy
from bridge.domain.model import Pipeline, Project, Workspace
from bridge.domain.scoped import CredentialPolicy, Grant, Minted, Rotation
from bridge.domain.targets import DeployTarget
from bridge.identity.tenancy import DEFAULT_PREFIX, project_identity
from bridge.inventory.inventory import Inventory
from bridge.reconcile.kubeconfigs import KubeconfigSync
from bridge.reconcile.provision import Provisioner
from bridge.reconcile.render import marker_key
from bridge.reconcile.scoped import ScopedConfig, ScopedCredentials
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.server import UserSpec
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store.clusters import ClusterCatalog
from bridge.store.crypto import SecretBox
from bridge.store.desired import StoreDesiredState
from bridge.store.engine import make_engine
from bridge.store.kubeconfig_sync import KubeconfigSyncStore
from bridge.store.scoped import ScopedBook
from bridge.store.unit import Store
from tests.fixtures.kube_binaries import resolve
from tests.fixtures.kube_control_plane import ControlPlane

CLUSTERS = ("rohan", "gondor", "shire")
NAMESPACE = "bench-deploy"


class Counting:
    """The real adapter, counting TokenRequests."""

    def __init__(self, inner: KubeDeployers) -> None:
        self.inner, self.mints = inner, 0

    def ensure_account(self, cluster: str, kubeconfig: str, project: str) -> None:
        self.inner.ensure_account(cluster, kubeconfig, project)

    def remove_account(self, cluster: str, kubeconfig: str, project: str) -> None:
        self.inner.remove_account(cluster, kubeconfig, project)

    def bind(self, cluster: str, kubeconfig: str, project: str, grant: Grant) -> bool:
        return self.inner.bind(cluster, kubeconfig, project, grant)

    def unbind(self, cluster: str, kubeconfig: str, project: str, grant: Grant) -> None:
        self.inner.unbind(cluster, kubeconfig, project, grant)

    def mint(self, cluster: str, kubeconfig: str, project: str, **kw: Any) -> Minted:
        self.mints += 1
        return self.inner.mint(cluster, kubeconfig, project, **kw)


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--lifetime", type=int, default=3600)
    parser.add_argument("--step", type=float, default=10.0)
    args = parser.parse_args()
    names = [f"proj-{p:03d}" for p in range(args.projects)]
    plane = ControlPlane(resolve(), names=CLUSTERS).start()
    identities = [UserSpec(project_identity(DEFAULT_PREFIX, n)) for n in names]
    try:
        with tempfile.TemporaryDirectory() as tmp, SandboxJenkins(users=identities) as sandbox:
            for cluster in plane.clusters.values():
                with cluster.api_client() as api:
                    k8s.CoreV1Api(api).create_namespace(
                        k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=NAMESPACE))
                    )
            key = Fernet.generate_key().decode()
            store = Store(make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"), SecretBox(key))
            store.migrate()
            WorkspaceService(store).create(Workspace(name="ws", clusters=CLUSTERS))
            targets = tuple(DeployTarget(c, NAMESPACE) for c in CLUSTERS)
            for name in names:
                ProjectService(store).create(Project(name=name, workspace="ws"))
                PipelineService(store).create(
                    Pipeline(project=name, name="deploy", jenkinsfile="echo hi", targets=targets)
                )
            catalog = ClusterCatalog(store.engine, store.box)
            inventory = Inventory(catalog, sources=[SourceKind.STATIC])
            records = [
                (
                    c,
                    ClusterRecord(
                        name=c,
                        source=SourceKind.STATIC,
                        origin=f"file {c}",
                        kubeconfig=yaml.safe_dump(dict(plane.clusters[c].kubeconfig_dict)),
                        devops=True,
                    ),
                )
                for c in CLUSTERS
            ]
            inventory.replace(SourceKind.STATIC, records)
            offset = [0.0]

            def clock() -> datetime:
                return datetime.now(UTC) + timedelta(seconds=offset[0])

            config = ScopedConfig(
                default=CredentialPolicy.SCOPED,
                lifetime=args.lifetime,
                rotation=Rotation(fraction=0.5, jitter=0.1, min_validity=min(1200, args.lifetime * 0.3)),
                entitlement=KubeconfigPolicy.ALL,
            )
            deployers = Counting(KubeDeployers(namespace="jenkins-bridge-deployers", timeout=30))
            job = ScopedCredentials(
                book=ScopedBook(store), inventory=catalog, deployers=deployers, config=config, clock=clock
            )
            sync = KubeconfigSync(
                inventory=catalog, book=KubeconfigSyncStore(store), policy=KubeconfigPolicy.ALL, scoped=job
            )
            adapter = JenkinsAdapter.connect(sandbox.url, user=sandbox.admin_user, token=sandbox.admin_token)
            desired = StoreDesiredState(store)
            provisioner = Provisioner(desired=desired, jenkins=adapter, key=marker_key(key), kubeconfigs=sync)

            started = time.perf_counter()
            first = job.run()
            grant_seconds = time.perf_counter() - started
            desired.take_dirty(1_000_000)
            started = time.perf_counter()
            initial = provisioner.run()
            initial_seconds = time.perf_counter() - started
            credentials = len(CLUSTERS) * args.projects
            errors = len(first.errors) + len(initial.errors)
            print(f"initial: {first.minted} tokens, {first.granted} RoleBindings in {grant_seconds:.1f}s;")
            print(f"  first pass: {initial.writes} Jenkins writes in {initial_seconds:.1f}s; {errors} errors")
            scheduled = [
                (st.rotate_at - st.issued_at).total_seconds()
                for st in ScopedBook(store).states().values()
                if st.rotate_at is not None and st.issued_at is not None
            ]
            started = time.perf_counter()
            idle = job.run()
            idle_seconds = time.perf_counter() - started

            mints_before = deployers.mints
            per_step: list[int] = []
            work_seconds = 0.0
            writes = 0
            # every credential rotates once in [0.4, 0.6] of the lifetime after its issue, and again only
            # half a lifetime later: walking to 0.6 of it covers one rotation of each (the interval between a
            # credential's rotations is half the lifetime on average)
            steps = int(0.6 * args.lifetime / args.step)
            for i in range(1, steps + 1):
                offset[0] = i * args.step
                before = deployers.mints
                t0 = time.perf_counter()
                ran = job.run()
                queued = sorted({k.project for k in desired.take_dirty(1_000_000)})
                result = provisioner.run(queued) if queued else None
                spent = time.perf_counter() - t0
                minted = deployers.mints - before
                per_step.append(minted)
                if minted:
                    work_seconds += spent
                writes += result.writes if result else 0
                if ran.errors:
                    print("errors:", ran.errors[:3])
            rotations = deployers.mints - mints_before
            busy = [n for n in per_step if n]
            per_second = list(Counter(int(o) for o in scheduled).values())
            walked = steps * args.step
            print(
                f"one rotation of all ({credentials} credentials, lifetime {args.lifetime}s, "
                f"{walked:g}s walked):"
            )
            print(f"  TokenRequests {rotations}, Jenkins writes {writes}, work {work_seconds:.1f}s")
            print(
                f"  rotation time after issue: first {min(scheduled):.0f}s, last {max(scheduled):.0f}s, "
                f"p50 {statistics.median(scheduled):.0f}s; {len(busy)}/{steps} steps of {args.step:g}s rotate"
            )
            print(
                f"  per step: max {max(per_step)}, p50 {pct(busy, 0.5):.0f}, p99 {pct(busy, 0.99):.0f}; "
                f"scheduled per second: max {max(per_second)}, p50 {pct(per_second, 0.5):.0f}"
            )
            print(f"a job run with nothing due: {idle_seconds * 1000:.0f} ms ({idle.minted} minted)")
            store.close()
    finally:
        plane.stop()
    ok = first.minted == credentials and rotations == credentials and writes == credentials
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
