"""ServiceAccount tokens: TokenRequest issues them, TokenReview accepts them, RBAC limits what they may do."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping

import pytest
from kubernetes import client as k8s

from tests.fixtures.kube import KubeCluster
from tests.waiting import wait_until

pytestmark = pytest.mark.kube


@pytest.fixture
def service_account(kube_clusters: Mapping[str, KubeCluster]) -> Iterator[tuple[str, str]]:
    """A namespace and a ServiceAccount in it on ``rohan`` (no controller creates either for us)."""
    namespace, name = f"tokens-{uuid.uuid4().hex[:8]}", "deployer"
    with kube_clusters["rohan"].api_client() as api:
        core = k8s.CoreV1Api(api)
        core.create_namespace(k8s.V1Namespace(metadata=k8s.V1ObjectMeta(name=namespace)))
        core.create_namespaced_service_account(
            namespace, k8s.V1ServiceAccount(metadata=k8s.V1ObjectMeta(name=name))
        )
    yield namespace, name


def _request_token(cluster: KubeCluster, namespace: str, name: str) -> str:
    with cluster.api_client() as api:
        answer = k8s.CoreV1Api(api).create_namespaced_service_account_token(
            name,
            namespace,
            k8s.AuthenticationV1TokenRequest(
                spec=k8s.V1TokenRequestSpec(audiences=[], expiration_seconds=600)
            ),
        )
    token: str = answer.status.token
    return token


def _review(cluster: KubeCluster, token: str) -> k8s.V1TokenReviewStatus:
    with cluster.api_client() as api:
        review = k8s.AuthenticationV1Api(api).create_token_review(
            k8s.V1TokenReview(spec=k8s.V1TokenReviewSpec(token=token))
        )
    return review.status


def _as_token(cluster: KubeCluster, token: str) -> k8s.ApiClient:
    config = k8s.Configuration()
    config.host = cluster.server
    config.ssl_ca_cert = str(cluster.pki.ca_cert)
    config.api_key = {"authorization": f"Bearer {token}"}
    return k8s.ApiClient(config)


def _eventual_status(call: Callable[[], int], timeout: float = 10.0) -> int:
    """RBAC's authorizer reads bindings from an informer cache: a new binding applies within moments."""

    def attempt() -> int | None:
        try:
            return call()
        except k8s.ApiException as e:
            return None if e.status == 403 else int(e.status)  # 403: the binding is not applied yet

    return wait_until(attempt, timeout=timeout, interval=0.1, what="the new binding to apply")


def test_token_review_accepts_a_requested_token(
    kube_clusters: Mapping[str, KubeCluster], service_account: tuple[str, str]
) -> None:
    namespace, name = service_account
    token = _request_token(kube_clusters["rohan"], namespace, name)
    status = _review(kube_clusters["rohan"], token)
    assert status.authenticated is True
    assert status.user.username == f"system:serviceaccount:{namespace}:{name}"
    assert f"system:serviceaccounts:{namespace}" in status.user.groups
    assert status.audiences == ["https://rohan.kubernetes.default.svc"]


def test_token_of_one_cluster_is_not_accepted_by_another(
    kube_clusters: Mapping[str, KubeCluster], service_account: tuple[str, str]
) -> None:
    token = _request_token(kube_clusters["rohan"], *service_account)
    status = _review(kube_clusters["gondor"], token)
    assert not status.authenticated
    assert not status.user or not status.user.username


def test_rbac_forbids_until_a_role_binding_allows(
    kube_clusters: Mapping[str, KubeCluster], service_account: tuple[str, str]
) -> None:
    rohan = kube_clusters["rohan"]
    namespace, name = service_account
    token = _request_token(rohan, namespace, name)
    with _as_token(rohan, token) as api, pytest.raises(k8s.ApiException) as caught:
        k8s.CoreV1Api(api).list_namespaced_config_map(namespace)
    assert caught.value.status == 403

    with rohan.api_client() as api:
        rbac = k8s.RbacAuthorizationV1Api(api)
        rbac.create_namespaced_role(
            namespace,
            k8s.V1Role(
                metadata=k8s.V1ObjectMeta(name="read-config"),
                rules=[k8s.V1PolicyRule(api_groups=[""], resources=["configmaps"], verbs=["get", "list"])],
            ),
        )
        rbac.create_namespaced_role_binding(
            namespace,
            k8s.V1RoleBinding(
                metadata=k8s.V1ObjectMeta(name="read-config"),
                role_ref=k8s.V1RoleRef(
                    api_group="rbac.authorization.k8s.io", kind="Role", name="read-config"
                ),
                subjects=[k8s.RbacV1Subject(kind="ServiceAccount", name=name, namespace=namespace)],
            ),
        )
    with _as_token(rohan, token) as api:
        core = k8s.CoreV1Api(api)
        assert _eventual_status(lambda: core.list_namespaced_config_map_with_http_info(namespace)[1]) == 200
        with pytest.raises(k8s.ApiException) as still:
            core.list_namespaced_secret(namespace)
        assert still.value.status == 403
