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
    from bridge.bootstrap_writers import Writers

    #: What ``apply`` writes through: the writing services (``build_writers``) or the whole container.
    Services = Writers | Container

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


Declared = Workspace | Project | Credential | Pipeline


class Loaded:
    """The objects a file declares, in dependency order, and where each is declared."""

    def __init__(
        self, path: Path, objects: list[Declared], locs: list[Loc], lines: Callable[[], dict[Loc, int]]
    ):
        self.path, self.objects, self._locs, self._lines = path, objects, locs, lines

    def where(self, index: int) -> str:
        """``file:line`` of the object at ``index`` (the file is read for lines only when asked)."""
        return f"{self.path}:{self._lines().get(self._locs[index], 0)}"


def load(path: Path, environ: Mapping[str, str]) -> list[Declared]:
    """The objects a file declares, in dependency order; raises InvalidRequest naming file and line."""
    return read(path, environ).objects


def read(path: Path, environ: Mapping[str, str]) -> Loaded:
    """``load`` with each object's place in the file, for the messages of writes that fail."""
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
    objects: list[Declared] = []
    locs: list[Loc] = []
    for i, ws in enumerate(parsed.workspaces):
        objects.append(ws.to_domain())
        locs.append(("workspaces", i))
    for i, p in enumerate(parsed.projects):
        objects.append(p.to_domain())
        locs.append(("projects", i))
        for j, c in enumerate(p.credentials):
            where = f"{path}:{lines().get(('projects', i, 'credentials', j), 0)}: credential {p.name}/{c.id}"
            data = {k: expand(v, environ, where=where) for k, v in c.data.items()}
            objects.append(c.model_copy(update={"data": data}).to_domain(p.name))
            locs.append(("projects", i, "credentials", j))
        for j, pl in enumerate(p.pipelines):
            objects.append(pl.to_domain(p.name))
            locs.append(("projects", i, "pipelines", j))
    return Loaded(path, objects, locs, lines)


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


class _Target:
    """How ``apply`` reaches one object: its service, label, identity and audit names."""

    def __init__(self, container: Services, obj: Declared) -> None:
        self.ident: tuple[str, ...]
        self.svc: Any
        if isinstance(obj, Workspace):
            self.svc, self.label, self.ident = container.workspaces, f"workspace {obj.name}", (obj.name,)
            self.kind, self.path, self.project = "workspace", f"workspaces/{obj.name}", None
        elif isinstance(obj, Project):
            self.svc, self.label, self.ident = container.projects, f"project {obj.name}", (obj.name,)
            self.kind, self.path, self.project = "project", f"projects/{obj.name}", obj.name
        elif isinstance(obj, Credential):
            self.svc, self.ident = container.credentials, (obj.project, obj.id)
            self.label, self.kind = f"credential {obj.project}/{obj.id}", "credential"
            self.path, self.project = f"projects/{obj.project}/credentials/{obj.id}", obj.project
        else:
            self.svc, self.ident = container.pipelines, (obj.project, obj.name)
            self.label, self.kind = f"pipeline {obj.project}/{obj.name}", "pipeline"
            self.path, self.project = f"projects/{obj.project}/pipelines/{obj.name}", obj.project

    def current(self, obj: Declared) -> Declared | None:
        try:
            # Credentials are compared with their values; every other get is metadata enough.
            found: Declared = (
                self.svc.current(*self.ident)
                if isinstance(obj, Credential)
                else self.svc.get(*self.ident).obj
            )
        except NotFound:
            return None
        return found

    def action(self, *, created: bool) -> str:
        """Same action names as the API's permissions; creating a credential or pipeline is a write."""
        return (
            f"{self.kind}.create"
            if created and self.kind in ("workspace", "project")
            else f"{self.kind}.write"
        )


def _units(objects: list[Declared]) -> list[list[int]]:
    """Indexes of the objects written together: each workspace alone, each project with its contents."""
    units: list[list[int]] = []
    last: str | None = None
    for i, obj in enumerate(objects):
        unit = None if isinstance(obj, Workspace) else obj.name if isinstance(obj, Project) else obj.project
        if unit is None or unit != last:
            units.append([])
        units[-1].append(i)
        last = unit
    return units


