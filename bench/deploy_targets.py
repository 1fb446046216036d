"""Deploy target preflight benchmark: how many clusters are asked, and how long a run takes.

20 clusters, 10 workspaces of 4 clusters each, 100 projects with 2 pipelines of 3 targets each (600
targets), in a SQLite store. The cluster side is an in-process namespace port that counts calls (what
a real cluster would be asked; the store and the bookkeeping are what is measured here), with one
cluster that does not answer.

Phases: the first run (every target requested), a run with nothing requested, one cluster changed in
the inventory (its targets requested through the change listener), the periodic full run. Prints the
targets checked, namespace calls and wall time per phase, and p50/p99 of a full run over repeats.
Fails (exit 1) unless the idle run asks nothing, the change asks exactly that cluster's targets, and
the silent cluster is asked once per run.

    .venv/bin/python bench/deploy_targets.py [--projects 100 --repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.fernet import Fernet

from bridge.domain.clusters import ChangeKind, ClusterChange, ClusterRecord, SourceKind
from bridge.domain.model import Pipeline, Project, Workspace
from bridge.domain.targets import DeployTarget, NamespaceAnswer, Observed
from bridge.reconcile.preflight import Preflight, PreflightResult
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store.clusters import ClusterCatalog
from bridge.store.crypto import SecretBox
from bridge.store.deploy_targets import DeployTargetBook
from bridge.store.engine import make_engine
from bridge.store.unit import Store

CLUSTERS, WORKSPACES, SILENT = 20, 10, "cluster-07"


class CountingNamespaces:
    """Every namespace exists but the odd ones; ``SILENT`` never answers."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.created: set[tuple[str, str]] = set()

    def observe(self, cluster: str, kubeconfig: str, namespace: str) -> NamespaceAnswer:
        self.calls[cluster] = self.calls.get(cluster, 0) + 1
        if cluster == SILENT:
            return NamespaceAnswer(Observed.UNREACHABLE, "ConnectTimeoutError: timed out")
        missing = namespace.endswith("-1") and (cluster, namespace) not in self.created
        return NamespaceAnswer(Observed.MISSING if missing else Observed.EXISTS)

    def create(
        self, cluster: str, kubeconfig: str, namespace: str, **_: Mapping[str, str]
    ) -> NamespaceAnswer:
        self.calls[cluster] = self.calls.get(cluster, 0) + 1
        self.created.add((cluster, namespace))
        return NamespaceAnswer(Observed.EXISTS)


def populate(store: Store, projects: int) -> dict[str, int]:
    """Returns the number of targets per cluster."""
    per_cluster: dict[str, int] = {}
    for w in range(WORKSPACES):
        clusters = tuple(f"cluster-{(2 * w + i) % CLUSTERS:02d}" for i in range(4))
        WorkspaceService(store).create(Workspace(name=f"ws-{w:02d}", clusters=clusters))
    pipelines = PipelineService(store)
    for p in range(projects):
        w = p % WORKSPACES
        ProjectService(store).create(Project(name=f"proj-{p:03d}", workspace=f"ws-{w:02d}"))
        for k in range(2):
            targets = tuple(
                DeployTarget(f"cluster-{(2 * w + i) % CLUSTERS:02d}", f"app-{k}-{i}", create_namespace=i == 1)
                for i in range(3)
            )
            for t in targets:
                per_cluster[t.cluster] = per_cluster.get(t.cluster, 0) + 1
            pipelines.create(
                Pipeline(project=f"proj-{p:03d}", name=f"deploy-{k}", jenkinsfile="echo", targets=targets)
            )
    return per_cluster


def phase(
    name: str, run: Callable[[], PreflightResult], port: CountingNamespaces
) -> tuple[PreflightResult, int, float]:
    before = sum(port.calls.values())
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    calls = sum(port.calls.values()) - before
    print(
        f"{name:<28} checked {result.checked:5d}  namespace calls {calls:5d}  "
        f"created {result.created:4d}  {elapsed * 1000:8.1f} ms"
    )
    return result, calls, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(
            make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}"), SecretBox(Fernet.generate_key().decode())
        )
        store.migrate()
        catalog = ClusterCatalog(store.engine, store.box)
        records = {
            f"cluster-{c:02d}": ClusterRecord(
                f"cluster-{c:02d}", SourceKind.STATIC, f"file {c}", kubeconfig=f"kubeconfig {c}", devops=True
            )
            for c in range(CLUSTERS)
        }
        catalog.sync(records, authoritative={SourceKind.STATIC})
        per_cluster = populate(store, args.projects)
        port = CountingNamespaces()
        preflight = Preflight(book=DeployTargetBook(store), inventory=catalog, namespaces=port)
        total = sum(per_cluster.values())
        print(f"{total} targets on {len(per_cluster)} clusters ({args.projects} projects)")

        first, _, _ = phase("first run (all requested)", preflight.run, port)
        idle, idle_calls, _ = phase("nothing requested", preflight.run, port)
        changed = "cluster-04"
        preflight.on_change(ClusterChange(changed, ChangeKind.CHANGED, kubeconfig_changed=True))
        after_change, _, _ = phase(f"{changed} changed", preflight.run, port)
        silent_before = port.calls.get(SILENT, 0)
        timings = [
            phase("periodic full run", lambda: preflight.run(every=True), port)[2]
            for _ in range(args.repeats)
        ]
        silent_asked = (port.calls.get(SILENT, 0) - silent_before) / args.repeats
        ms = sorted(t * 1000 for t in timings)
        p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
        print(
            f"full run p50 {statistics.median(ms):.1f} ms  p99 {p99:.1f} ms  "
            f"per target {statistics.median(ms) / total:.3f} ms"
        )
        print(f"first run statuses {dict(first.statuses)}; {SILENT} asked {silent_asked:.0f}x per full run")
        ok = (
            first.checked == total
            and idle.checked == 0
            and idle_calls == 0
            and after_change.checked == per_cluster[changed]
            and silent_asked == 1
        )
        print("OK" if ok else "FAILED: an idle run must ask nothing, a change exactly its cluster's targets")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
