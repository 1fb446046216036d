"""Kubeconfig sync into every entitled project's folder, through the API, the real worker and the
sandbox Jenkins, with the inventory fed directly: placement, rotation by change notice, removals,
tenancy, user credentials that win, and the sync state in the API."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET

import pytest
from flask import Flask

from bridge.adapters.jenkins.configxml import KubeconfigMode
from bridge.adapters.jenkins.configxml.credential import build_credential
from bridge.bootstrap import build_worker
from bridge.domain.clusters import ClusterRecord, SourceKind
from bridge.domain.model import Credential, CredentialType, SecretData
from bridge.identity.token_store import TokenStore
from tests.clusters.kubesync_support import C, KubeSync, P, W, env, kubeconfig, kubesync, settings
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

__all__ = ["env", "kubesync", "settings"]  # fixtures, used by name


def declare(sync: KubeSync) -> dict[str, str]:
    """Workspace ``middle-earth`` (rohan, gondor, shire) with projects a1 and a2; ``mordor`` (orodruin)
    with b1. Returns each cluster's kubeconfig."""
    api = sync.api
    assert api.post(W, {"name": "middle-earth", "clusters": ["rohan", "gondor", "shire"]}).status_code == 201
    assert api.post(W, {"name": "mordor", "clusters": ["orodruin"]}).status_code == 201
    for project, workspace in (("a1", "middle-earth"), ("a2", "middle-earth"), ("b1", "mordor")):
        assert api.post(P, {"name": project, "workspace": workspace}).status_code == 201
    return {name: sync.put(name) for name in ("rohan", "gondor", "shire", "orodruin")}


def test_each_entitled_folder_holds_its_clusters_kubeconfigs_and_nothing_else(kubesync: KubeSync) -> None:
    configs = declare(kubesync)
    result, writes = kubesync.counted(kubesync.worker.resync)
    assert result is not None and not result.errors, result.errors
    for project in ("a1", "a2"):
        for cluster in ("rohan", "gondor", "shire"):
            assert kubesync.kubeconfig_in(project, cluster) == configs[cluster]
        assert "orodruin" not in kubesync.ids(project)
    # tenancy: a project of another workspace never receives these clusters' kubeconfigs
    assert kubesync.ids("b1") == {"orodruin"}
    assert kubesync.kubeconfig_in("b1", "orodruin") == configs["orodruin"]
    # 3 folders + 7 kubeconfig credentials (+ the build identities the worker creates)
    assert writes >= 10

    listed = kubesync.clusters_of("a1")
    assert set(listed) == {"rohan", "gondor", "shire"}
    for cluster, item in listed.items():
        generation = kubesync.container.clusters.catalog.state(cluster).generation  # type: ignore[union-attr]
        assert item["credential_id"] == cluster and item["status"] == "synced"
        assert item["synced_generation"] == generation == item["generation"]
    body = json.dumps(kubesync.api.get(f"{P}/a1/clusters").json)
    assert not any(text in body for text in configs.values())

    # a pass with nothing changed writes nothing
    again, writes = kubesync.counted(kubesync.worker.resync)
    assert again is not None and again.writes == 0 and writes == 0


def test_a_rotation_reaches_every_entitled_folder_at_the_next_poll(kubesync: KubeSync) -> None:
    declare(kubesync)
    kubesync.worker.once()  # a full pass, which also takes what was queued
    assert kubesync.worker.poll() is None  # nothing queued

    rotated = kubesync.put("gondor")  # the inventory announces the change: entitled projects queued
    result, writes = kubesync.counted(kubesync.worker.poll)
    assert result is not None and not result.errors
    assert sorted(str(a.ref) for a in result.applied) == ["credential a1/gondor", "credential a2/gondor"]
    assert writes == 2  # exactly one write per entitled folder
    assert kubesync.kubeconfig_in("a1", "gondor") == rotated == kubesync.kubeconfig_in("a2", "gondor")
    generation = kubesync.container.clusters.catalog.state("gondor").generation  # type: ignore[union-attr]
    assert generation == 2 and kubesync.clusters_of("a2")["gondor"]["synced_generation"] == 2
    assert "gondor" not in kubesync.ids("b1")
    again, writes = kubesync.counted(kubesync.worker.resync)
    assert again is not None and again.writes == 0 and writes == 0


