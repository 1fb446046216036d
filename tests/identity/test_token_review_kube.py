"""TokenReview on a real kube-apiserver: requested tokens authenticate, others do not, RBAC applies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from kubernetes import client as k8s

from bridge.adapters.kube.token_review import KubeTokenReviewer, host_api_client
from bridge.errors import Unauthenticated, UpstreamError
from bridge.identity.authenticators import RequestFacts
from bridge.identity.principal import AuthSource
from bridge.identity.token_review import ReviewResult, TokenReviewAuthenticator
from tests.fixtures.kube import KubeCluster
from tests.waiting import wait_until

pytestmark = pytest.mark.kube


@pytest.fixture
def host(kube_clusters: Mapping[str, KubeCluster]) -> KubeCluster:
    return kube_clusters["host"]


@pytest.fixture
def namespace(host: KubeCluster) -> Iterator[str]:
    name = f"idn-{uuid.uuid4().hex[:8]}"
    with host.api_client() as api:
        core = k8s.CoreV1Api(api)
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=name)))
        for sa in ("deployer", "bridge"):
            core.create_namespaced_service_account(
                name, k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name=sa))
            )
    yield name
    with host.api_client() as api:
        k8s.CoreV1Api(api).delete_namespace(name)


def request_token(host: KubeCluster, namespace: str, sa: str, audiences: list[str] | None = None) -> str:
    with host.api_client() as api:
        answer = k8s.CoreV1Api(api).create_namespaced_service_account_token(
            sa,
            namespace,
            k8s.AuthenticationV1TokenRequest(
                spec=k8s.V1TokenRequestSpec(audiences=audiences or [], expiration_seconds=600)
            ),
        )
    token: str = answer.status.token
    return token


def client_with_token(host: KubeCluster, token: str) -> k8s.ApiClient:
    config = k8s.Configuration()
    config.host = host.server
    config.ssl_ca_cert = str(host.pki.ca_cert)
    config.api_key = {"authorization": f"Bearer {token}"}
    return k8s.ApiClient(config)


def test_a_service_account_token_becomes_a_principal(host: KubeCluster, namespace: str) -> None:
    token = request_token(host, namespace, "deployer")
    with host_api_client(str(host.kubeconfig_path)) as api:  # BRIDGE_AUTH_TOKEN_REVIEW_KUBECONFIG
        auth = TokenReviewAuthenticator(KubeTokenReviewer(api))
        principal = auth.authenticate(RequestFacts(bearer=token))
        assert principal is not None
        assert principal.name == f"system:serviceaccount:{namespace}:deployer"
        assert f"system:serviceaccounts:{namespace}" in principal.groups
        assert principal.source is AuthSource.TOKEN_REVIEW
        with pytest.raises(Unauthenticated):
            auth.authenticate(RequestFacts(bearer=token[:-4] + "AAAA"))
        with pytest.raises(Unauthenticated):
            auth.authenticate(RequestFacts(bearer="not-a-jwt"))


def test_audiences_must_match(host: KubeCluster, namespace: str) -> None:
    ours = request_token(host, namespace, "deployer", ["jenkins-bridge"])
    theirs = request_token(host, namespace, "deployer", ["something-else"])
    with host.api_client() as api:
        auth = TokenReviewAuthenticator(KubeTokenReviewer(api), audiences=["jenkins-bridge"])
        principal = auth.authenticate(RequestFacts(bearer=ours))
        assert principal is not None and principal.name.endswith(":deployer")
        with pytest.raises(Unauthenticated):
            auth.authenticate(RequestFacts(bearer=theirs))


def test_the_bridge_needs_auth_delegator(host: KubeCluster, namespace: str) -> None:
    """Reviewing as a plain service account is a typed error; with system:auth-delegator it works."""
    reviewed = request_token(host, namespace, "deployer")
    bridge_token = request_token(host, namespace, "bridge")
    with client_with_token(host, bridge_token) as api, pytest.raises(UpstreamError, match="RBAC"):
        KubeTokenReviewer(api).review(reviewed, audiences=())
    binding = k8s.V1ClusterRoleBinding(
        metadata=k8s.V1ObjectMeta(name=f"{namespace}-bridge-auth-delegator"),
        role_ref=k8s.V1RoleRef(
            api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="system:auth-delegator"
        ),
        subjects=[k8s.RbacV1Subject(kind="ServiceAccount", name="bridge", namespace=namespace)],
    )
    with host.api_client() as api:
        k8s.RbacAuthorizationV1Api(api).create_cluster_role_binding(binding)
    try:
        with client_with_token(host, bridge_token) as api:
            result = _eventually_reviewed(KubeTokenReviewer(api), reviewed)
        assert result.authenticated and result.username.endswith(":deployer")
    finally:
        with host.api_client() as api:
            k8s.RbacAuthorizationV1Api(api).delete_cluster_role_binding(binding.metadata.name)


def _eventually_reviewed(reviewer: KubeTokenReviewer, token: str, timeout: float = 10.0) -> ReviewResult:
    """RBAC for TokenReview applies within moments of the binding: until then the review is refused."""
    return wait_until(
        lambda: reviewer.review(token, audiences=()),
        timeout=timeout,
        interval=0.1,
        what="TokenReview to be allowed",
        retry_on=(UpstreamError,),
    )


def test_a_service_account_calls_the_api(host: KubeCluster, namespace: str, tmp_path: Path) -> None:
    """End to end: the bearer is reviewed by the apiserver; roles are granted to the SA's groups."""
    from bridge.app import create_app
    from bridge.bootstrap import build_container
    from tests.fixtures.app import ADMIN_TOKEN, make_settings
    from tests.fixtures.leaks import register_secret

    token = request_token(host, namespace, "deployer", ["jenkins-bridge"])
    register_secret(token)
    settings = make_settings(
        tmp_path, BRIDGE_AUTH_TOKEN_REVIEW="true", BRIDGE_AUTH_TOKEN_REVIEW_AUDIENCES="jenkins-bridge"
    )
    with host.api_client() as api:
        container = build_container(settings, token_reviewer=KubeTokenReviewer(api))
        try:
            client = create_app(container=container).test_client()
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            me = {"Authorization": f"Bearer {token}"}
            assert client.post("/api/v1/workspaces", json={"name": "ws"}, headers=admin).status_code == 201
            assert (
                client.post(
                    "/api/v1/projects", json={"name": "demo", "workspace": "ws"}, headers=admin
                ).status_code
                == 201
            )
            assert client.get("/api/v1/projects/demo", headers=me).status_code == 404
            grant = {"subject": f"system:serviceaccounts:{namespace}", "kind": "group", "role": "operator"}
            assert client.post("/api/v1/projects/demo/members", json=grant, headers=admin).status_code == 200
            assert client.get("/api/v1/projects/demo", headers=me).status_code == 200
            who = client.get("/api/v1/whoami", headers=me).json
            assert who["user"] == f"system:serviceaccount:{namespace}:deployer"
            assert who["authenticated_by"] == "token-review"
            forged = {"Authorization": f"Bearer {token[:-6]}AAAAAA"}
            assert client.get("/api/v1/projects/demo", headers=forged).status_code == 401
        finally:
            container.close()
