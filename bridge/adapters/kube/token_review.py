"""TokenReview against the host cluster (implements ``bridge.identity.token_review.TokenReviewer``).

The bridge's own service account needs ``create`` on ``tokenreviews`` (ClusterRole
``system:auth-delegator``). A bad token is not an HTTP error: the apiserver answers 201 with
``status.authenticated`` false or unset, which is an unauthenticated result. 429 and 5xx answers and
connection failures become ``UpstreamUnavailable`` (retry later); any other HTTP error becomes
``UpstreamError`` (most often the bridge's RBAC). Neither copies the response body (it could echo the
token under review).
"""

from __future__ import annotations

from collections.abc import Sequence

import urllib3
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.client.exceptions import ApiException

from bridge.errors import UpstreamError, UpstreamUnavailable
from bridge.identity.token_review import ReviewResult


def host_api_client(kubeconfig: str = "") -> k8s.ApiClient:
    """A client for the host cluster: from a kubeconfig file, or the pod's service account when empty."""
    configuration = k8s.Configuration()
    if kubeconfig:
        k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig, client_configuration=configuration
        )
    else:
        k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    return k8s.ApiClient(configuration)


class KubeTokenReviewer:
    def __init__(self, api_client: k8s.ApiClient, *, timeout: float = 5.0) -> None:
        self._api = k8s.AuthenticationV1Api(api_client)
        self._timeout = timeout

    def review(self, token: str, *, audiences: Sequence[str]) -> ReviewResult:
        body = k8s.V1TokenReview(
            api_version="authentication.k8s.io/v1",
            kind="TokenReview",
            spec=k8s.V1TokenReviewSpec(token=token, audiences=list(audiences) or None),
        )
        try:
            answer = self._api.create_token_review(body=body, _request_timeout=self._timeout)
        except ApiException as e:
            if e.status in (429,) or (e.status or 0) >= 500:
                raise UpstreamUnavailable(f"TokenReview failed with HTTP {e.status}") from None
            raise UpstreamError(
                f"TokenReview refused with HTTP {e.status} (check the bridge's RBAC)"
            ) from None
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise UpstreamUnavailable(
                f"cannot reach the Kubernetes API for TokenReview: {type(e).__name__}"
            ) from None
        status = answer.status
        if status is None:
            return ReviewResult(authenticated=False)
        user = status.user
        return ReviewResult(
            authenticated=bool(status.authenticated),
            username=(user.username or "") if user else "",
            groups=tuple(user.groups or ()) if user else (),
            audiences=tuple(status.audiences or ()),
        )
