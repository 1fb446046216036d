"""The cluster inventory on the real apiservers: KubeSphere Cluster objects and WorkspaceTemplates on
``host`` watched into the API within seconds, 410 Gone handled, Argo CD Secrets turned into working
kubeconfigs, static files, a name clash between sources, and the listing's tenancy."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from kubernetes import client as k8s

from bridge.adapters.kube.argocd import DEVOPS_LABEL, ArgoCdSource
from bridge.adapters.kube.kubesphere import CLUSTER_API, KubeSphereSource
from bridge.adapters.kube.listwatch import Gone, ListWatch
from bridge.adapters.kube.reachability import KubeVersionProbe, api_client_for
from bridge.bootstrap import Container, build_container, build_inventory
from bridge.identity.token_store import TokenStore
from bridge.inventory.inventory import Inventory
from bridge.inventory.ports import ClusterSource
from bridge.inventory.prober import Prober
from bridge.inventory.runner import InventoryRunner
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.kube import KubeCluster
from tests.fixtures.leaks import register_secret

pytestmark = pytest.mark.kube

C, W, P = "/api/v1/clusters", "/api/v1/workspaces", "/api/v1/projects"
WINDOW = 30  # seconds per watch request: stopping must not wait for it (stop() interrupts)


def _uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _eventually(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"{what} not met within {timeout}s (last: {last!r})")


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


@dataclass
class Running:
    container: Container
    runner: InventoryRunner
    admin: ApiClient
    app: Flask

    def cluster(self, name: str) -> dict[str, Any] | None:
        r = self.admin.get(f"{C}/{name}")
        return r.json if r.status_code == 200 else None

    def as_user(self, user: str) -> ApiClient:
        token = TokenStore(self.container.store.engine).create(user=user, groups=(), created_by="test").token
        register_secret(token)
        return ApiClient(self.app.test_client(), token=token)


@pytest.fixture
def start(api: ApiClient, app: Flask, container: Container) -> Iterator[Callable[..., Running]]:
    runners: list[InventoryRunner] = []

    def _start(*sources: ClusterSource, placements: bool = False) -> Running:
        catalog = container.clusters.catalog
        inventory = Inventory(catalog, sources=[s.kind for s in sources], placements=placements)
        prober = Prober(catalog, KubeVersionProbe(timeout=5), interval=2)
        runner = InventoryRunner(inventory=inventory, sources=list(sources), prober=prober).start()
        runners.append(runner)
        return Running(container=container, runner=runner, admin=api, app=app)

    yield _start
    for runner in runners:
        started = time.monotonic()
        runner.stop()
        assert time.monotonic() - started < 3, "stop() interrupts the watches"


def _cluster_object(name: str, member: KubeCluster, *, devops: bool, ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "cluster.kubesphere.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name, "labels": {"cluster.kubesphere.io/group": "production"}},
        "spec": {
            "joinFederation": True,
            "enable": True,
            "connection": {
                "type": "direct",
                "kubernetesAPIEndpoint": member.server,
                "kubeconfig": _b64(yaml.safe_dump(dict(member.kubeconfig_dict))),
            },
        },
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False", "reason": "Ready"}],
            "configz": {"devops": devops, "openpitrix": True},
        },
    }


def _register_kubeconfigs(*clusters: KubeCluster) -> None:
    for cluster in clusters:
        user = cluster.kubeconfig_dict["users"][0]["user"]
        register_secret(user["client-key-data"])


def test_kubesphere_clusters_reach_the_api_within_seconds_and_follow_changes(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster], start: Callable[..., Running]
) -> None:
    rohan, gondor = kube_clusters["rohan"], kube_clusters["gondor"]
    _register_kubeconfigs(rohan, gondor)
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    name = _uid("rohan")
    running = start(KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW))
    running.admin.post(W, {"name": "middle-earth", "clusters": [name]})

    custom.create_cluster_custom_object(*CLUSTER_API, _cluster_object(name, rohan, devops=True))
    seen = _eventually(lambda: running.cluster(name), what="the new Cluster in the API")
    assert seen["source"] == "kubesphere" and seen["devops_enabled"] is True and seen["ready"] is True
    assert seen["jenkins"] == "default" and seen["workspaces"] == ["middle-earth"]
    reached = _eventually(
        lambda: (c := running.cluster(name)) and c["reachability"]["reachable"] and c, what="reachability"
    )
    assert reached["kubernetes_version"].startswith("v1.")
    assert reached["reachability"]["latency_ms"] > 0 and reached["reachability"]["error"] is None
    stored = running.container.clusters.catalog.kubeconfig(name)
    assert stored is not None
    with api_client_for(stored) as api:  # the stored kubeconfig reaches rohan, as admin
        assert any(ns.metadata.name == "default" for ns in k8s.CoreV1Api(api).list_namespace().items)

    # DevOps switched off on the member: shown within seconds, as a new generation
    patch = {"status": {"configz": {"devops": False}}}
    custom.patch_cluster_custom_object(*CLUSTER_API, name, patch)
    off = _eventually(
        lambda: (c := running.cluster(name)) and not c["devops_enabled"] and c, what="devops off"
    )
    assert off["generation"] == 2 and off["jenkins"] is None

    # the kubeconfig rotates (here: it now points at gondor): the stored copy follows
    digest_before = running.container.clusters.catalog.state(name).digest  # type: ignore[union-attr]
    rotated = {"spec": {"connection": {"kubeconfig": _b64(yaml.safe_dump(dict(gondor.kubeconfig_dict)))}}}
    custom.patch_cluster_custom_object(*CLUSTER_API, name, rotated)
    _eventually(
        lambda: running.container.clusters.catalog.state(name).digest != digest_before,  # type: ignore[union-attr]
        what="rotation",
    )
    assert gondor.server in (running.container.clusters.catalog.kubeconfig(name) or "")

    custom.delete_cluster_custom_object(*CLUSTER_API, name)
    _eventually(lambda: running.admin.get(f"{C}/{name}").status_code == 404, what="the deletion")


def test_a_stale_resource_version_is_410_gone_and_the_loop_lists_again(kube_host: KubeCluster) -> None:
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    from functools import partial

    listed: list[set[str]] = []
    events: list[tuple[str, str]] = []
    watch = ListWatch(
        what="clusters",
        call=partial(custom.list_cluster_custom_object, *CLUSTER_API),
        on_list=lambda items: listed.append({i["metadata"]["name"] for i in items}),
        on_event=lambda kind, obj: events.append((kind, obj["metadata"]["name"])),
        watch_window=WINDOW,
    )
    with pytest.raises(Gone):
        watch.watch_once("1", window=WINDOW)  # far older than the apiserver's watch history

    stop = threading.Event()
    thread = threading.Thread(target=watch.run, args=(stop,), kwargs={"resource_version": "1"}, daemon=True)
    thread.start()
    try:
        _eventually(lambda: watch.gone >= 1 and watch.lists >= 1, what="410 then a re-list")
        name = _uid("after-gone")
        body = {"apiVersion": "cluster.kubesphere.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}}
        custom.create_cluster_custom_object(*CLUSTER_API, body)
        _eventually(lambda: ("ADDED", name) in events, what="the watch resumed after the re-list")
        custom.delete_cluster_custom_object(*CLUSTER_API, name)
        _eventually(lambda: ("DELETED", name) in events, what="the deletion event")
    finally:
        stop.set()
        watch.interrupt()
        thread.join(10)


def _token(cluster: KubeCluster) -> str:
    with cluster.api_client() as api:
        core = k8s.CoreV1Api(api)
        name = _uid("argocd-manager")
        core.create_namespaced_service_account(
            "default", k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name=name))
        )
        answer = core.create_namespaced_service_account_token(
            name,
            "default",
            k8s.AuthenticationV1TokenRequest(spec=k8s.V1TokenRequestSpec(expiration_seconds=600)),
        )
    token: str = answer.status.token
    register_secret(token)
    return token


def _argocd_secret(
    secret: str, name: str, server: str, config: dict[str, Any], **labels: str
) -> k8s.V1Secret:
    return k8s.V1Secret(
        metadata=k8s.V1ObjectMeta(
            name=secret, labels={"argocd.argoproj.io/secret-type": "cluster", **labels}
        ),
        type="Opaque",
        data={"name": _b64(name), "server": _b64(server), "config": _b64(json.dumps(config))},
    )


def test_argocd_secrets_become_working_kubeconfigs(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster], start: Callable[..., Running]
) -> None:
    gondor, shire = kube_clusters["gondor"], kube_clusters["shire"]
    _register_kubeconfigs(shire)
    namespace = _uid("argocd")
    core = k8s.CoreV1Api(kube_host.api_client())
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    ca = _b64(gondor.pki.ca_cert.read_bytes())
    token = _token(gondor)
    bearer = {"bearerToken": token, "tlsClientConfig": {"insecure": False, "caData": ca}}
    shire_user = shire.kubeconfig_dict["users"][0]["user"]
    certs = {
        "tlsClientConfig": {
            "insecure": False,
            "caData": _b64(shire.pki.ca_cert.read_bytes()),
            "certData": shire_user["client-certificate-data"],
            "keyData": shire_user["client-key-data"],
        }
    }
    core.create_namespaced_secret(
        namespace, _argocd_secret("cluster-gondor", "gondor", gondor.server, bearer, **{DEVOPS_LABEL: "true"})
    )
    running = start(
        ArgoCdSource(kube_host.api_client(), namespace=namespace, relist_interval=300, watch_window=WINDOW)
    )
    core.create_namespaced_secret(namespace, _argocd_secret("cluster-shire", "shire", shire.server, certs))

    for name, devops in (("gondor", True), ("shire", False)):
        seen = _eventually(lambda n=name: running.cluster(n), what=f"{name} from its Secret")
        assert seen["source"] == "argocd" and seen["devops_enabled"] is devops and seen["problem"] is None
        assert seen["origin"] == f"Secret {namespace}/cluster-{name}"
        kubeconfig = running.container.clusters.catalog.kubeconfig(name)
        assert kubeconfig is not None
        with api_client_for(kubeconfig) as api:
            version = k8s.VersionApi(api).get_code()
            assert version.git_version.startswith("v1.")
            me = k8s.AuthenticationV1Api(api).create_self_subject_review(
                k8s.V1SelfSubjectReview(api_version="authentication.k8s.io/v1", kind="SelfSubjectReview")
            )
        expected = "system:serviceaccount:default:argocd-manager" if name == "gondor" else "admin"
        assert me.status.user_info.username.startswith(expected)
        _eventually(
            lambda n=name: (running.cluster(n) or {})["reachability"]["reachable"], what=f"{name} reachable"
        )

    # a Secret with credentials the bridge cannot use is listed with the reason
    exec_config = {
        "execProviderConfig": {"command": "argocd-k8s-auth", "args": ["gcp"]},
        "tlsClientConfig": {"caData": ca},
    }
    core.create_namespaced_secret(
        namespace, _argocd_secret("cluster-exec", "isengard", gondor.server, exec_config)
    )
    isengard = _eventually(lambda: running.cluster("isengard"), what="the exec cluster")
    assert "execProviderConfig" in isengard["problem"] and isengard["reachability"]["reachable"] is None

    core.delete_namespaced_secret("cluster-shire", namespace)
    _eventually(lambda: running.admin.get(f"{C}/shire").status_code == 404, what="shire removed")


def test_a_name_offered_by_two_sources_is_a_clear_clash(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster], start: Callable[..., Running]
) -> None:
    rohan = kube_clusters["rohan"]
    _register_kubeconfigs(rohan)
    name, namespace = _uid("edoras"), _uid("argocd")
    core = k8s.CoreV1Api(kube_host.api_client())
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    custom.create_cluster_custom_object(*CLUSTER_API, _cluster_object(name, rohan, devops=True))
    token = _token(rohan)
    config = {"bearerToken": token, "tlsClientConfig": {"caData": _b64(rohan.pki.ca_cert.read_bytes())}}
    core.create_namespaced_secret(namespace, _argocd_secret("cluster-edoras", name, rohan.server, config))
    running = start(
        KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW),
        ArgoCdSource(kube_host.api_client(), namespace=namespace, relist_interval=300, watch_window=WINDOW),
    )
    clash = _eventually(lambda: (c := running.cluster(name)) and c["problem"] and c, what="the clash")
    assert f"Cluster {name}" in clash["problem"] and f"Secret {namespace}/cluster-edoras" in clash["problem"]
    assert "unique across sources" in clash["problem"]
    assert clash["devops_enabled"] is False and clash["jenkins"] is None
    assert running.container.clusters.catalog.kubeconfig(name) is None

    core.delete_namespaced_secret("cluster-edoras", namespace)  # resolved: KubeSphere's entry is used again
    fixed = _eventually(
        lambda: (c := running.cluster(name)) and not c["problem"] and c, what="the clash resolved"
    )
    assert fixed["source"] == "kubesphere" and fixed["devops_enabled"] is True
    assert running.container.clusters.catalog.kubeconfig(name) is not None
    custom.delete_cluster_custom_object(*CLUSTER_API, name)


def test_workspace_template_placement_and_the_listing_tenancy(
    kube_host: KubeCluster, kube_clusters: Mapping[str, KubeCluster], start: Callable[..., Running]
) -> None:
    rohan, gondor = kube_clusters["rohan"], kube_clusters["gondor"]
    _register_kubeconfigs(rohan, gondor)
    custom = k8s.CustomObjectsApi(kube_host.api_client())
    west, south, workspace = _uid("west"), _uid("south"), _uid("fellowship")
    for name, member in ((west, rohan), (south, gondor)):
        custom.create_cluster_custom_object(*CLUSTER_API, _cluster_object(name, member, devops=True))
    template = {
        "apiVersion": "tenant.kubesphere.io/v1alpha2",
        "kind": "WorkspaceTemplate",
        "metadata": {"name": workspace},
        "spec": {"template": {"spec": {"manager": "admin"}}, "placement": {"clusters": [{"name": west}]}},
    }
    custom.create_cluster_custom_object("tenant.kubesphere.io", "v1alpha2", "workspacetemplates", template)
    running = start(
        KubeSphereSource(kube_host.api_client(), relist_interval=300, watch_window=WINDOW), placements=True
    )
    admin = running.admin
    assert admin.post(W, {"name": workspace}).status_code == 201
    assert admin.post(W, {"name": "other-ws", "clusters": [south]}).status_code == 201
    assert admin.post(P, {"name": "ring", "workspace": workspace}).status_code == 201
    assert admin.post(P, {"name": "other", "workspace": "other-ws"}).status_code == 201
    assert admin.post(f"{P}/ring/members", {"subject": "frodo", "role": "viewer"}).status_code == 200
    assert admin.post(f"{P}/other/members", {"subject": "saruman", "role": "viewer"}).status_code == 200

    _eventually(
        lambda: admin.get(f"{W}/{workspace}").json["available_clusters"] == [west], what="the placement"
    )
    frodo, saruman = running.as_user("frodo"), running.as_user("saruman")
    _eventually(lambda: running.cluster(south), what="both clusters listed")
    assert [c["name"] for c in frodo.get(C).json["items"]] == [west]
    assert frodo.get(f"{C}/{south}").status_code == 404
    assert [c["name"] for c in saruman.get(C).json["items"]] == [south]
    assert saruman.get(f"{C}/{west}").status_code == 404

    # the placement changes in KubeSphere: the workspace (and frodo's view) follow within seconds
    patch = {"spec": {"placement": {"clusters": [{"name": west}, {"name": south}]}}}
    custom.patch_cluster_custom_object(
        "tenant.kubesphere.io", "v1alpha2", "workspacetemplates", workspace, patch
    )
    _eventually(
        lambda: admin.get(f"{W}/{workspace}").json["available_clusters"] == sorted([west, south]),
        what="the placement change",
    )
    assert sorted(c["name"] for c in frodo.get(C).json["items"]) == sorted([west, south])
    assert frodo.get(f"{C}/{south}").json["workspaces"] == [workspace]  # not saruman's "other-ws"
    for name in (west, south):
        custom.delete_cluster_custom_object(*CLUSTER_API, name)
    custom.delete_cluster_custom_object("tenant.kubesphere.io", "v1alpha2", "workspacetemplates", workspace)


def test_static_kubeconfig_files_through_the_settings(
    kube_clusters: Mapping[str, KubeCluster], tmp_path: Path
) -> None:
    """``build_inventory`` wires the static source from settings; the flags apply per cluster."""
    shire, rohan = kube_clusters["shire"], kube_clusters["rohan"]
    _register_kubeconfigs(shire, rohan)
    settings = make_settings(
        tmp_path,
        BRIDGE_CLUSTERS_SOURCES="static",
        BRIDGE_CLUSTERS_STATIC=f"shire={shire.kubeconfig_path},rohan={rohan.kubeconfig_path}#rohan",
        BRIDGE_CLUSTERS_STATIC_DEVOPS="rohan",
        BRIDGE_CLUSTERS_STATIC_HOST="shire",
        BRIDGE_CLUSTERS_PROBE_INTERVAL="1",
    )
    container = build_container(settings)
    runner = build_inventory(settings, container.store)
    assert runner is not None
    runner.start()
    try:

        def both_reachable() -> list[Any]:
            views = {v.state.record.name: v for v in container.clusters.list()}
            ok = all(v.state.reachability and v.state.reachability.reachable for v in views.values())
            return [views[n] for n in ("rohan", "shire")] if len(views) == 2 and ok else []

        rohan_view, shire_view = _eventually(both_reachable, what="static clusters reachable")
        assert (shire_view.state.record.role.value, shire_view.state.record.devops) == ("host", False)
        assert (rohan_view.state.record.role.value, rohan_view.state.record.devops) == ("member", True)
        assert rohan_view.jenkins == "default" and shire_view.jenkins is None
        assert shire_view.state.record.origin == f"file {shire.kubeconfig_path}"
    finally:
        runner.stop()
        container.close()


def test_unreachable_and_refused_clusters_show_why_without_secrets(
    kube_host: KubeCluster,
    kube_clusters: Mapping[str, KubeCluster],
    start: Callable[..., Running],
    tmp_path: Path,
) -> None:
    from bridge.adapters.kube.static import StaticSource
    from bridge.settings_clusters import StaticCluster
    from tests.fixtures.kube_control_plane import free_ports

    gondor = kube_clusters["gondor"]
    namespace = _uid("argocd")
    core = k8s.CoreV1Api(kube_host.api_client())
    core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
    bogus = "not-a-token-gondor-accepts-0123456789"
    register_secret(bogus)
    config = {"bearerToken": bogus, "tlsClientConfig": {"caData": _b64(gondor.pki.ca_cert.read_bytes())}}
    core.create_namespaced_secret(
        namespace, _argocd_secret("cluster-refused", "refused", gondor.server, config)
    )
    (port,) = free_ports(1)
    nowhere = dict(gondor.kubeconfig_dict)
    nowhere["clusters"] = [
        {
            "name": "gondor",
            "cluster": {
                **gondor.kubeconfig_dict["clusters"][0]["cluster"],
                "server": f"https://127.0.0.1:{port}",
            },
        }
    ]
    path = tmp_path / "nowhere.yaml"
    path.write_text(yaml.safe_dump(nowhere))
    _register_kubeconfigs(gondor)
    running = start(
        ArgoCdSource(kube_host.api_client(), namespace=namespace, relist_interval=300, watch_window=WINDOW),
        StaticSource([StaticCluster("nowhere", path)], relist_interval=300),
    )

    def checked(name: str) -> dict[str, Any] | None:
        c = running.cluster(name)
        return c if c and c["reachability"]["checked_at"] else None

    refused = _eventually(lambda: checked("refused"), what="the refused cluster checked")
    assert refused["reachability"]["reachable"] is False and refused["kubernetes_version"] is None
    assert refused["reachability"]["error"].startswith("HTTP 401")
    assert "credentials were refused" in refused["reachability"]["error"]
    down = _eventually(lambda: checked("nowhere"), what="the unreachable cluster checked")
    assert down["reachability"]["reachable"] is False
    assert down["reachability"]["error"] == "NewConnectionError: Connection refused"
    for body in (refused, down):
        assert bogus not in json.dumps(body)