def test_removed_from_the_workspace_leaves_only_that_workspaces_folders(kubesync: KubeSync) -> None:
    configs = declare(kubesync)
    assert kubesync.api.post(W, {"name": "gondor-too", "clusters": ["shire"]}).status_code == 201
    assert kubesync.api.post(P, {"name": "c1", "workspace": "gondor-too"}).status_code == 201
    kubesync.worker.once()
    assert kubesync.ids("c1") == {"shire"}

    r = kubesync.api.patch(f"{W}/middle-earth", {"clusters": ["rohan", "gondor"]})
    assert r.status_code == 200, r.json
    listed = kubesync.clusters_of("a1")
    assert listed["shire"]["status"] == "removing"
    result, writes = kubesync.counted(kubesync.worker.poll)  # the workspace change queued its projects
    assert result is not None and not result.errors
    assert sorted(str(a.ref) for a in result.applied) == ["credential a1/shire", "credential a2/shire"]
    assert writes == 2
    assert kubesync.ids("a1") == kubesync.ids("a2") == {"rohan", "gondor"}
    assert kubesync.kubeconfig_in("c1", "shire") == configs["shire"]  # another workspace keeps it
    assert set(kubesync.clusters_of("a1")) == {"rohan", "gondor"}


def test_devops_disabled_or_cluster_deleted_removes_its_credential(kubesync: KubeSync) -> None:
    declare(kubesync)
    kubesync.worker.once()

    kubesync.flip_devops("rohan", False)
    result, writes = kubesync.counted(kubesync.worker.poll)
    assert result is not None and writes == 2
    assert kubesync.ids("a1") == kubesync.ids("a2") == {"gondor", "shire"}
    assert "rohan" not in kubesync.clusters_of("a1")

    kubesync.drop("shire")
    result, writes = kubesync.counted(kubesync.worker.poll)
    assert result is not None and writes == 2
    assert kubesync.ids("a1") == kubesync.ids("a2") == {"gondor"}
    assert kubesync.ids("b1") == {"orodruin"}

    kubesync.flip_devops("rohan", True)  # and back: synced again
    kubesync.worker.poll()
    assert kubesync.ids("a1") == {"gondor", "rohan"}


@pytest.mark.parametrize("env", [{"BRIDGE_CLUSTERS_KUBECONFIG_POLICY": "all"}])
def test_policy_all_syncs_clusters_without_devops(kubesync: KubeSync) -> None:
    declare(kubesync)
    kubesync.flip_devops("rohan", False)
    kubesync.worker.resync()
    assert kubesync.ids("a1") == {"rohan", "gondor", "shire"}


@pytest.mark.parametrize("env", [{"BRIDGE_CLUSTERS_KUBECONFIG_PREFIX": "kube-"}])
def test_the_prefix_names_the_credentials(kubesync: KubeSync) -> None:
    configs = declare(kubesync)
    kubesync.worker.resync()
    assert kubesync.ids("a1") == {"kube-rohan", "kube-gondor", "kube-shire"}
    assert kubesync.kubeconfig_in("a1", "kube-rohan") == configs["rohan"]
    assert kubesync.clusters_of("a1")["rohan"]["credential_id"] == "kube-rohan"


def test_a_declared_credential_with_the_clusters_name_wins_and_the_conflict_is_shown(
    kubesync: KubeSync,
) -> None:
    declare(kubesync)
    mine = kubeconfig("my-own-gondor")
    r = kubesync.api.post(
        f"{P}/a1/credentials", {"id": "gondor", "type": "kubeconfig", "data": {"content": mine}}
    )
    assert r.status_code == 201, r.json
    kubesync.worker.resync()
    assert kubesync.kubeconfig_in("a1", "gondor") == mine
    listed = kubesync.clusters_of("a1")["gondor"]
    assert listed["status"] == "conflict" and "declared through the API" in listed["message"]
    assert kubesync.api.get(f"{C}/gondor").json["kubeconfig_conflicts"] == ["a1"]
    kubesync.worker.once()

    rotated = kubesync.put("gondor")
    kubesync.worker.poll()
    assert kubesync.kubeconfig_in("a1", "gondor") == mine  # never overwritten
    assert kubesync.kubeconfig_in("a2", "gondor") == rotated

    # the user's credential deleted: the cluster's kubeconfig takes its place
    assert kubesync.api.delete(f"{P}/a1/credentials/gondor").status_code in (202, 204)
    kubesync.worker.poll()
    assert kubesync.kubeconfig_in("a1", "gondor") == rotated
    assert kubesync.clusters_of("a1")["gondor"]["status"] == "synced"
    assert kubesync.api.get(f"{C}/gondor").json["kubeconfig_conflicts"] == []


