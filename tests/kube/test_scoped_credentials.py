"""Scoped deploy credentials on the real apiservers (``rohan``, ``gondor``, ``shire``, started with
``--authorization-mode=RBAC``): the worker grants each project a ServiceAccount bound only in its deploy
target namespaces, puts a kubeconfig with a short-lived token into the project's folder in the sandbox
Jenkins, and revokes it when the target, the project, the workspace's cluster or the policy goes. Every
permission is checked with real requests made with the kubeconfig read back from the sandbox."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jenkins as pyjenkins
import pytest
import requests
import yaml
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from bridge.adapters.kube.kubesphere import CLUSTER_API
from bridge.audit.log import AuditLog, AuditQuery
from bridge.bootstrap_clusters import build_scoped
from bridge.domain.scoped import MANAGED_BY_LABEL, MANAGED_BY_VALUE, PROJECT_LABEL, binding_name
from bridge.identity.attribution import Actor
from bridge.settings import Settings
from tests.clusters.kubesync_support import KubeSync, settings
from tests.fixtures.app import make_settings
from tests.fixtures.kube import KubeCluster
from tests.fixtures.leaks import register_secret
from tests.kube.inventory_support import P, W, b64, cluster_object, uid
from tests.kube.scoped_support import (
    DEPLOYERS,
    DEV,
    PROD,
    SCOPED_ENV,
    SEED,
    converge,
    create_cluster_role,
    create_deployment,
    create_namespace,
    ensure_namespace,
    list_pods,
    role_binding,
    sandbox_jenkins,
    seeded,
    service_account,
    token_of,
)
from tests.waiting import wait_until

pytestmark = pytest.mark.kube
__all__ = ["sandbox_jenkins", "seeded", "settings"]  # fixtures, used by name
DEMO = "multicluster-demo"
SEED_TARGETS = [
    {"cluster": "rohan", "namespace": DEV},
    {"cluster": "gondor", "namespace": PROD},
    {"cluster": "shire", "namespace": PROD},
]
SEED_FILE = Path(__file__).resolve().parents[1] / "sandbox" / "data" / "seed-multicluster.Jenkinsfile"
SEED_JOB = "build-and-deploy-application"
CREDENTIALS: dict[str, dict[str, Any]] = {
    "dockerhub-id": {
        "type": "basic-auth",
        "data": {"username": "docker-bot", "password": "d0cker-Sc0ped-pw"},
    },
    "sonar-token": {"type": "secret-text", "data": {"secret": "sq-scoped-t0ken-5678"}},
}


@pytest.fixture
def env() -> dict[str, str]:
    return dict(SCOPED_ENV)


def declare_demo(sync: KubeSync, kube_clusters: Mapping[str, KubeCluster]) -> None:
    """The seed's workspace, project, namespaces (made by hand, as the seed says) and pipeline."""
    api = sync.api
    assert api.post(W, {"name": "middle-earth", "clusters": list(SEED)}).status_code == 201
    assert api.post(P, {"name": DEMO, "workspace": "middle-earth", "cluster": "gondor"}).status_code == 201
    for cid, body in CREDENTIALS.items():
        register_secret(*(v for k, v in body["data"].items() if k != "username"))
        assert api.post(f"{P}/{DEMO}/credentials", {"id": cid, **body}).status_code == 201
    ensure_namespace(kube_clusters["rohan"], DEV)
    ensure_namespace(kube_clusters["gondor"], PROD)
    ensure_namespace(kube_clusters["shire"], PROD)
    pipeline: dict[str, Any] = {
        "name": SEED_JOB,
        "jenkinsfile": SEED_FILE.read_text(encoding="utf-8"),
        "targets": SEED_TARGETS,
    }
    r = api.post(f"{P}/{DEMO}/pipelines", pipeline)
    assert r.status_code == 201, r.json


