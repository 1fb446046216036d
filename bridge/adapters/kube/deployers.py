"""Scoped deploy credentials on a member cluster, through the cluster's own kubeconfig (implements
``bridge.reconcile.scoped.DeployerPort``).

Per project: a ServiceAccount in the deployers' namespace (created, labelled, when missing), a
RoleBinding per granted (namespace, ClusterRole), tokens through the TokenRequest API
(``POST .../serviceaccounts/{name}/token``), and their removal. Every object carries the labels of
``bridge.domain.scoped.labels``; an object of the same name without them is never changed or deleted
(``Refused`` says so). Nothing cluster-wide is created except the deployers' namespace itself.
A refusal names the verb and the resource the kubeconfig lacks (``Refused``), never a body or a header.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import yaml
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from bridge.adapters.kube.kubeconfigs import load
from bridge.adapters.kube.reachability import ClusterClients, describe
from bridge.domain.scoped import (
    MANAGED_BY_LABEL,
    MANAGED_BY_VALUE,
    Grant,
    Minted,
    Refused,
    account_name,
    binding_name,
    is_ours,
    labels,
)
from bridge.log import SECRETS

RBAC = "rbac.authorization.k8s.io"


def scoped_kubeconfig(cluster: str, admin: str, token: str, *, user: str, namespace: str | None) -> str:
    """A kubeconfig for ``cluster`` (its server and CA from the cluster's own kubeconfig) that
    authenticates with ``token`` only; its context's namespace is ``namespace``."""
    document = load(admin)
    entry = dict(document["clusters"][0]["cluster"])
    kept = (
        "server",
        "certificate-authority-data",
        "insecure-skip-tls-verify",
        "tls-server-name",
        "proxy-url",
    )
    context: dict[str, Any] = {"cluster": cluster, "user": user}
    if namespace:
        context["namespace"] = namespace
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": {k: entry[k] for k in kept if k in entry}}],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": cluster, "context": context}],
            "current-context": cluster,
        },
        sort_keys=True,
    )


