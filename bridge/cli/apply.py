"""`jenkins-bridge apply -f FILE.yaml`: declare workspaces, projects, credentials and pipelines.

Goes through the service layer (same validation, dirty-key queue and sync states as the API), so
the worker provisions the result. Idempotent: objects that already match are left alone (nothing
re-queued); others are created or updated, each write audited like an API write, in the write's own
transaction (actor ``cli:<account of the uid>``, source ``cli``, see ``bridge.cli.operator_audit``).
Credential values may be written ``${NAME}`` to read environment variable ``NAME``; a missing variable
is an error before anything is written.

    workspaces: [{name: ws, description: ..., clusters: [...]}]
    projects:
      - name: demo
        workspace: ws
        description: ...
        credentials:
          - {id: git, type: basic-auth, data: {username: bot, password: "${GIT_PASSWORD}"}}
        pipelines:
          - name: build
            jenkinsfile: |
              pipeline { ... }
            # or scm: {url: ..., branch: main, credential: git, script_path: Jenkinsfile}
            parameters: [{name: TAG, type: string, default: latest, description: ...}]
            discarder: {days: 7, builds: 20}
            concurrent: false
            cron: H 2 * * *
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
import yaml

from bridge.domain.model import (
    Credential,
    CredentialType,
    Discarder,
    Parameter,
    ParameterType,
    Pipeline,
    Project,
    ScmSource,
    SecretData,
    Workspace,
)
from bridge.errors import BridgeError, InvalidRequest, NotFound

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand(value: str, environ: Mapping[str, str], *, where: str) -> str:
    """Replace ``${NAME}`` with the environment's value; a missing one is an error naming it."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise InvalidRequest(f"{where}: environment variable {name} is not set")
        return environ[name]

    return _ENV.sub(lookup, value)


def load(path: Path, environ: Mapping[str, str]) -> list[Workspace | Project | Credential | Pipeline]:
    """The objects a file declares, in dependency order; raises InvalidRequest with the location."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise InvalidRequest(f"{path}: cannot read: {e}") from None
    if not isinstance(doc, dict):
        raise InvalidRequest(f"{path}: expected a mapping with workspaces and projects")
    objects: list[Workspace | Project | Credential | Pipeline] = []
    try:
        for ws in doc.get("workspaces") or []:
            objects.append(Workspace(ws["name"], ws.get("description", ""), tuple(ws.get("clusters") or ())))
        for p in doc.get("projects") or []:
            name = p["name"]
            objects.append(Project(name, p["workspace"], p.get("cluster"), p.get("description", "")))
            for c in p.get("credentials") or []:
                where = f"project {name} credential {c['id']}"
                data = {
                    str(k): expand(str(v), environ, where=where) for k, v in (c.get("data") or {}).items()
                }
                objects.append(
                    Credential(
                        name, c["id"], CredentialType(c["type"]), SecretData(data), c.get("description", "")
                    )
                )
            for pl in p.get("pipelines") or []:
                objects.append(_pipeline(name, pl))
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidRequest(f"{path}: invalid or missing field: {e}") from None
    return objects


def _pipeline(project: str, pl: dict[str, Any]) -> Pipeline:
    scm = pl.get("scm")
    discarder = pl.get("discarder")
    return Pipeline(
        project=project,
        name=pl["name"],
        description=pl.get("description", ""),
        jenkinsfile=pl.get("jenkinsfile"),
        scm=ScmSource(**scm) if scm else None,
        parameters=tuple(
            Parameter(
                name=x["name"],
                type=ParameterType(x.get("type", "string")),
                default=x.get("default"),
                choices=tuple(x.get("choices") or ()),
                description=x.get("description", ""),
            )
            for x in pl.get("parameters") or []
        ),
        discarder=Discarder(**discarder) if discarder else None,
        concurrent=bool(pl.get("concurrent", True)),
        cron=pl.get("cron"),
    )


def apply_objects(store: Any, objects: list[Any], echo: Callable[[str], None]) -> dict[str, int]:
    """Create or update each object through the services, auditing each write; returns counts by outcome."""
    from bridge.cli.operator_audit import recording
    from bridge.services.credentials import CredentialService
    from bridge.services.pipelines import PipelineService
    from bridge.services.projects import ProjectService
    from bridge.services.workspaces import WorkspaceService

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    ident: tuple[str, ...]
    for obj in objects:
        if isinstance(obj, Workspace):
            svc: Any = WorkspaceService(store)
            label, ident = f"workspace {obj.name}", (obj.name,)
            kind, path, project = "workspace", f"workspaces/{obj.name}", None
        elif isinstance(obj, Project):
            svc = ProjectService(store)
            label, ident = f"project {obj.name}", (obj.name,)
            kind, path, project = "project", f"projects/{obj.name}", obj.name
        elif isinstance(obj, Credential):
            svc = CredentialService(store)
            label, ident = f"credential {obj.project}/{obj.id}", (obj.project, obj.id)
            kind, path, project = "credential", f"projects/{obj.project}/credentials/{obj.id}", obj.project
        else:
            svc = PipelineService(store)
            label, ident = f"pipeline {obj.project}/{obj.name}", (obj.project, obj.name)
            kind, path, project = "pipeline", f"projects/{obj.project}/pipelines/{obj.name}", obj.project
        try:
            # Credentials are compared with their values; every other get is metadata enough.
            current = svc.current(*ident) if isinstance(obj, Credential) else svc.get(*ident).obj
        except NotFound:
            current, outcome = None, "created"
        else:
            outcome = "unchanged" if current == obj else "updated"
        if outcome != "unchanged":
            # Same action names as the API's permissions; creating a credential or pipeline is a write.
            # The entry commits in the transaction of the change: a failed write leaves none.
            action = (
                f"{kind}.create"
                if outcome == "created" and kind in ("workspace", "project")
                else f"{kind}.write"
            )
            with recording(store.engine, action=action, path=f"apply/{path}", project=project):
                if current is None:
                    svc.create(obj)
                else:
                    _update(svc, obj)
        counts[outcome] += 1
        echo(f"{outcome:<9} {label}")
    return counts


def _update(svc: Any, obj: Any) -> None:
    if isinstance(obj, Workspace):
        svc.update(obj.name, description=obj.description, clusters=obj.clusters)
    elif isinstance(obj, Project):
        svc.update(obj.name, workspace=obj.workspace, cluster=obj.cluster, description=obj.description)
    elif isinstance(obj, Credential):
        svc.update(obj.project, obj.id, type=obj.type, description=obj.description, data=dict(obj.data))
    else:
        fields = {k: getattr(obj, k) for k in obj.__dataclass_fields__ if k not in ("project", "name")}
        svc.update(obj.project, obj.name, **fields)


@click.command()
@click.option(
    "-f", "--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
def apply(path: Path) -> None:
    """Apply a declarative YAML file of workspaces, projects, credentials and pipelines."""
    from bridge.settings import Settings
    from bridge.store.unit import Store

    try:
        objects = load(path, os.environ)
        store = Store.from_settings(Settings.load(os.environ))
        store.migrate()
        try:
            counts = apply_objects(store, objects, click.echo)
        finally:
            store.close()
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items()) + "; the worker provisions Jenkins")
