"""What kube-controller-manager's clusterrole-aggregation controller does, for clusters that run only a
kube-apiserver (the demo's): each aggregated ClusterRole (``admin``, ``edit``, ``view``) gets the rules
of the ClusterRoles its selectors match, so a RoleBinding to ``edit`` (what ``scoped`` credentials bind
in a project's target namespaces) grants what it grants on a real cluster."""

from __future__ import annotations

from typing import Any

from kubernetes import client as k8s

from bridge.adapters.kube.reachability import api_client_for


def aggregate_cluster_roles(kubeconfig: str) -> int:
    """Fill the aggregated ClusterRoles until nothing changes (``edit`` aggregates ``view``, ``admin``
    aggregates ``edit``); returns how many updates were made."""
    updates = 0
    with api_client_for(kubeconfig) as api:
        rbac = k8s.RbacAuthorizationV1Api(api)
        changed = True
        while changed:
            changed = False
            roles = rbac.list_cluster_role().items
            for role in roles:
                rule = role.aggregation_rule
                if rule is None or not rule.cluster_role_selectors:
                    continue
                rules: list[Any] = []
                for selector in rule.cluster_role_selectors:
                    wanted = selector.match_labels or {}
                    for other in roles:
                        labels = _labels(other)
                        if _name(other) != _name(role) and all(labels.get(k) == v for k, v in wanted.items()):
                            rules += [r for r in other.rules or [] if r not in rules]
                if rules != (role.rules or []):
                    body = {"rules": [api.sanitize_for_serialization(r) for r in rules]}
                    rbac.patch_cluster_role(_name(role), body)
                    updates += 1
                    changed = True
    return updates


def _name(role: k8s.V1ClusterRole) -> str:
    return str(role.metadata.name) if role.metadata is not None else ""


def _labels(role: k8s.V1ClusterRole) -> dict[str, str]:
    return dict(role.metadata.labels or {}) if role.metadata is not None else {}