def apply_objects(
    container: Services,
    objects: list[Declared],
    echo: Callable[[str], None],
    where: Callable[[int], str] | None = None,
) -> dict[str, int]:
    """Create or update each object through the services; returns counts by outcome.

    A project and everything in it are written in one transaction with their audit entries (a
    workspace in one of its own): a write that fails leaves that project as it was, and the error
    names the object and, with ``where``, its place in the file. Projects before it stay written."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for unit in _units(objects):
        for outcome, label in _apply_unit(container, objects, unit, where):
            counts[outcome] += 1
            echo(f"{outcome:<9} {label}")
    return counts


def _apply_unit(
    container: Services, objects: list[Declared], unit: list[int], where: Callable[[int], str] | None
) -> list[tuple[str, str]]:
    from bridge.audit.log import append_all_in
    from bridge.cli.operator_audit import cli_entry

    verdicts = _verdicts(container, [objects[i] for i in unit])  # Jenkins is asked before the transaction
    done: list[tuple[str, str]] = []
    entries = []
    with container.store.batch() as tx:
        for i in unit:
            target = _Target(container, objects[i])
            try:
                outcome = _write(target, objects[i], verdicts)
            except BridgeError as e:
                first = objects[unit[0]]
                what = (
                    f"workspace {first.name}" if isinstance(first, Workspace) else f"project {target.project}"
                )
                place = f"{where(i)}: " if where is not None else ""
                e.detail = f"{place}{target.label}: {e.detail} (nothing of {what} was written)"
                e.args = (e.detail,)
                raise
            if outcome != "unchanged":
                action = target.action(created=outcome == "created")
                entries.append(cli_entry(action=action, path=f"apply/{target.path}", project=target.project))
            done.append((outcome, target.label))
        append_all_in(tx.conn, entries)  # each write's entry commits with it, or not at all
    return done


def _write(target: _Target, obj: Declared, verdicts: Mapping[str, Any]) -> str:
    """Create or update ``obj`` unless it is unchanged; its outcome."""
    current = target.current(obj)
    if current == obj:
        return "unchanged"
    extra: dict[str, Any] = {}
    if isinstance(obj, Pipeline) and obj.jenkinsfile is not None and obj.jenkinsfile in verdicts:
        extra["verdict"] = verdicts[obj.jenkinsfile]
    if current is None:
        target.svc.create(obj, **extra)
        return "created"
    _update(target.svc, obj, **extra)
    return "updated"


def _verdicts(container: Services, objects: list[Declared]) -> dict[str, Any]:
    """Jenkins's verdicts on the new inline Jenkinsfiles of these objects, one per distinct text."""
    texts: set[str] = set()
    pipelines = container.pipelines
    with container.store.read() as tx:
        for obj in objects:
            if not isinstance(obj, Pipeline) or not obj.jenkinsfile or obj.jenkinsfile in texts:
                continue
            if pipelines.jenkinsfiles.needs_judging(tx, obj):
                texts.add(obj.jenkinsfile)
    return {text: pipelines.jenkinsfiles.judge(text) for text in texts}


def _update(svc: Any, obj: Any, **extra: Any) -> None:
    if isinstance(obj, Workspace):
        svc.update(obj.name, description=obj.description, clusters=obj.clusters)
    elif isinstance(obj, Project):
        svc.update(obj.name, workspace=obj.workspace, cluster=obj.cluster, description=obj.description)
    elif isinstance(obj, Credential):
        svc.update(obj.project, obj.id, type=obj.type, description=obj.description, data=dict(obj.data))
    else:
        fields = {k: getattr(obj, k) for k in obj.__dataclass_fields__ if k not in ("project", "name")}
        svc.update(obj.project, obj.name, **fields, **extra)


@click.command()
@click.option(
    "-f", "--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
def apply(path: Path) -> None:
    """Apply a declarative YAML file of workspaces, projects, credentials and pipelines."""
    from bridge.bootstrap_writers import build_writers  # only the writing part of the composition root
    from bridge.settings import Settings

    try:
        loaded = read(path, os.environ)
        container = build_writers(Settings.load(os.environ))
        try:
            counts = apply_objects(container, loaded.objects, click.echo, loaded.where)
        finally:
            container.close()
    except BridgeError as e:
        raise click.ClickException(e.detail) from None
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items()) + "; the worker provisions Jenkins")
