"""Cluster settings: sources, static entries with flags, and clear errors (a repeated name is a clash)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import ConfigurationError
from bridge.settings.clusters import StaticCluster, parse_static_clusters
from tests.fixtures.app import make_settings


def test_static_entries_parse_with_contexts() -> None:
    assert parse_static_clusters(" rohan=/k/rohan.yaml , gondor=/k/all.yaml#gondor-admin,") == [
        StaticCluster("rohan", Path("/k/rohan.yaml")),
        StaticCluster("gondor", Path("/k/all.yaml"), "gondor-admin"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rohan=/a,rohan=/b", "listed twice"),
        ("Rohan=/a", "DNS-1123"),
        ("rohan", "name=kubeconfig-file"),
        ("=/a", "name=kubeconfig-file"),
    ],
)
def test_bad_static_entries(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_static_clusters(text)


def test_every_cluster_setting_problem_is_reported_at_once(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "rohan.yaml"
    kubeconfig.write_text("{}")
    with pytest.raises(ConfigurationError) as caught:
        make_settings(
            tmp_path,
            BRIDGE_CLUSTERS_SOURCES="kubesphere,rancher,static",
            BRIDGE_CLUSTERS_STATIC=f"rohan={kubeconfig},gondor={tmp_path / 'missing.yaml'}",
            BRIDGE_CLUSTERS_STATIC_DEVOPS="rohan,shire",
            BRIDGE_CLUSTERS_STATIC_HOST="mordor",
            BRIDGE_CLUSTERS_PROBE_TIMEOUT="0",
        )
    detail = caught.value.detail
    for expected in (
        "unknown source(s) rancher",
        "no such file",
        "'shire', which is not a static cluster",
        "'mordor', which is not a static cluster",
        "BRIDGE_CLUSTERS_PROBE_TIMEOUT must be greater than 0",
    ):
        assert expected in detail
    with pytest.raises(ConfigurationError, match="listed twice"):
        make_settings(
            tmp_path,
            BRIDGE_CLUSTERS_SOURCES="static",
            BRIDGE_CLUSTERS_STATIC=f"a={kubeconfig},a={kubeconfig}",
        )


def test_defaults_mean_no_inventory(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert settings.clusters.source_names() == []
    from bridge.bootstrap import build_inventory
    from bridge.store import Store

    store = Store.from_settings(settings)
    try:
        assert build_inventory(settings, store) is None
    finally:
        store.close()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BRIDGE_CLUSTERS_KUBECONFIG_PREFIX": "Kube_"}, "CLUSTERS_KUBECONFIG_PREFIX"),
        ({"BRIDGE_CLUSTERS_KUBECONFIG_PREFIX": "k" * 33}, "CLUSTERS_KUBECONFIG_PREFIX"),
        ({"BRIDGE_CLUSTERS_KUBECONFIG_POLICY": "some"}, "KUBECONFIG_POLICY"),
    ],
)
def test_bad_kubeconfig_sync_settings(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_settings(tmp_path, **env)


def test_kubeconfig_sync_settings(tmp_path: Path) -> None:
    s = make_settings(
        tmp_path, BRIDGE_CLUSTERS_KUBECONFIG_PREFIX="kube-", BRIDGE_CLUSTERS_KUBECONFIG_POLICY="all"
    )
    assert (s.clusters.kubeconfig_prefix, s.clusters.kubeconfig_policy) == ("kube-", "all")
    assert make_settings(tmp_path).clusters.kubeconfig_policy == "devops"
