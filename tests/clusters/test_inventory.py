"""The inventory between sources and the store: merged name space, change notices, restart safety."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bridge.domain.clusters import ChangeKind, ClusterChange, ClusterRecord, Placement, SourceKind
from bridge.inventory.inventory import Inventory
from bridge.store import Store
from bridge.store.clusters import ClusterCatalog
from bridge.store.crypto import SecretBox
from bridge.store.engine import make_engine


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[ClusterCatalog]:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'b.db'}"), SecretBox(Fernet.generate_key().decode()))
    store.migrate()
    yield ClusterCatalog(store.engine, store.box)
    store.close()


def _rec(name: str, source: SourceKind, kubeconfig: str = "kc", **kw: object) -> ClusterRecord:
    return ClusterRecord(
        name=name, source=source, origin=f"{source.value}/{name}", kubeconfig=kubeconfig, **kw
    )  # type: ignore[arg-type]


def test_listeners_hear_each_change_once_and_a_failing_listener_harms_nothing(
    catalog: ClusterCatalog,
) -> None:
    inventory = Inventory(catalog, sources=[SourceKind.KUBESPHERE, SourceKind.ARGOCD])
    heard: list[ClusterChange] = []

    def broken(change: ClusterChange) -> None:
        raise RuntimeError("listener bug")

    inventory.subscribe(broken)
    inventory.subscribe(heard.append)
    inventory.replace(SourceKind.KUBESPHERE, [("rohan", _rec("rohan", SourceKind.KUBESPHERE))])
    inventory.replace(SourceKind.ARGOCD, [])  # a source lists before it watches
    inventory.put(SourceKind.ARGOCD, "cluster-gondor", _rec("gondor", SourceKind.ARGOCD))
    inventory.put(SourceKind.ARGOCD, "cluster-gondor", _rec("gondor", SourceKind.ARGOCD))  # unchanged
    inventory.put(SourceKind.ARGOCD, "cluster-gondor", _rec("gondor", SourceKind.ARGOCD, "rotated"))
    inventory.put(SourceKind.ARGOCD, "cluster-gondor", None)
    assert [(c.name, c.kind, c.kubeconfig_changed) for c in heard] == [
        ("rohan", ChangeKind.JOINED, True),
        ("gondor", ChangeKind.JOINED, True),
        ("gondor", ChangeKind.CHANGED, True),
        ("gondor", ChangeKind.LEFT, True),
    ]


def test_a_clash_between_sources_is_logged_once_and_resolves(
    catalog: ClusterCatalog, caplog: pytest.LogCaptureFixture
) -> None:
    inventory = Inventory(catalog, sources=[SourceKind.KUBESPHERE, SourceKind.ARGOCD])
    inventory.replace(SourceKind.KUBESPHERE, [("rohan", _rec("rohan", SourceKind.KUBESPHERE, devops=True))])
    with caplog.at_level(logging.ERROR, logger="bridge.inventory.inventory"):
        inventory.replace(SourceKind.ARGOCD, [("cluster-rohan", _rec("rohan", SourceKind.ARGOCD))])
        inventory.replace(SourceKind.ARGOCD, [("cluster-rohan", _rec("rohan", SourceKind.ARGOCD))])
    assert len([r for r in caplog.records if "offered by" in r.getMessage()]) == 1
    state = catalog.state("rohan")
    assert state is not None and state.record.problem and catalog.kubeconfig("rohan") is None
    inventory.replace(SourceKind.ARGOCD, [])
    state = catalog.state("rohan")
    assert state is not None and state.record.problem is None and state.record.devops
    assert catalog.kubeconfig("rohan") == "kc"


def test_after_a_restart_rows_wait_for_their_source_and_unconfigured_sources_are_dropped(
    catalog: ClusterCatalog,
) -> None:
    first = Inventory(catalog, sources=[SourceKind.KUBESPHERE, SourceKind.STATIC])
    first.replace(SourceKind.KUBESPHERE, [("rohan", _rec("rohan", SourceKind.KUBESPHERE))])
    first.replace(SourceKind.STATIC, [("shire", _rec("shire", SourceKind.STATIC))])
    # restarted with KubeSphere and Argo CD (static removed from the settings); Argo CD answers first
    second = Inventory(catalog, sources=[SourceKind.KUBESPHERE, SourceKind.ARGOCD])
    second.replace(SourceKind.ARGOCD, [])
    assert [s.record.name for s in catalog.states()] == ["rohan"]  # KubeSphere has not listed yet
    second.replace(SourceKind.KUBESPHERE, [])
    assert catalog.states() == []


def test_placements_are_written_once_listed(catalog: ClusterCatalog) -> None:
    inventory = Inventory(catalog, sources=[SourceKind.KUBESPHERE], placements=True)
    inventory.put_placement("ws", Placement("ws", clusters=("rohan",)))
    assert catalog.placements() == {}  # not before the first full list
    inventory.replace_placements([Placement("other", selector_all=True)])
    inventory.put_placement("ws", Placement("ws", clusters=("rohan",)))
    assert set(catalog.placements()) == {"other", "ws"}
    inventory.put_placement("other", None)
    assert set(catalog.placements()) == {"ws"}


def test_the_catalog_is_the_inventory_view_consumers_read(catalog: ClusterCatalog) -> None:
    from bridge.inventory.ports import InventoryView

    view: InventoryView = catalog  # checked by mypy's structural typing; here: the calls work
    Inventory(catalog, sources=[SourceKind.STATIC]).replace(
        SourceKind.STATIC, [("a", _rec("a", SourceKind.STATIC))]
    )
    assert [s.record.name for s in view.states()] == ["a"] and view.kubeconfig("a") == "kc"
