"""The inventory's pure rules: one name space across sources, and KubeSphere's placement rule."""

from __future__ import annotations

from bridge.domain.clusters import ClusterRecord, ClusterRole, Placement, SourceKind, is_cluster_name, merge


def _rec(name: str, source: SourceKind, origin: str, **kw: object) -> ClusterRecord:
    return ClusterRecord(name=name, source=source, origin=origin, kubeconfig=f"kc-{origin}", **kw)  # type: ignore[arg-type]


def test_a_name_offered_by_two_sources_is_a_clash_without_any_kubeconfig() -> None:
    merged = merge(
        [
            _rec("rohan", SourceKind.KUBESPHERE, "Cluster rohan", devops=True),
            _rec("rohan", SourceKind.ARGOCD, "Secret argocd/rohan"),
            _rec("gondor", SourceKind.ARGOCD, "Secret argocd/gondor"),
        ]
    )
    assert sorted(merged) == ["gondor", "rohan"]
    clash = merged["rohan"]
    assert clash.kubeconfig == "" and clash.digest == ""
    assert clash.devops is False  # nothing of either side is trusted
    assert clash.problem is not None
    assert "kubesphere (Cluster rohan)" in clash.problem and "argocd (Secret argocd/rohan)" in clash.problem
    assert merged["gondor"].kubeconfig == "kc-Secret argocd/gondor"


def test_two_objects_of_one_source_with_one_name_also_clash() -> None:
    merged = merge(
        [_rec("x", SourceKind.ARGOCD, "Secret a/one"), _rec("x", SourceKind.ARGOCD, "Secret a/two")]
    )
    assert (
        merged["x"].problem
        and "Secret a/one" in merged["x"].problem
        and "Secret a/two" in merged["x"].problem
    )


def test_digest_follows_the_kubeconfig_and_repr_hides_it() -> None:
    a = _rec("a", SourceKind.STATIC, "one")
    b = ClusterRecord(name="a", source=SourceKind.STATIC, origin="one", kubeconfig="other")
    assert a.digest != b.digest and len(a.digest) == 64
    assert "kc-one" not in repr(a)


def test_placement_follows_kubesphere_rules() -> None:
    clusters = [
        _rec("rohan", SourceKind.KUBESPHERE, "r", labels={"region": "west"}),
        _rec("gondor", SourceKind.KUBESPHERE, "g", labels={"region": "south"}),
        _rec("shire", SourceKind.KUBESPHERE, "s", labels={"region": "west", "tier": "dev"}),
    ]
    # a cluster list wins and is taken as written (even names not in the inventory)
    listed = Placement("ws", clusters=("gondor", "mordor"), match_labels={"region": "west"})
    assert listed.resolve(clusters) == ("gondor", "mordor")
    assert Placement("ws", selector_all=True).resolve(clusters) == ("gondor", "rohan", "shire")
    assert Placement("ws", match_labels={"region": "west"}).resolve(clusters) == ("rohan", "shire")
    assert Placement("ws", match_labels={"region": "west", "tier": "dev"}).resolve(clusters) == ("shire",)
    assert Placement("ws").resolve(clusters) == ()


def test_cluster_names_are_dns_labels() -> None:
    assert is_cluster_name("rohan") and is_cluster_name("in-cluster")
    for bad in ("", "Rohan", "https://10.0.1.20:6443", "a" * 64, "-x", "x_y"):
        assert not is_cluster_name(bad)
    assert ClusterRole("host") is ClusterRole.HOST
