"""The deploy target rules (``bridge.domain.targets``) and the preflight's decisions, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.domain.clusters import ClusterRecord, ClusterState, Placement, SourceKind
from bridge.domain.model import Workspace
from bridge.domain.targets import (
    DeployTarget,
    NamespaceAnswer,
    Observed,
    PreflightState,
    PreflightStatus,
    Step,
    after_creating,
    before_observing,
    decide,
    refused,
)
from bridge.reconcile.preflight import Preflight

DEV = DeployTarget("rohan", "kubesphere-sample-dev")
CREATE = DeployTarget("shire", "kubesphere-sample-prod", create_namespace=True)


def test_a_target_outside_the_workspace_is_not_allowed_before_anything_is_asked() -> None:
    status, message = before_observing(DEV, ["gondor", "shire"], usable=True) or (None, "")
    assert status is PreflightStatus.NOT_ALLOWED and "allowed: gondor, shire" in message
    status, message = before_observing(DEV, ["rohan"], usable=False) or (None, "")
    assert status is PreflightStatus.UNREACHABLE and "no usable kubeconfig" in message
    assert before_observing(DEV, ["rohan"], usable=True) is None
    assert refused([DEV, CREATE], ["rohan"]) == [
        (1, "cluster 'shire' is not one of the workspace's clusters (allowed: rohan)")
    ]
    assert "allowed: none" in refused([DEV], [])[0][1]


@pytest.mark.parametrize(
    ("target", "observed", "expected"),
    [
        (DEV, Observed.EXISTS, (Step.RECORD, PreflightStatus.OK)),
        (DEV, Observed.MISSING, (Step.RECORD, PreflightStatus.MISSING)),
        (CREATE, Observed.MISSING, (Step.CREATE, PreflightStatus.PENDING)),
        (
            CREATE,
            Observed.TERMINATING,
            (Step.RECORD, PreflightStatus.MISSING),
        ),  # never re-created while deleted
        (CREATE, Observed.FORBIDDEN, (Step.RECORD, PreflightStatus.FORBIDDEN)),
        (DEV, Observed.UNREACHABLE, (Step.RECORD, PreflightStatus.UNREACHABLE)),
    ],
)
def test_what_the_cluster_said_decides_the_next_step(
    target: DeployTarget, observed: Observed, expected: tuple[Step, PreflightStatus]
) -> None:
    step, status, _ = decide(target, NamespaceAnswer(observed, "HTTP 403 Forbidden"))
    assert (step, status) == expected


def test_after_creating() -> None:
    assert after_creating(NamespaceAnswer(Observed.EXISTS)) == (PreflightStatus.OK, None, True)
    status, error, made = after_creating(NamespaceAnswer(Observed.FORBIDDEN, "HTTP 403 Forbidden"))
    assert status is PreflightStatus.FORBIDDEN and "cannot create" in (error or "") and not made


class Book:
    def __init__(self, due: list[tuple[str, PreflightState]]) -> None:
        self._due, self.recorded, self.requested = due, list[tuple[PreflightState, bool]](), list[str]()

    def due(self, *, every: bool = False) -> list[tuple[str, PreflightState]]:
        return list(self._due)

    def workspaces(self) -> dict[str, Workspace]:
        return {"ws": Workspace("ws", clusters=("rohan",)), "placed": Workspace("placed")}

    def record(self, state: PreflightState, *, created: bool = False) -> None:
        self.recorded.append((state, created))

    def request(self, clusters: list[str]) -> int:
        self.requested.extend(clusters)
        return len(clusters)


class Catalog:
    def states(self) -> list[ClusterState]:
        records = [
            ClusterRecord(n, SourceKind.STATIC, n, kubeconfig=f"config-{n}") for n in ("rohan", "shire")
        ]
        return [
            ClusterState(record=r, digest=r.digest, generation=1, updated_at=datetime.now(UTC))
            for r in records
        ]

    def kubeconfig(self, name: str) -> str | None:
        return f"config-{name}"

    def placements(self) -> dict[str, Placement]:
        return {"placed": Placement("placed", clusters=("shire",))}


class Namespaces:
    def __init__(self) -> None:
        self.existing = {("rohan", "kubesphere-sample-dev")}
        self.calls: list[tuple[str, str, str]] = []

    def observe(self, cluster: str, kubeconfig: str, namespace: str) -> NamespaceAnswer:
        self.calls.append(("observe", cluster, kubeconfig))
        found = (cluster, namespace) in self.existing
        return NamespaceAnswer(Observed.EXISTS if found else Observed.MISSING)

    def create(self, cluster: str, kubeconfig: str, namespace: str, **_: object) -> NamespaceAnswer:
        self.calls.append(("create", cluster, kubeconfig))
        self.existing.add((cluster, namespace))
        return NamespaceAnswer(Observed.EXISTS)


def test_the_preflight_asks_each_cluster_with_its_own_kubeconfig_and_only_within_the_workspace() -> None:
    due = [
        ("ws", PreflightState("p", "deploy", DEV, revision=3)),
        ("ws", PreflightState("p", "deploy", CREATE, revision=1)),  # shire: not a cluster of ws
        ("placed", PreflightState("q", "deploy", CREATE, revision=1)),  # shire through the placement
        ("ws", PreflightState("p", "deploy", DeployTarget("rohan", "absent"))),
    ]
    book, namespaces = Book(due), Namespaces()
    result = Preflight(book=book, inventory=Catalog(), namespaces=namespaces).run()
    assert result.checked == 4 and result.created == 1
    assert dict(result.statuses) == {"ok": 2, "not_allowed": 1, "missing": 1}
    assert [(s.status, made, s.revision) for s, made in book.recorded] == [
        (PreflightStatus.OK, False, 3),
        (PreflightStatus.NOT_ALLOWED, False, 1),
        (PreflightStatus.OK, True, 1),
        (PreflightStatus.MISSING, False, 0),
    ]
    assert ("observe", "shire", "config-shire") in namespaces.calls
    assert ("create", "shire", "config-shire") in namespaces.calls
    assert all(cluster != "shire" or kc == "config-shire" for _, cluster, kc in namespaces.calls)


class Down(Namespaces):
    def observe(self, cluster: str, kubeconfig: str, namespace: str) -> NamespaceAnswer:
        if cluster != "shire":
            return super().observe(cluster, kubeconfig, namespace)
        self.calls.append(("observe", cluster, kubeconfig))
        return NamespaceAnswer(Observed.UNREACHABLE, "ConnectTimeoutError: timed out")


def test_a_cluster_that_does_not_answer_is_asked_once_per_run() -> None:
    due = [("placed", PreflightState("q", f"p{i}", CREATE)) for i in range(5)]
    due.append(("ws", PreflightState("p", "deploy", DEV)))
    book, namespaces = Book(due), Down()
    result = Preflight(book=book, inventory=Catalog(), namespaces=namespaces).run()
    assert dict(result.statuses) == {"unreachable": 5, "ok": 1} and result.created == 0
    assert [c[:2] for c in namespaces.calls] == [("observe", "shire"), ("observe", "rohan")]
    assert {s.error for s, _ in book.recorded[:5]} == {"ConnectTimeoutError: timed out"}
