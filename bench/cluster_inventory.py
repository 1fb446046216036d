"""Cost of keeping the cluster inventory in the store, at the scale the kubeconfig sync targets.

50 clusters from one source go through ``Inventory`` into ``ClusterCatalog`` (SQLite in a temporary
folder), then: the same list again (a re-list that changes nothing), one cluster's kubeconfig rotated
(one watch event), and one watch event per cluster (every cluster re-announced unchanged). Reports the
change notices each step produced (what a kubeconfig sync would act on) and its wall time; a no-op
must produce 0 notices, a rotation exactly 1.

Usage: ``python bench/cluster_inventory.py [--clusters 50]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from bridge.domain.clusters import ClusterChange, ClusterRecord, SourceKind
from bridge.inventory.inventory import Inventory
from bridge.store import Store
from bridge.store.clusters import ClusterCatalog
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine


def record(i: int, generation: int = 0) -> ClusterRecord:
    server = f"https://10.0.{i}.1:6443"
    kubeconfig = (
        f"apiVersion: v1\nclusters: [{{name: c{i}, cluster: {{server: '{server}'}}}}]\n# {generation}\n"
    )
    return ClusterRecord(
        name=f"cluster-{i:03d}",
        source=SourceKind.KUBESPHERE,
        origin=f"Cluster cluster-{i:03d}",
        kubeconfig=kubeconfig,
        devops=True,
    )


def step(name: str, heard: list[ClusterChange], action: Callable[[], None]) -> None:
    heard.clear()
    started = time.perf_counter()
    action()
    elapsed = (time.perf_counter() - started) * 1000
    print(f"{name:<42} {len(heard):>4} notices {elapsed:>9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=50)
    n = parser.parse_args().clusters
    with tempfile.TemporaryDirectory() as folder:
        store = Store(
            make_engine(f"sqlite:///{Path(folder) / 'bench.db'}"), SecretBox(Fernet.generate_key().decode())
        )
        store.migrate()
        inventory = Inventory(ClusterCatalog(store.engine, store.box), sources=[SourceKind.KUBESPHERE])
        heard: list[ClusterChange] = []
        inventory.subscribe(heard.append)
        every = [(record(i).name, record(i)) for i in range(n)]
        step(f"initial list of {n} clusters", heard, lambda: inventory.replace(SourceKind.KUBESPHERE, every))
        step("re-list, nothing changed", heard, lambda: inventory.replace(SourceKind.KUBESPHERE, every))
        rotated = record(7, generation=1)
        step(
            "one kubeconfig rotated (watch event)",
            heard,
            lambda: inventory.put(SourceKind.KUBESPHERE, rotated.name, rotated),
        )

        def replay() -> None:
            for key, r in every:
                inventory.put(SourceKind.KUBESPHERE, key, rotated if key == rotated.name else r)

        step(f"{n} watch events, nothing changed", heard, replay)
        store.close()


if __name__ == "__main__":
    main()
