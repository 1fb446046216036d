"""Pipeline definitions to and from the JSON document stored in ``pipelines.spec``.

The document is versionless on purpose: new optional fields get defaults when read, so old rows stay
readable without a data migration.
"""

from __future__ import annotations

from typing import Any

from bridge.domain.model import Discarder, Parameter, ParameterType, Pipeline, ScmSource


def pipeline_spec(p: Pipeline) -> dict[str, Any]:
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
        "parameters": [
            {
                "name": x.name,
                "type": x.type.value,
                "default": x.default,
                "choices": list(x.choices),
                "description": x.description,
            }
            for x in p.parameters
        ],
        "discarder": None
        if p.discarder is None
        else {"days": p.discarder.days, "builds": p.discarder.builds},
        "concurrent": p.concurrent,
        "cron": p.cron,
    }


def pipeline_from(project: str, name: str, description: str, spec: dict[str, Any]) -> Pipeline:
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
        parameters=tuple(
            Parameter(
                name=x["name"],
                type=ParameterType(x.get("type", "string")),
                default=x.get("default"),
                choices=tuple(x.get("choices", ())),
                description=x.get("description", ""),
            )
            for x in spec.get("parameters", ())
        ),
        discarder=None
        if discarder is None
        else Discarder(days=discarder.get("days"), builds=discarder.get("builds")),
        concurrent=spec.get("concurrent", True),
        cron=spec.get("cron"),
    )