def test_an_unmanaged_jenkins_credential_is_never_touched(kubesync: KubeSync) -> None:
    configs = declare(kubesync)
    assert kubesync.api.patch(f"{W}/middle-earth", {"clusters": ["rohan", "gondor"]}).status_code == 200
    kubesync.worker.once()
    theirs = kubeconfig("by-hand")
    by_hand = Credential("a2", "shire", CredentialType.KUBECONFIG, SecretData(content=theirs))
    xml = ET.tostring(build_credential(by_hand, description="by hand", mode=KubeconfigMode.FILE))
    kubesync.container.jenkins.create_credential("a2", xml)  # type: ignore[union-attr]

    assert (
        kubesync.api.patch(f"{W}/middle-earth", {"clusters": ["rohan", "gondor", "shire"]}).status_code == 200
    )
    kubesync.worker.poll()
    assert kubesync.kubeconfig_in("a1", "shire") == configs["shire"]
    assert kubesync.kubeconfig_in("a2", "shire") == theirs
    listed = kubesync.clusters_of("a2")["shire"]
    assert listed["status"] == "error" and "not managed by the bridge" in listed["message"]
    assert kubesync.api.get(f"{C}/shire").json["kubeconfig_conflicts"] == ["a2"]
    kubesync.put("shire")  # a rotation does not touch it either
    kubesync.worker.poll()
    assert kubesync.kubeconfig_in("a2", "shire") == theirs

    # removed from the workspace: the item that is not ours stays
    assert kubesync.api.patch(f"{W}/middle-earth", {"clusters": ["rohan", "gondor"]}).status_code == 200
    kubesync.worker.poll()
    assert kubesync.kubeconfig_in("a2", "shire") == theirs and "shire" not in kubesync.ids("a1")
    assert kubesync.api.get(f"{C}/shire").json["kubeconfig_conflicts"] == []


def test_a_cluster_without_a_usable_kubeconfig_is_not_synced(kubesync: KubeSync) -> None:
    declare(kubesync)
    kubesync.records["rohan"] = ClusterRecord(
        name="rohan", source=SourceKind.STATIC, origin="file rohan.yaml", devops=True, problem="unsupported"
    )
    kubesync._publish()
    kubesync.worker.resync()
    assert kubesync.ids("a1") == {"gondor", "shire"}


def test_only_the_projects_viewers_read_its_clusters_and_conflicts_show_only_visible_projects(
    kubesync: KubeSync, app: Flask
) -> None:
    declare(kubesync)
    api = kubesync.api
    assert api.post(f"{P}/b1/members", {"subject": "bea", "role": "viewer"}).status_code == 200
    assert api.post(f"{P}/a2/members", {"subject": "ann", "role": "viewer"}).status_code == 200
    mine = kubeconfig("own-shire")
    body = {"id": "shire", "type": "kubeconfig", "data": {"content": mine}}
    assert api.post(f"{P}/a1/credentials", body).status_code == 201
    kubesync.worker.once()
    tokens = TokenStore(kubesync.container.store.engine)
    users = {}
    for user in ("bea", "ann"):
        token = tokens.create(user=user, groups=(), created_by="test").token
        register_secret(token)
        users[user] = ApiClient(app.test_client(), token=token)

    assert users["bea"].get(f"{P}/a1/clusters").status_code == 404  # another workspace's project
    seen = users["bea"].get(f"{P}/b1/clusters")
    assert seen.status_code == 200 and [i["cluster"] for i in seen.json["items"]] == ["orodruin"]
    assert users["bea"].get(f"{C}/shire").status_code == 404
    # ann sees shire (her workspace uses it) but not a1, whose folder has the conflict
    assert users["ann"].get(f"{C}/shire").json["kubeconfig_conflicts"] == []
    assert api.get(f"{C}/shire").json["kubeconfig_conflicts"] == ["a1"]
    assert {i["status"] for i in users["ann"].get(f"{P}/a2/clusters").json["items"]} == {"synced"}


def test_a_new_prefix_replaces_the_old_ids(kubesync: KubeSync) -> None:
    configs = declare(kubesync)
    kubesync.worker.once()
    assert kubesync.ids("a1") == {"rohan", "gondor", "shire"}
    clusters = dataclasses.replace(kubesync.settings.clusters, kubeconfig_prefix="k8s-")
    settings = dataclasses.replace(kubesync.settings, clusters=clusters)
    worker = build_worker(settings, desired=kubesync.container.desired, jenkins=kubesync.container.jenkins)
    worker.once()
    assert kubesync.ids("a1") == {"k8s-rohan", "k8s-gondor", "k8s-shire"}
    assert kubesync.kubeconfig_in("a1", "k8s-gondor") == configs["gondor"]
    assert worker.once().writes == 0
