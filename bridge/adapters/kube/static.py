"""Static clusters from settings (``BRIDGE_CLUSTERS_STATIC``): kubeconfig files read again every
re-list interval, so a rotated file is picked up. The operator's files may reference other files
(certificates, token files), which are inlined; a file that cannot be used gives the cluster a
``problem`` instead of stopping the source."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from bridge.adapters.kube.kubeconfigs import UnusableKubeconfig, normalise
from bridge.domain.clusters import ClusterRecord, ClusterRole, SourceKind
from bridge.inventory.ports import ClusterSink, Loop
from bridge.settings.clusters import StaticCluster


def _names(text: str) -> set[str]:
    return {n.strip() for n in text.split(",") if n.strip()}


class StaticSource:
    kind = SourceKind.STATIC

    def __init__(
        self, entries: Iterable[StaticCluster], *, devops: str = "*", host: str = "", relist_interval: float
    ) -> None:
        self._entries = list(entries)
        flagged = _names(devops)
        self._devops = {e.name for e in self._entries} if "*" in flagged else flagged
        self._host, self._relist = host, relist_interval

    def records(self) -> list[ClusterRecord]:
        return [self._record(e) for e in self._entries]

    def _record(self, entry: StaticCluster) -> ClusterRecord:
        origin = f"file {entry.path}" + (f"#{entry.context}" if entry.context else "")
        kubeconfig, problem = "", None
        try:
            text = entry.path.read_text(encoding="utf-8")
            kubeconfig = normalise(entry.name, text, context=entry.context, files_from=entry.path.parent)
        except OSError as e:
            problem = f"cannot read {entry.path}: {e.strerror}"
        except UnusableKubeconfig as e:
            problem = str(e)
        return ClusterRecord(
            name=entry.name,
            source=SourceKind.STATIC,
            origin=origin,
            kubeconfig=kubeconfig,
            role=ClusterRole.HOST if entry.name == self._host else ClusterRole.MEMBER,
            devops=entry.name in self._devops,
            problem=problem,
        )

    def interrupt(self) -> None:
        """Nothing blocks: the loop waits on the stop event itself."""

    def workers(self, sink: ClusterSink) -> Sequence[Loop]:
        def run(stop: threading.Event) -> None:
            while not stop.is_set():
                sink.replace(SourceKind.STATIC, ((r.name, r) for r in self.records()))
                stop.wait(self._relist)

        return [run]
