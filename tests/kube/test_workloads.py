"""Workloads of deploy targets on the real apiservers: the seed's Deployments in ``kubesphere-sample-dev`` on
``rohan`` and ``kubesphere-sample-prod`` on ``gondor`` and ``shire``, read through each cluster's kubeconfig
from the inventory; which run runs where; the promotion history the worker records."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from bridge.adapters.kube.kubesphere import CLUSTER_API
from bridge.bootstrap import Container
from bridge.domain.runs import Run, RunStatus, Trigger, TriggerKind
from bridge.reconcile.worker import Worker
from tests.fixtures.app import ApiClient
from tests.fixtures.kube import KubeCluster
from tests.fixtures.leaks import register_secret
from tests.kube.inventory_support import P, W, b64, cluster_object, eventually, uid
from tests.kube.test_deploy_targets import (  # noqa: F401 - settings and world are fixtures
    SEED,
    ensure_namespace,
    settings,
    token_cluster,
    world,
)

pytestmark = pytest.mark.kube
DEMO = f"{P}/multicluster-demo/pipelines/deploy"
REPO = "docker.io/shaowenchen/devops-maven-sample"
TARGETS = [
    {"cluster": "rohan", "namespace": "kubesphere-sample-dev"},
    {"cluster": "gondor", "namespace": "kubesphere-sample-prod"},
    {"cluster": "shire", "namespace": "kubesphere-sample-prod", "create_namespace": True},
]


def deployment(name: str, image: str, replicas: int = 2) -> k8s.V1Deployment:
    labels = {"app": name}
    return k8s.V1Deployment(
        metadata=k8s.V1ObjectMeta(name=name, labels=labels),
        spec=k8s.V1DeploymentSpec(
            replicas=replicas,
            selector=k8s.V1LabelSelector(match_labels=labels),
            template=k8s.V1PodTemplateSpec(
                metadata=k8s.V1ObjectMeta(labels=labels),
                spec=k8s.V1PodSpec(containers=[k8s.V1Container(name="app", image=image)]),
            ),
        ),
    )


def put(cluster: KubeCluster, namespace: str, name: str, image: str, *, ready: int = 2) -> None:
    """Create or update a Deployment and set the status a controller would (no controller runs here)."""
    with cluster.api_client() as api:
        apps = k8s.AppsV1Api(api)
        try:
            apps.create_namespaced_deployment(namespace, deployment(name, image))
        except ApiException as e:
            if e.status != 409:
                raise
            apps.patch_namespaced_deployment(
                name,
                namespace,
                {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": image}]}}}},
            )
        status = {
            "status": {
                "replicas": 2,
                "readyReplicas": ready,
                "updatedReplicas": 2,
                "availableReplicas": ready,
                "observedGeneration": 1,
                "conditions": [
                    {
                        "type": "Available",
                        "status": "True" if ready else "False",
                        "reason": "MinimumReplicasAvailable",
                        "message": "Deployment has minimum availability.",
                        "lastTransitionTime": "2026-01-02T03:04:05Z",
                        "lastUpdateTime": "2026-01-02T03:04:05Z",
                    },
                ],
            }
        }
        apps.patch_namespaced_deployment_status(name, namespace, status)


def delete(cluster: KubeCluster, namespace: str, name: str) -> None:
    with cluster.api_client() as api, contextlib.suppress(ApiException):
        k8s.AppsV1Api(api).delete_namespaced_deployment(name, namespace)


def index_run(container: Container, number: int, branch: str = "master") -> None:
    """A finished run of the pipeline in the run index (as the run follower writes it)."""
    run = Run(
        "multicluster-demo",
        "deploy",
        Trigger(TriggerKind.USER, user="admin"),
        status=RunStatus.SUCCEEDED,
        number=number,
        parameters={"BRANCH_NAME": branch},
    )
    with container.store.write() as tx:
        tx.runs.add(run)


def unreachable_cluster(name: str, member: KubeCluster) -> dict[str, Any]:
    config: dict[str, Any] = copy.deepcopy(dict(member.kubeconfig_dict))
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:9"  # nothing listens there
    text = yaml.safe_dump(config)
    register_secret(text)
    body = cluster_object(name, member, devops=True)
    body["spec"]["connection"]["kubeconfig"] = b64(text)
    return body


def workloads(api: ApiClient, cluster: str, namespace: str) -> dict[str, Any]:
    r = api.get(f"{DEMO}/targets/{cluster}/{namespace}/workloads")
    assert r.status_code == 200, r.json
    return r.json


def test_seed_workloads_runs_and_promotions(
    world: tuple[Worker, list[str]],  # noqa: F811
    api: ApiClient,
    container: Container,
    kube_host: KubeCluster,
    kube_clusters: Mapping[str, KubeCluster],
) -> None:
    worker, extra = world
    offline = uid("mordor")
    extra.append(offline)
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    custom.create_cluster_custom_object(*CLUSTER_API, unreachable_cluster(offline, kube_clusters["rohan"]))
    catalog = container.clusters.catalog
    eventually(lambda: catalog.state(offline) is not None, what="the offline cluster listed")
    assert api.post(W, {"name": "multicluster", "clusters": [*SEED, offline]}).status_code == 201
    assert api.post(P, {"name": "multicluster-demo", "workspace": "multicluster"}).status_code == 201
    ensure_namespace(kube_clusters["rohan"], "kubesphere-sample-dev")
    ensure_namespace(kube_clusters["gondor"], "kubesphere-sample-prod")
    ensure_namespace(kube_clusters["rohan"], "not-a-target")
    targets = [*TARGETS, {"cluster": offline, "namespace": "kubesphere-sample-prod"}]
    r = api.post(
        f"{P}/multicluster-demo/pipelines", {"name": "deploy", "jenkinsfile": "echo", "targets": targets}
    )
    assert r.status_code == 201, r.json
    worker.check_targets()  # shire's namespace is created by the preflight

    rohan, gondor, shire = (kube_clusters[n] for n in SEED)
    put(rohan, "kubesphere-sample-dev", "devops-sample", f"{REPO}:SNAPSHOT-master-2")
    put(gondor, "kubesphere-sample-prod", "devops-sample", f"{REPO}:SNAPSHOT-master-1")
    put(shire, "kubesphere-sample-prod", "devops-sample", f"{REPO}:SNAPSHOT-master-1", ready=1)
    put(rohan, "not-a-target", "secret-app", "registry.local:5000/secret:42")
    try:
        dev = workloads(api, "rohan", "kubesphere-sample-dev")
        assert dev["status"] == "ok" and dev["reason"] is None
        (item,) = [w for w in dev["items"] if w["name"] == "devops-sample"]
        assert item["kind"] == "Deployment"
        assert item["images"] == [
            {
                "container": "app",
                "image": f"{REPO}:SNAPSHOT-master-2",
                "repository": REPO,
                "tag": "SNAPSHOT-master-2",
                "digest": None,
            }
        ]
        assert (item["desired"], item["ready"], item["updated"], item["available"]) == (2, 2, 2, 2)
        assert item["conditions"][0]["type"] == "Available" and item["last_change"]
        # the seed's namespaces are shared by the session's clusters: only this test's workload counts
        prod = [
            w
            for w in workloads(api, "shire", "kubesphere-sample-prod")["items"]
            if w["name"] == "devops-sample"
        ]
        assert [(w["name"], w["images"][0]["tag"], w["ready"]) for w in prod] == [
            ("devops-sample", "SNAPSHOT-master-1", 1)
        ]
        on_gondor = workloads(api, "gondor", "kubesphere-sample-prod")["items"]
        assert [w["images"][0]["tag"] for w in on_gondor if w["name"] == "devops-sample"] == [
            "SNAPSHOT-master-1"
        ]

        # a namespace that is not a declared target is never read
        reads = container.workloads.kube.reads  # type: ignore[union-attr]
        assert api.get(f"{DEMO}/targets/rohan/not-a-target/workloads").status_code == 404
        assert api.get(f"{DEMO}/targets/rohan/kube-system/workloads").status_code == 404
        assert reads[("rohan", "not-a-target")] == 0 and reads[("rohan", "kube-system")] == 0

        # the unreachable cluster degrades only its own entry
        down = workloads(api, offline, "kubesphere-sample-prod")
        assert down["status"] == "unreachable" and down["items"] == [] and down["reason"]
        index_run(container, 1)
        index_run(container, 2)
        first = {(t["cluster"], t["namespace"]): t for t in api.get(f"{DEMO}/runs/1/targets").json["items"]}
        assert first["gondor", "kubesphere-sample-prod"]["running"] is True
        assert first["shire", "kubesphere-sample-prod"]["running"] is True
        assert first["rohan", "kubesphere-sample-dev"]["running"] is False
        assert first[offline, "kubesphere-sample-prod"]["running"] is None
        assert first[offline, "kubesphere-sample-prod"]["status"] == "unreachable"
        (match,) = first["gondor", "kubesphere-sample-prod"]["matches"]
        assert match["workload"] == "devops-sample" and match["values"] == ["number", "BRANCH_NAME"]
        second = {
            (t["cluster"], t["namespace"]): t["running"]
            for t in api.get(f"{DEMO}/runs/2/targets").json["items"]
        }
        assert (
            second["rohan", "kubesphere-sample-dev"] is True
            and second["gondor", "kubesphere-sample-prod"] is False
        )

        # promotion history: the worker's job records which run each target runs, since when
        assert worker.observe_promotions() == 3
        assert worker.observe_promotions() == 0  # nothing changed: the stretches go on
        history = api.get(f"{DEMO}/promotions").json["items"]
        assert sorted((h["cluster"], h["run"]) for h in history) == [
            ("gondor", 1),
            ("rohan", 2),
            ("shire", 1),
        ]
        put(gondor, "kubesphere-sample-prod", "devops-sample", f"{REPO}:SNAPSHOT-master-2")  # promoted
        assert worker.observe_promotions() == 1
        newest = api.get(f"{DEMO}/promotions", query_string={"limit": 1}).json
        assert [(h["cluster"], h["run"], h["workload"]) for h in newest["items"]] == [
            ("gondor", 2, "Deployment/devops-sample")
        ]
        assert newest["continue"]
        gondor_history = [h for h in api.get(f"{DEMO}/promotions").json["items"] if h["cluster"] == "gondor"]
        assert [h["run"] for h in gondor_history] == [2, 1]
        assert gondor_history[0]["since"] >= gondor_history[1]["last_seen"]
    finally:
        for cluster, namespace, name in (
            (rohan, "kubesphere-sample-dev", "devops-sample"),
            (gondor, "kubesphere-sample-prod", "devops-sample"),
            (shire, "kubesphere-sample-prod", "devops-sample"),
            (rohan, "not-a-target", "secret-app"),
        ):
            delete(cluster, namespace, name)


def scoped_token(cluster: KubeCluster, namespace: str) -> str:
    """A service account that may list apps workloads in ``namespace`` only (a Role, not a ClusterRole)."""
    name = uid("workload-reader")
    with cluster.api_client() as api:
        core, rbac = k8s.CoreV1Api(api), k8s.RbacAuthorizationV1Api(api)
        core.create_namespaced_service_account(
            namespace, k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name=name))
        )
        rule = k8s.V1PolicyRule(
            api_groups=["apps"], resources=["deployments", "statefulsets", "daemonsets"], verbs=["list"]
        )
        rbac.create_namespaced_role(namespace, k8s.V1Role(metadata=k8s.V1ObjectMeta(name=name), rules=[rule]))
        binding = k8s.V1RoleBinding(
            metadata=k8s.V1ObjectMeta(name=name),
            role_ref=k8s.V1RoleRef(api_group="rbac.authorization.k8s.io", kind="Role", name=name),
            subjects=[k8s.RbacV1Subject(kind="ServiceAccount", name=name, namespace=namespace)],
        )
        rbac.create_namespaced_role_binding(namespace, binding)
        request = k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(expiration_seconds=600))
        token: str = core.create_namespaced_service_account_token(name, namespace, request).status.token
    register_secret(token)
    return token


def test_an_rbac_limited_kubeconfig_reads_its_target_only(
    world: tuple[Worker, list[str]],  # noqa: F811
    api: ApiClient,
    container: Container,
    kube_host: KubeCluster,
    kube_clusters: Mapping[str, KubeCluster],
) -> None:
    """The apiserver itself enforces it: the kubeconfig may list workloads in kubesphere-sample-dev only."""
    _, extra = world
    rohan = kube_clusters["rohan"]
    ensure_namespace(rohan, "kubesphere-sample-dev")
    ensure_namespace(rohan, "kubesphere-sample-prod")
    scoped = uid("rohan-dev-only")
    extra.append(scoped)
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    custom.create_cluster_custom_object(
        *CLUSTER_API, token_cluster(scoped, rohan, scoped_token(rohan, "kubesphere-sample-dev"))
    )
    eventually(lambda: container.clusters.catalog.state(scoped) is not None, what="the scoped cluster listed")
    assert api.post(W, {"name": "multicluster", "clusters": [scoped]}).status_code == 201
    assert api.post(P, {"name": "multicluster-demo", "workspace": "multicluster"}).status_code == 201
    targets = [
        {"cluster": scoped, "namespace": "kubesphere-sample-dev"},
        {"cluster": scoped, "namespace": "kubesphere-sample-prod"},
    ]
    r = api.post(
        f"{P}/multicluster-demo/pipelines", {"name": "deploy", "jenkinsfile": "echo", "targets": targets}
    )
    assert r.status_code == 201, r.json
    put(rohan, "kubesphere-sample-dev", "devops-sample", f"{REPO}:SNAPSHOT-master-7")
    try:
        dev = workloads(api, scoped, "kubesphere-sample-dev")
        assert dev["status"] == "ok"  # three namespaced lists, all the Role allows
        mine = [w for w in dev["items"] if w["name"] == "devops-sample"]  # the namespace is shared
        assert [w["images"][0]["tag"] for w in mine] == ["SNAPSHOT-master-7"]
        prod = workloads(api, scoped, "kubesphere-sample-prod")  # declared, but the apiserver refuses
        assert prod["status"] == "forbidden" and "403" in prod["reason"] and prod["items"] == []
        assert api.get(f"{DEMO}/targets/{scoped}/kube-system/workloads").status_code == 404
    finally:
        delete(rohan, "kubesphere-sample-dev", "devops-sample")