def folder_kubeconfigs(sync: KubeSync, project: str, clusters: tuple[str, ...]) -> dict[str, str] | None:
    """The folder's kubeconfig per cluster once each holds a token (a scoped one), else None."""
    found = {c: sync.kubeconfig_in(project, c) for c in clusters}
    if any(v is None or token_of(v) is None for v in found.values()):
        return None
    for text in found.values():  # the leak check fails the test if any of them reaches a log line
        register_secret(text, token_of(text or ""))
    return {c: v for c, v in found.items() if v is not None}


def test_each_project_deploys_only_to_its_own_namespaces_and_a_removed_target_is_revoked_at_once(
    seeded: KubeSync, kube_clusters: Mapping[str, KubeCluster], settings: Settings
) -> None:
    sync, api = seeded, seeded.api
    declare_demo(sync, kube_clusters)
    mine = converge(sync, lambda: folder_kubeconfigs(sync, DEMO, SEED), "scoped kubeconfigs in the folder")
    for name in SEED:
        cluster, kubeconfig = kube_clusters[name], mine[name]
        document = yaml.safe_load(kubeconfig)
        assert document["clusters"][0]["cluster"]["server"] == cluster.server
        assert set(document["users"][0]["user"]) == {"token"}  # never the cluster's client certificate
        namespace = DEV if name == "rohan" else PROD
        assert create_deployment(kubeconfig, namespace, uid("devops-sample")) == 201
        assert create_deployment(kubeconfig, "default", uid("devops-sample")) == 403
        assert list_pods(kubeconfig, "kube-system") == 403
        assert create_namespace(kubeconfig, uid("grab")) == 403  # cluster-scoped
        assert create_cluster_role(kubeconfig, uid("grab")) == 403
        # what the bridge made there carries its labels; the binding is namespaced, nothing cluster-wide
        made = role_binding(cluster, namespace, binding_name(DEMO, "edit"))
        assert made.metadata.labels == {MANAGED_BY_LABEL: MANAGED_BY_VALUE, PROJECT_LABEL: DEMO}
        assert made.role_ref.kind == "ClusterRole" and made.role_ref.name == "edit"
        assert service_account(cluster, DEMO).metadata.labels[PROJECT_LABEL] == DEMO
        with cluster.api_client() as admin:
            bound = k8s.RbacAuthorizationV1Api(admin).list_cluster_role_binding(
                label_selector=f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"
            )
        assert bound.items == []

    listed = sync.clusters_of(DEMO)
    for name in SEED:
        item = listed[name]
        assert item["policy"] == "scoped" and item["status"] == "synced", item
        assert item["namespaces"] == [DEV if name == "rohan" else PROD]
        assert item["token_expires_at"] and item["error"] is None and item["rotated_at"] is None
    grants = AuditLog(sync.container.store.engine).query(AuditQuery(project=DEMO, action="scoped.grant"))
    assert sorted(e.path.split("/")[2] for e in grants) == sorted(SEED)

    # a second project of the same workspace, deploying to a namespace of its own on rohan
    other_ns = uid("intruder-ns")
    ensure_namespace(kube_clusters["rohan"], other_ns)
    assert api.post(P, {"name": "intruder", "workspace": "middle-earth"}).status_code == 201
    target = {"cluster": "rohan", "namespace": other_ns}
    r = api.post(f"{P}/intruder/pipelines", {"name": "deploy", "jenkinsfile": "echo hi", "targets": [target]})
    assert r.status_code == 201, r.json
    theirs = converge(sync, lambda: folder_kubeconfigs(sync, "intruder", ("rohan",)), "intruder's kubeconfig")
    assert sync.ids("intruder") == {"rohan"}  # no target on gondor or shire: no credential there
    assert create_deployment(theirs["rohan"], other_ns, uid("theirs")) == 201
    assert create_deployment(theirs["rohan"], DEV, uid("theirs")) == 403
    assert list_pods(theirs["rohan"], DEV) == 403
    assert create_deployment(mine["rohan"], other_ns, uid("mine")) == 403

    # a second namespace on rohan, then removed: its RoleBinding is gone after one run of the job
    extra = uid("extra-ns")
    ensure_namespace(kube_clusters["rohan"], extra)
    more = [*SEED_TARGETS, {"cluster": "rohan", "namespace": extra, "cluster_role": "view"}]
    assert api.patch(f"{P}/{DEMO}/pipelines/{SEED_JOB}", {"targets": more}).status_code == 200
    converge(sync, lambda: list_pods(mine["rohan"], extra) == 200, "the view grant on the extra namespace")
    assert create_deployment(mine["rohan"], extra, uid("ro")) == 403  # view, not edit
    assert sorted(sync.clusters_of(DEMO)["rohan"]["namespaces"]) == sorted([DEV, extra])
    assert api.patch(f"{P}/{DEMO}/pipelines/{SEED_JOB}", {"targets": SEED_TARGETS}).status_code == 200
    sync.worker.rotate_credentials()
    assert role_binding(kube_clusters["rohan"], extra, binding_name(DEMO, "view")) is None
    assert list_pods(mine["rohan"], extra) == 403
    assert create_deployment(mine["rohan"], DEV, uid("still")) == 201  # the rest is untouched

    # shire's target removed: its binding and ServiceAccount go at once, the token stops working, and the
    # next pass takes the credential out of the folder
    assert api.patch(f"{P}/{DEMO}/pipelines/{SEED_JOB}", {"targets": SEED_TARGETS[:2]}).status_code == 200
    sync.worker.rotate_credentials()
    assert role_binding(kube_clusters["shire"], PROD, binding_name(DEMO, "edit")) is None
    assert service_account(kube_clusters["shire"], DEMO) is None
    # refused at once; once the apiserver's authentication cache (10 s) forgets it, not even authenticated
    assert create_deployment(mine["shire"], PROD, uid("late")) in (401, 403)
    wait_until(lambda: create_deployment(mine["shire"], PROD, uid("late")) == 401, timeout=30, interval=1)
    converge(sync, lambda: sync.ids(DEMO) == {"rohan", "gondor", *CREDENTIALS}, "shire removed from folder")
    revoked = AuditLog(sync.container.store.engine).query(AuditQuery(project=DEMO, action="scoped.revoke"))
    assert {e.path.split("/")[2] for e in revoked} == {"rohan", "shire"}

    # the intruder project is deleted: its ServiceAccount and binding go with it
    assert api.delete(f"{P}/intruder").status_code in (202, 204)
    converge(sync, lambda: service_account(kube_clusters["rohan"], "intruder") is None, "intruder revoked")
    assert create_deployment(theirs["rohan"], other_ns, uid("gone")) in (401, 403)


