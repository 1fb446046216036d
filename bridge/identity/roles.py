"""Roles, permissions and the table that joins them.

Three roles, each including the one before: ``viewer`` reads everything except secret values,
``operator`` also runs, stops, reruns and answers input steps, ``admin`` also edits the project's
pipelines, credentials and members. A role is granted to a user or a group on one project, or on a
workspace (then it holds on every project of that workspace, and a workspace ``admin`` also creates
projects there). Platform admins may do everything.

``RULES`` names the permission of every API route (the route registry refers to these names) and says
which scope and role it needs. A route whose permission has no rule is refused, and a test walks the
registry so that cannot ship.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Role(enum.IntEnum):
    """Ordered: a higher role includes every permission of a lower one."""

    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown role {text!r}: use viewer, operator or admin") from None


class RuleScope(enum.StrEnum):
    PUBLIC = "public"  # no authentication (health, OpenAPI document)
    #: no bearer token: the request proves itself by a signature the view verifies (push webhooks)
    SIGNATURE = "signature"
    AUTHENTICATED = "authenticated"  # any caller; the handler filters what it returns
    PROJECT = "project"  # a role on the project named by the route's {project}
    WORKSPACE = "workspace"  # a role on the workspace named by {workspace} or the body's "workspace"
    PLATFORM = "platform"  # platform admins only


@dataclass(frozen=True)
class Rule:
    scope: RuleScope
    role: Role | None = None  # for PROJECT and WORKSPACE


P, W = RuleScope.PROJECT, RuleScope.WORKSPACE
VIEWER, OPERATOR, ADMIN = Role.VIEWER, Role.OPERATOR, Role.ADMIN

RULES: Mapping[str, Rule] = {
    "public": Rule(RuleScope.PUBLIC),
    "authenticated": Rule(RuleScope.AUTHENTICATED),
    # push deliveries: authenticated by the HMAC (or token) of a watching pipeline's secret
    "webhook.deliver": Rule(RuleScope.SIGNATURE),
    # platform
    "audit.read": Rule(RuleScope.PLATFORM),
    "workspace.create": Rule(RuleScope.PLATFORM),
    "workspace.delete": Rule(RuleScope.PLATFORM),
    "sync.read": Rule(RuleScope.PLATFORM),  # the summary names every project's errors
    "metrics.read": Rule(RuleScope.PLATFORM),  # /metrics (or BRIDGE_METRICS_PORT, unauthenticated)
    "sync.request": Rule(RuleScope.PLATFORM),  # a full pass over every project
    # clusters: any caller; the handler shows only the clusters of the caller's workspaces (404 otherwise)
    "cluster.list": Rule(RuleScope.AUTHENTICATED),
    "cluster.read": Rule(RuleScope.AUTHENTICATED),
    # workspaces
    "workspace.list": Rule(RuleScope.AUTHENTICATED),
    "workspace.read": Rule(W, VIEWER),
    "workspace.write": Rule(W, ADMIN),
    # adding a cluster to a workspace entitles each of its projects to that cluster's kubeconfig and lets
    # their pipelines target it: platform admins only (workspace admins may remove clusters)
    "workspace.clusters.add": Rule(RuleScope.PLATFORM),
    "workspace.members.read": Rule(W, VIEWER),
    "workspace.members.write": Rule(W, ADMIN),
    "project.create": Rule(W, ADMIN),
    # projects
    "project.list": Rule(RuleScope.AUTHENTICATED),
    "project.read": Rule(P, VIEWER),
    "project.write": Rule(P, ADMIN),
    "project.delete": Rule(P, ADMIN),
    "project.audit": Rule(P, ADMIN),
    "project.sync": Rule(P, ADMIN),  # a full (or deep) pass over the project, queued for the worker
    "members.read": Rule(P, VIEWER),
    "members.write": Rule(P, ADMIN),
    "credential.read": Rule(P, VIEWER),
    "credential.write": Rule(P, ADMIN),
    "pipeline.read": Rule(P, VIEWER),
    "pipeline.write": Rule(P, ADMIN),
    # asks Jenkins's linter about posted text only: reveals nothing of the project, stores nothing
    "pipeline.validate": Rule(P, VIEWER),
    "run.read": Rule(P, VIEWER),
    "webhook.read": Rule(P, VIEWER),
    "webhook.redeliver": Rule(P, ADMIN),
    "run.trigger": Rule(P, OPERATOR),
    "run.stop": Rule(P, OPERATOR),
    # runs a changed Jenkinsfile: as much power as editing the pipeline
    "run.replay": Rule(P, ADMIN),
    "input.submit": Rule(P, OPERATOR),
    # the approval inbox and its event stream: any caller; only the projects the caller may see
    "approval.list": Rule(RuleScope.AUTHENTICATED),
}