class KubeDeployers:
    def __init__(self, *, namespace: str, timeout: float) -> None:
        self._namespace, self._timeout = namespace, timeout
        self._clients = ClusterClients()

    # --- the ServiceAccount -----------------------------------------------------------------------

    def ensure_account(self, cluster: str, kubeconfig: str, project: str) -> None:
        """The deployers' namespace and the project's ServiceAccount, created when missing."""
        core = k8s.CoreV1Api(self._clients.get(cluster, kubeconfig))
        ns = self._namespace
        found = self._get(
            cluster, lambda: core.read_namespace(ns, _request_timeout=self._timeout), "get", "namespaces", ns
        )
        if found is None:
            body = k8s.V1Namespace(
                metadata=k8s.V1ObjectMeta(name=ns, labels={MANAGED_BY_LABEL: MANAGED_BY_VALUE})
            )
            self._create(
                cluster, lambda: core.create_namespace(body, _request_timeout=self._timeout), "namespaces", ns
            )
        name = account_name(project)
        found = self._get(
            cluster,
            lambda: core.read_namespaced_service_account(name, ns, _request_timeout=self._timeout),
            "get",
            "serviceaccounts",
            ns,
        )
        if found is not None:
            if not is_ours(found.metadata.labels, project):
                raise Refused(
                    f"ServiceAccount {ns}/{name} on cluster {cluster!r} exists but was not created by "
                    "jenkins-bridge (labels missing); it is left alone: rename or delete it"
                )
            return
        sa = k8s.V1ServiceAccount(
            metadata=k8s.V1ObjectMeta(name=name, namespace=ns, labels=labels(project)),
            automount_service_account_token=False,
        )
        self._create(
            cluster,
            lambda: core.create_namespaced_service_account(ns, sa, _request_timeout=self._timeout),
            "serviceaccounts",
            ns,
        )

    def remove_account(self, cluster: str, kubeconfig: str, project: str) -> None:
        """Delete the project's ServiceAccount: every token it was issued stops authenticating."""
        core = k8s.CoreV1Api(self._clients.get(cluster, kubeconfig))
        ns, name = self._namespace, account_name(project)
        found = self._get(
            cluster,
            lambda: core.read_namespaced_service_account(name, ns, _request_timeout=self._timeout),
            "get",
            "serviceaccounts",
            ns,
        )
        if found is None or not is_ours(found.metadata.labels, project):
            return
        self._delete(
            cluster,
            lambda: core.delete_namespaced_service_account(name, ns, _request_timeout=self._timeout),
            "serviceaccounts",
            ns,
        )

    # --- RoleBindings -----------------------------------------------------------------------------

    def bind(self, cluster: str, kubeconfig: str, project: str, grant: Grant) -> bool:
        """The RoleBinding of ``grant``; True when it was created or corrected now."""
        rbac = k8s.RbacAuthorizationV1Api(self._clients.get(cluster, kubeconfig))
        name, ns = binding_name(project, grant.cluster_role), grant.namespace
        body = k8s.V1RoleBinding(
            metadata=k8s.V1ObjectMeta(name=name, namespace=ns, labels=labels(project)),
            role_ref=k8s.V1RoleRef(api_group=RBAC, kind="ClusterRole", name=grant.cluster_role),
            subjects=[
                k8s.RbacV1Subject(
                    kind="ServiceAccount", name=account_name(project), namespace=self._namespace
                )
            ],
        )
        found = self._get(
            cluster,
            lambda: rbac.read_namespaced_role_binding(name, ns, _request_timeout=self._timeout),
            "get",
            "rolebindings." + RBAC,
            ns,
        )
        if found is not None:
            if not is_ours(found.metadata.labels, project):
                raise Refused(
                    f"RoleBinding {ns}/{name} on cluster {cluster!r} exists but was not created by "
                    "jenkins-bridge (labels missing); it is left alone: rename or delete it"
                )
            if _same_binding(found, body):
                return False
            # roleRef cannot change: delete and create again
            self._delete(
                cluster,
                lambda: rbac.delete_namespaced_role_binding(name, ns, _request_timeout=self._timeout),
                "rolebindings." + RBAC,
                ns,
            )
        self._create(
            cluster,
            lambda: rbac.create_namespaced_role_binding(ns, body, _request_timeout=self._timeout),
            "rolebindings." + RBAC,
            ns,
            role=grant.cluster_role,
        )
        return True

    def unbind(self, cluster: str, kubeconfig: str, project: str, grant: Grant) -> None:
        """Delete the RoleBinding of ``grant`` when it is ours (gone already: fine)."""
        rbac = k8s.RbacAuthorizationV1Api(self._clients.get(cluster, kubeconfig))
        name, ns = binding_name(project, grant.cluster_role), grant.namespace
        found = self._get(
            cluster,
            lambda: rbac.read_namespaced_role_binding(name, ns, _request_timeout=self._timeout),
            "get",
            "rolebindings." + RBAC,
            ns,
        )
        if found is None or not is_ours(found.metadata.labels, project):
            return
        self._delete(
            cluster,
            lambda: rbac.delete_namespaced_role_binding(name, ns, _request_timeout=self._timeout),
            "rolebindings." + RBAC,
            ns,
        )

    # --- tokens -----------------------------------------------------------------------------------

    def mint(
        self,
        cluster: str,
        kubeconfig: str,
        project: str,
        *,
        audiences: Sequence[str],
        seconds: int,
        namespace: str | None,
    ) -> Minted:
        """A TokenRequest for the project's ServiceAccount, as a kubeconfig; the expiry is the one the
        apiserver answers (it caps the request at its maximum)."""
        core = k8s.CoreV1Api(self._clients.get(cluster, kubeconfig))
        name, ns = account_name(project), self._namespace
        body = k8s.AuthenticationV1TokenRequest(
            spec=k8s.V1TokenRequestSpec(audiences=list(audiences), expiration_seconds=seconds)
        )
        issued = datetime.now(UTC)
        answer: Any = _ask(
            cluster,
            lambda: core.create_namespaced_service_account_token(
                name, ns, body, _request_timeout=self._timeout
            ),
            "create",
            "serviceaccounts/token",
            ns,
            absent=None,
        )
        token = str(answer.status.token)
        SECRETS.replace(("scoped-token", cluster, project), [token])
        expires = answer.status.expiration_timestamp
        expires = expires.astimezone(UTC) if expires.tzinfo else expires.replace(tzinfo=UTC)
        text = scoped_kubeconfig(cluster, kubeconfig, token, user=f"{ns}:{name}", namespace=namespace)
        return Minted(kubeconfig=text, issued_at=issued, expires_at=expires)

    # --- helpers ----------------------------------------------------------------------------------

    def _get(self, cluster: str, call: Any, verb: str, resource: str, namespace: str) -> Any:
        """``call``'s answer; None when the object does not exist."""
        return _ask(cluster, call, verb, resource, namespace, absent=404)

    def _create(
        self, cluster: str, call: Any, resource: str, namespace: str, *, role: str | None = None
    ) -> None:
        """Create; one that exists already (409) is fine."""
        _ask(cluster, call, "create", resource, namespace, absent=409, role=role)

    def _delete(self, cluster: str, call: Any, resource: str, namespace: str) -> None:
        """Delete; one gone already (404) is fine."""
        _ask(cluster, call, "delete", resource, namespace, absent=404)

    def close(self) -> None:
        self._clients.close()