def test_the_seed_pipeline_runs_with_scoped_credentials(
    seeded: KubeSync, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    sync = seeded
    declare_demo(sync, kube_clusters)
    mine = converge(sync, lambda: folder_kubeconfigs(sync, DEMO, SEED), "scoped kubeconfigs in the folder")
    path = f"{DEMO}/{SEED_JOB}"
    jenkins = pyjenkins.Jenkins(
        sync.sandbox.url, username=sync.sandbox.admin_user, password=sync.sandbox.admin_token
    )
    converge(sync, lambda: jenkins.job_exists(path), "the seed job")
    r = sync.api.post(f"{P}/{DEMO}/pipelines/{SEED_JOB}/runs", {})
    assert r.status_code == 202, r.json
    runs = sync.container.runs
    assert runs is not None
    pending_url = f"{sync.sandbox.url}job/{DEMO}/job/{SEED_JOB}/1/wfapi/pendingInputActions"

    def waiting_on(input_id: str) -> bool:
        info = jenkins.get_build_info(path, 1)
        assert not info["result"], jenkins.get_build_console_output(path, 1)
        pending = requests.get(
            pending_url, auth=(sync.sandbox.admin_user, sync.sandbox.admin_token), timeout=10
        )
        return any(p["id"] == input_id for p in pending.json())

    for input_id in ("Deploy-to-staging", "Deploy-to-production"):
        wait_until(
            lambda input_id=input_id: waiting_on(input_id),
            what=f"the {input_id} input",
            retry_on=(pyjenkins.JenkinsException,),
        )
        runs.proceed_input(path, 1, input_id, {}, Actor("admin"))

    def finished() -> dict[str, Any] | None:
        info: dict[str, Any] = jenkins.get_build_info(path, 1)
        return info if info.get("result") else None

    info = wait_until(finished, what="the seed run to finish", retry_on=(pyjenkins.JenkinsException,))
    console = jenkins.get_build_console_output(path, 1)
    assert info["result"] == "SUCCESS", console
    assert console.count("kubectl apply -f -") == 3
    for kubeconfig in mine.values():
        assert (token_of(kubeconfig) or "") not in console
    # the folder still holds the scoped credentials the run used, and they deploy where the seed does
    assert folder_kubeconfigs(sync, DEMO, SEED) == mine
    assert create_deployment(mine["rohan"], DEV, uid("devops-sample")) == 201


def test_a_policy_switch_revokes_and_a_refused_grant_names_the_verb_and_the_resource(
    seeded: KubeSync, kube_clusters: Mapping[str, KubeCluster], kube_host: KubeCluster, tmp_path: Path
) -> None:
    sync, api = seeded, seeded.api
    declare_demo(sync, kube_clusters)
    mine = converge(sync, lambda: folder_kubeconfigs(sync, DEMO, SEED), "scoped kubeconfigs in the folder")

    # a cluster whose kubeconfig may create ServiceAccounts but not RoleBindings
    rohan = kube_clusters["rohan"]
    limited = uid("limited")
    with rohan.api_client() as admin:
        rbac, core = k8s.RbacAuthorizationV1Api(admin), k8s.CoreV1Api(admin)
        rules = [
            k8s.V1PolicyRule(
                api_groups=[""], resources=["namespaces", "serviceaccounts"], verbs=["get", "create"]
            ),
            k8s.V1PolicyRule(
                api_groups=["rbac.authorization.k8s.io"], resources=["rolebindings"], verbs=["get"]
            ),
        ]
        rbac.create_cluster_role(k8s.V1ClusterRole(metadata=k8s.V1ObjectMeta(name=limited), rules=rules))
        core.create_namespaced_service_account(
            "default", k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name=limited))
        )
        subject = k8s.RbacV1Subject(kind="ServiceAccount", name=limited, namespace="default")
        ref = k8s.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=limited)
        rbac.create_cluster_role_binding(
            k8s.V1ClusterRoleBinding(
                metadata=k8s.V1ObjectMeta(name=limited), role_ref=ref, subjects=[subject]
            )
        )
        token = core.create_namespaced_service_account_token(
            limited,
            "default",
            k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(expiration_seconds=3600)),
        ).status.token  # type: ignore[union-attr]
    register_secret(token)
    config: dict[str, Any] = yaml.safe_load(yaml.safe_dump(dict(rohan.kubeconfig_dict)))
    config["users"][0]["user"] = {"token": token}
    text = yaml.safe_dump(config)
    register_secret(text)
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    body = cluster_object("isengard", rohan, devops=True)
    body["spec"]["connection"]["kubeconfig"] = b64(text)
    custom.create_cluster_custom_object(*CLUSTER_API, body)
    try:
        converge(
            sync, lambda: sync.container.clusters.catalog.state("isengard") is not None, "isengard listed"
        )
        assert (
            api.patch("/api/v1/workspaces/middle-earth", {"clusters": [*SEED, "isengard"]}).status_code == 200
        )
        ns = uid("isengard-ns")
        ensure_namespace(rohan, ns)
        targets = [*SEED_TARGETS, {"cluster": "isengard", "namespace": ns}]
        assert api.patch(f"{P}/{DEMO}/pipelines/{SEED_JOB}", {"targets": targets}).status_code == 200

        def refused() -> str | None:
            return str(sync.clusters_of(DEMO).get("isengard", {}).get("error") or "") or None

        error = converge(sync, refused, "the refusal shown")
        assert "may not create rolebindings.rbac.authorization.k8s.io" in error and ns in error, error
        assert "isengard" not in sync.ids(DEMO)  # nothing granted: no credential, never the cluster's own
    finally:
        with contextlib.suppress(ApiException):
            custom.delete_cluster_custom_object(*CLUSTER_API, "isengard")

    # shire leaves the workspace: its grant is revoked, its credential leaves the folder
    assert api.patch("/api/v1/workspaces/middle-earth", {"clusters": ["rohan", "gondor"]}).status_code == 200
    converge(sync, lambda: service_account(kube_clusters["shire"], DEMO) is None, "shire revoked")
    assert role_binding(kube_clusters["shire"], PROD, binding_name(DEMO, "edit")) is None
    converge(sync, lambda: "shire" not in sync.ids(DEMO), "shire's credential removed from the folder")

    # the policy of gondor switches to full: its scoped credential is revoked, the cluster's own replaces it
    env = {**SCOPED_ENV, "BRIDGE_SCOPED_CLUSTERS": "gondor=full"}
    other = make_settings(tmp_path / "switched", **env)
    job = build_scoped(other, sync.container.store)
    job.run()
    assert service_account(kube_clusters["gondor"], DEMO) is None
    assert role_binding(kube_clusters["gondor"], PROD, binding_name(DEMO, "edit")) is None
    assert create_deployment(mine["gondor"], PROD, uid("switched")) in (401, 403)
    assert service_account(kube_clusters["rohan"], DEMO) is not None  # the others stay
    with kube_clusters["gondor"].api_client() as admin:  # the deployers' namespace itself stays
        assert (
            k8s.CoreV1Api(admin).read_namespace(DEPLOYERS).metadata.labels[MANAGED_BY_LABEL]
            == MANAGED_BY_VALUE
        )


