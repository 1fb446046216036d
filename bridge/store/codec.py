"""Pipeline definitions to and from the JSON document stored in ``pipelines.spec``.

The document is versionless on purpose: new optional fields get defaults when read, so old rows stay
readable without a data migration.

A password parameter's default is secret: it is stored Fernet-sealed under ``sealed_default`` (never
in clear under ``default``). A row written before sealing existed is still read (clear ``default``)
and sealed on its next write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.domain.approvals import ApprovalRules
from bridge.domain.model import (
    Discarder,
    Parameter,
    ParameterType,
    Pipeline,
    RefFilter,
    ScmSource,
    WebhookTrigger,
)
from bridge.domain.targets import DeployTarget

Seal = Callable[[str], str]


def pipeline_spec(p: Pipeline, *, seal: Seal) -> dict[str, Any]:
    return {
        "jenkinsfile": p.jenkinsfile,
        "scm": None
        if p.scm is None
        else {
            "url": p.scm.url,
            "branch": p.scm.branch,
            "credential": p.scm.credential,
            "script_path": p.scm.script_path,
        },
        "parameters": [_parameter_spec(x, seal) for x in p.parameters],
        "discarder": None
        if p.discarder is None
        else {"days": p.discarder.days, "builds": p.discarder.builds},
        "concurrent": p.concurrent,
        "cron": p.cron,
        "webhook": None if p.webhook is None else _webhook_spec(p.webhook, seal),
        "targets": [
            {"cluster": t.cluster, "namespace": t.namespace, "create_namespace": t.create_namespace}
            for t in p.targets
        ],
        "approvals": {
            "separation_of_duties": p.approvals.separation_of_duties,
            "expiry_hours": p.approvals.expiry_hours,
            "required": p.approvals.required,
        },
    }


def _webhook_spec(w: WebhookTrigger, seal: Seal) -> dict[str, Any]:
    """The trigger; its secret only sealed (``sealed_secret``)."""
    return {
        "repo_url": w.repo_url,
        "branches": {"include": list(w.branches.include), "exclude": list(w.branches.exclude)},
        "tags": {"include": list(w.tags.include), "exclude": list(w.tags.exclude)},
        "branch_parameter": w.branch_parameter,
        "parameters": [[k, v] for k, v in w.parameters],
        "sealed_secret": seal(w.secret) if w.secret else None,
        "allow_unsigned": w.allow_unsigned,
        "poll": w.poll,
    }


def _filter_from(x: Any) -> RefFilter:
    x = x or {}
    return RefFilter(include=tuple(x.get("include", ())), exclude=tuple(x.get("exclude", ())))


def webhook_from(w: dict[str, Any] | None, unseal: Seal) -> WebhookTrigger | None:
    if w is None:
        return None
    sealed = w.get("sealed_secret")
    return WebhookTrigger(
        repo_url=w.get("repo_url"),
        branches=_filter_from(w.get("branches")),
        tags=_filter_from(w.get("tags")),
        branch_parameter=w.get("branch_parameter", "BRANCH_NAME"),
        parameters=tuple((str(k), str(v)) for k, v in w.get("parameters", ())),
        secret=unseal(sealed) if sealed else None,
        allow_unsigned=bool(w.get("allow_unsigned", False)),
        poll=bool(w.get("poll", False)),
    )


def _parameter_spec(x: Parameter, seal: Seal) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": x.name,
        "type": x.type.value,
        "default": x.default,
        "choices": list(x.choices),
        "description": x.description,
    }
    if x.type is ParameterType.PASSWORD and isinstance(x.default, str):
        spec["default"] = None
        spec["sealed_default"] = seal(x.default)
    return spec


def _parameter_from(x: dict[str, Any], unseal: Seal) -> Parameter:
    default = x.get("default")
    if x.get("sealed_default") is not None:
        default = unseal(x["sealed_default"])
    return Parameter(
        name=x["name"],
        type=ParameterType(x.get("type", "string")),
        default=default,
        choices=tuple(x.get("choices", ())),
        description=x.get("description", ""),
    )


def pipeline_from(
    project: str, name: str, description: str, spec: dict[str, Any], *, unseal: Seal
) -> Pipeline:
    scm = spec.get("scm")
    discarder = spec.get("discarder")
    return Pipeline(
        project=project,
        name=name,
        description=description,
        jenkinsfile=spec.get("jenkinsfile"),
        scm=None
        if scm is None
        else ScmSource(
            url=scm["url"],
            branch=scm.get("branch", "main"),
            credential=scm.get("credential"),
            script_path=scm.get("script_path", "Jenkinsfile"),
        ),
        parameters=tuple(_parameter_from(x, unseal) for x in spec.get("parameters", ())),
        discarder=None
        if discarder is None
        else Discarder(days=discarder.get("days"), builds=discarder.get("builds")),
        concurrent=spec.get("concurrent", True),
        cron=spec.get("cron"),
        webhook=webhook_from(spec.get("webhook"), unseal),
        targets=tuple(
            DeployTarget(t["cluster"], t["namespace"], bool(t.get("create_namespace", False)))
            for t in spec.get("targets", ())
        ),
        approvals=_approvals_from(spec.get("approvals")),
    )


def _approvals_from(a: dict[str, Any] | None) -> ApprovalRules:
    a = a or {}
    return ApprovalRules(
        separation_of_duties=bool(a.get("separation_of_duties", False)),
        expiry_hours=a.get("expiry_hours"),
        required=int(a.get("required", 1)),
    )
