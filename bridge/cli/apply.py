"""`jenkins-bridge apply -f FILE.yaml`: declare workspaces, projects, credentials and pipelines.

Goes through the service layer (same validation, dirty-key queue and sync states as the API), so
the worker provisions the result. Idempotent: objects that already match are left alone (nothing
re-queued); others are created or updated, each write audited like an API write, in the write's own
transaction (actor ``cli:<account of the uid>``, source ``cli``, see ``bridge.cli.operator_audit``).
Credential values may be written ``${NAME}`` to read environment variable ``NAME``; a missing variable
is an error before anything is written.

The file is checked with the API's own request models (``WorkspaceIn``, ``ProjectIn``,
``CredentialIn``, ``PipelineIn``): an unknown key or a bad value is an error naming the file, the line
and the key, and nothing is written until the whole file is valid.

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
from typing import TYPE_CHECKING, Any

import click
import yaml
from pydantic import Field, ValidationError

from bridge.api.schemas.common import Input
from bridge.api.schemas.credentials import CredentialIn
from bridge.api.schemas.pipelines import PipelineIn
from bridge.api.schemas.projects import ProjectIn
from bridge.api.schemas.workspaces import WorkspaceIn
from bridge.domain.model import Credential, Pipeline, Project, Workspace
from bridge.errors import BridgeError, InvalidRequest, NotFound

if TYPE_CHECKING:
    from bridge.bootstrap import Container

#: The C loader is much faster on large files; both are safe loaders.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: A position in the document: mapping keys and list indexes, as pydantic reports error locations.
Loc = tuple[str | int, ...]


class ProjectFileIn(ProjectIn):
    """A project as the file declares it: the API's project body plus its credentials and pipelines."""

    credentials: list[CredentialIn] = Field(default_factory=list)
    pipelines: list[PipelineIn] = Field(default_factory=list)


class ApplyFile(Input):
    workspaces: list[WorkspaceIn] = Field(default_factory=list)
    projects: list[ProjectFileIn] = Field(default_factory=list)


def expand(value: str, environ: Mapping[str, str], *, where: str) -> str:
    """Replace ``${NAME}`` with the environment's value; a missing one is an error naming it."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise InvalidRequest(f"{where}: environment variable {name} is not set")
        return environ[name]

    return _ENV.sub(lookup, value)


def load(path: Path, environ: Mapping[str, str]) -> list[Workspace | Project | Credential | Pipeline]:
    """The objects a file declares, in dependency order; raises InvalidRequest naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.load(text, Loader=_LOADER)  # noqa: S506 - the safe loader (libyaml's when installed)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise InvalidRequest(f"{path}: cannot read: {e}") from None
    found: dict[Loc, int] = {}

    def lines() -> dict[Loc, int]:
        """Line numbers by position, only read when a message needs one."""
        if not found:
            node = yaml.compose(text, Loader=_LOADER)
            if node is not None:
                _lines(node, (), found)
        return found

    try:
        parsed = ApplyFile.model_validate({} if doc is None else doc)
    except ValidationError as e:
        raise InvalidRequest(_describe(path, e, lines())) from None
    objects: list[Workspace | Project | Credential | Pipeline] = []
    objects += [ws.to_domain() for ws in parsed.workspaces]
    for i, p in enumerate(parsed.projects):
        objects.append(p.to_domain())
        for j, c in enumerate(p.credentials):
            where = f"{path}:{lines().get(('projects', i, 'credentials', j), 0)}: credential {p.name}/{c.id}"
            data = {k: expand(v, environ, where=where) for k, v in c.data.items()}
            objects.append(c.model_copy(update={"data": data}).to_domain(p.name))
        objects += [pl.to_domain(p.name) for pl in p.pipelines]
    return objects


def _lines(node: yaml.Node, loc: Loc, out: dict[Loc, int]) -> None:
    """The line (1-based) of every key and list item of a composed YAML document."""
    out.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*loc, str(key.value))
            out[child] = key.start_mark.line + 1
            _lines(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*loc, index), out)


def _describe(path: Path, e: ValidationError, lines: dict[Loc, int]) -> str:
    """One line per problem: ``file:line: where: what`` (never the offending value: it may be secret)."""
    problems: list[tuple[int, str]] = []
    for err in e.errors(include_url=False, include_input=False, include_context=False):
        loc: Loc = tuple(err["loc"])
        known = next((loc[:n] for n in range(len(loc), -1, -1) if loc[:n] in lines), ())
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "document"
        what = f"unknown key {loc[-1]!r}" if err["type"] == "extra_forbidden" else err["msg"]
        problems.append((lines.get(known, 1), f"{path}:{lines.get(known, 1)}: {where}: {what}"))
    return "\n".join(text for _, text in sorted(problems, key=lambda p: p[0]))


def apply_objects(container: Container, objects: list[Any], echo: Callable[[str], None]) -> dict[str, int]:
    """Create or update each object through the services, auditing each write; returns counts by outcome."""
    from bridge.cli.operator_audit import recording

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    ident: tuple[str, ...]
    for obj in objects:
        if isinstance(obj, Workspace):
            svc: Any = container.workspaces
            label, ident = f"workspace {obj.name}", (obj.name,)
            kind, path, project = "workspace", f"workspaces/{obj.name}", None
        elif isinstance(obj, Project):
            svc = container.projects
            label, ident = f"project {obj.name}", (obj.name,)
            kind, path, project = "project", f"projects/{obj.name}", obj.name
        elif isinstance(obj, Credential):
            svc = container.credentials
            label, ident = f"credential {obj.project}/{obj.id}", (obj.project, obj.id)
            kind, path, project = "credential", f"projects/{obj.project}/credentials/{obj.id}", obj.project
        else:
            svc = container.pipelines
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
            with recording(container.store.engine, action=action, path=f"apply/{path}", project=project):
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
    from bridge.bootstrap import build_container
    from bridge.settings import Settings

    try:
        objects = load(path, os.environ)
        container = build_container(Settings.load(os.environ))
        try:
            counts = apply_objects(container, objects, click.echo)
        finally:
            container.close()
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items()) + "; the worker provisions Jenkins")
