"""The inventory table: level-based sync with generations and change notices, kubeconfigs sealed at rest,
rows kept until their source has listed, reachability and placements."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bridge.domain.clusters import (
    ChangeKind,
    ClusterChange,
    ClusterRecord,
    Placement,
    Reachability,
    SourceKind,
)
from bridge.store import Store
from bridge.store.clusters import ClusterCatalog, cluster_inventory

KUBECONFIG = "apiVersion: v1\nusers: [{name: r, user: {token: secret-token-of-rohan-0123}}]\n"


def _rec(
    name: str, kubeconfig: str = KUBECONFIG, source: SourceKind = SourceKind.KUBESPHERE, **kw: object
) -> ClusterRecord:
    return ClusterRecord(name=name, source=source, origin=f"Cluster {name}", kubeconfig=kubeconfig, **kw)  # type: ignore[arg-type]


def test_sync_reports_joins_changes_and_leaves_and_writes_nothing_when_equal(store: Store) -> None:
    catalog = ClusterCatalog(store.engine, store.box)
    ks = {SourceKind.KUBESPHERE}
    assert catalog.sync({"rohan": _rec("rohan")}, authoritative=ks) == [
        ClusterChange("rohan", ChangeKind.JOINED, kubeconfig_changed=True)
    ]
    first = catalog.state("rohan")
    assert first is not None and first.generation == 1 and first.digest == _rec("rohan").digest
    assert catalog.sync({"rohan": _rec("rohan")}, authoritative=ks) == []  # a no-op writes nothing
    assert catalog.state("rohan") == first

    flipped = catalog.sync({"rohan": _rec("rohan", devops=True)}, authoritative=ks)
    assert flipped == [
        ClusterChange("rohan", ChangeKind.CHANGED, kubeconfig_changed=False, devops_changed=True)
    ]
    rotated = catalog.sync(
        {"rohan": _rec("rohan", KUBECONFIG + "# rotated\n", devops=True)}, authoritative=ks
    )
    assert rotated == [ClusterChange("rohan", ChangeKind.CHANGED, kubeconfig_changed=True)]
    after = catalog.state("rohan")
    assert after is not None and after.generation == 3 and after.digest != first.digest
    assert catalog.kubeconfig("rohan") == KUBECONFIG + "# rotated\n"

    assert catalog.sync({}, authoritative=ks) == [
        ClusterChange("rohan", ChangeKind.LEFT, kubeconfig_changed=True)
    ]
    assert catalog.states() == [] and catalog.kubeconfig("rohan") is None


def test_rows_stay_until_their_source_has_listed(store: Store) -> None:
    catalog = ClusterCatalog(store.engine, store.box)
    catalog.sync(
        {"rohan": _rec("rohan"), "shire": _rec("shire", source=SourceKind.ARGOCD)},
        authoritative=set(SourceKind),
    )
    # after a restart only Argo CD has listed (and holds nothing): KubeSphere's row stays
    catalog.sync({}, authoritative={SourceKind.ARGOCD})
    assert [s.record.name for s in catalog.states()] == ["rohan"]


def test_kubeconfigs_are_sealed_at_rest_and_never_in_states(store: Store) -> None:
    catalog = ClusterCatalog(store.engine, store.box)
    catalog.sync({"rohan": _rec("rohan")}, authoritative={SourceKind.KUBESPHERE})
    with store.engine.connect() as conn:
        raw = conn.execute(select(cluster_inventory)).one()
    assert b"secret-token-of-rohan" not in bytes(raw.kubeconfig_sealed)
    assert not any("secret-token-of-rohan" in str(value) for value in raw)
    assert "secret-token-of-rohan" not in repr(catalog.states())


def test_reachability_and_placements(store: Store) -> None:
    catalog = ClusterCatalog(store.engine, store.box)
    catalog.sync({"rohan": _rec("rohan")}, authoritative={SourceKind.KUBESPHERE})
    seen = Reachability(
        reachable=True, checked_at=datetime(2026, 1, 1, tzinfo=UTC), latency_ms=3.5, version="v1.37.2"
    )
    catalog.record_reachability("rohan", seen)
    state = catalog.state("rohan")
    assert state is not None and state.reachability == seen and state.generation == 1

    placements = {
        "ws-a": Placement("ws-a", clusters=("rohan", "gondor")),
        "ws-b": Placement("ws-b", match_labels={"region": "west"}),
        "ws-c": Placement("ws-c", selector_all=True),
    }
    catalog.sync_placements(placements)
    assert catalog.placements() == placements
    catalog.sync_placements({"ws-a": Placement("ws-a", clusters=())})
    assert catalog.placements() == {"ws-a": Placement("ws-a", clusters=())}