def _ask(
    cluster: str,
    call: Any,
    verb: str,
    resource: str,
    namespace: str,
    *,
    absent: int | None,
    role: str | None = None,
) -> Any:
    """``call()``; None when the apiserver answers ``absent``, else a refusal becomes ``Refused``."""
    try:
        return call()
    except ApiException as e:
        if absent is not None and e.status == absent:
            return None
        raise Refused(_refusal(cluster, e, verb, resource, namespace, role=role)) from None
    except Exception as e:
        raise Refused(f"cluster {cluster!r} did not answer: {describe(e)}") from None


def _same_binding(found: Any, wanted: k8s.V1RoleBinding) -> bool:
    ref = found.role_ref
    subjects = [(s.kind, s.name, s.namespace) for s in found.subjects or []]
    want = [(s.kind, s.name, s.namespace) for s in wanted.subjects or []]
    return bool(ref.kind == "ClusterRole" and ref.name == wanted.role_ref.name and subjects == want)


def _refusal(
    cluster: str, e: ApiException, verb: str, resource: str, namespace: str, *, role: str | None = None
) -> str:
    where = f"in namespace {namespace!r}" if resource != "namespaces" else f"({namespace!r})"
    if e.status == 403 and role is not None and "escalat" in str(e.body or "").lower():
        return (
            f"the kubeconfig of cluster {cluster!r} may not bind ClusterRole {role!r} {where}: it needs "
            f"'bind' on clusterroles.{RBAC} {role!r}, or every permission of that role (HTTP 403)"
        )
    if e.status == 401:
        return f"the kubeconfig of cluster {cluster!r} was refused (HTTP 401): its credentials are not valid"
    if e.status == 403:
        return (
            f"the kubeconfig of cluster {cluster!r} may not {verb} {resource} {where} (HTTP 403): grant it "
            f"'{verb}' on {resource} there, or set the cluster's credential policy to full"
        )
    if e.status == 404 and resource.startswith("rolebindings"):
        return f"namespace {namespace!r} does not exist on cluster {cluster!r} (see the target's preflight)"
    return f"{verb} {resource} {where} on cluster {cluster!r} failed: {describe(e)}"