@pytest.mark.slow
@pytest.mark.waits
@pytest.mark.timeout(1200)
def test_after_expiry_the_old_token_is_refused_and_the_folder_already_holds_a_fresh_one(
    seeded: KubeSync, kube_clusters: Mapping[str, KubeCluster]
) -> None:
    """Tokens of 600 s (the apiserver's minimum, not configurable: ``MinTokenAgeSec``), rotated by the
    worker's own clock at half their life ± 60 s: about eleven minutes of real time."""
    sync = seeded
    declare_demo(sync, kube_clusters)
    first = converge(sync, lambda: folder_kubeconfigs(sync, DEMO, SEED), "scoped kubeconfigs in the folder")
    old = first["rohan"]
    expires = datetime.fromisoformat(sync.clusters_of(DEMO)["rohan"]["token_expires_at"])
    assert 500 < (expires - datetime.now(UTC)).total_seconds() <= 600
    result = sync.worker.rotate_credentials()
    assert result is not None and result.minted == 0  # nothing due long before the rotation time

    writes = sync.writes

    def rotated() -> dict[str, str] | None:
        sync.worker.rotate_credentials()
        sync.worker.poll()
        now = folder_kubeconfigs(sync, DEMO, SEED)
        return now if now and all(token_of(now[c]) != token_of(first[c]) for c in SEED) else None

    fresh = wait_until(rotated, timeout=420, interval=5, what="every folder credential rotated")
    assert sync.writes - writes == 3  # one Jenkins write per rotated credential
    item = sync.clusters_of(DEMO)["rohan"]
    rotated_at = datetime.fromisoformat(item["rotated_at"])
    assert (expires - rotated_at).total_seconds() >= float(SCOPED_ENV["BRIDGE_SCOPED_MIN_VALIDITY"])
    # a run that read the old credential just before keeps deploying with it until it expires
    assert create_deployment(old, DEV, uid("old")) == 201

    # the old token expires (the apiserver allows 60 s of clock skew): refused; the folder's works
    wait_until(
        lambda: create_deployment(old, DEV, uid("old")) == 401, timeout=480, interval=10, what="expiry"
    )
    assert folder_kubeconfigs(sync, DEMO, SEED) == fresh
    assert create_deployment(fresh["rohan"], DEV, uid("fresh")) == 201
