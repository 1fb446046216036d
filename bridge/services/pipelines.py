"""Pipelines of a project: an inline Jenkinsfile or an SCM definition, parameters, discarder, cron."""

from __future__ import annotations

import builtins
import dataclasses
import re
from collections.abc import Callable, Sequence

from bridge.domain.model import ParameterType, Pipeline, Workspace
from bridge.domain.targets import DeployTarget, PreflightState, refused
from bridge.domain.validation import Validation, jenkinsfile_digest
from bridge.errors import Conflict, NotFound
from bridge.reconcile.ports import Kind, Ref
from bridge.services.common import check_version, project_must_exist, removed, touched
from bridge.services.cron import cron_problems
from bridge.services.jenkinsfiles import Jenkinsfiles, Verdict
from bridge.services.scm import scm_url_problems
from bridge.services.validation import Problems, check_label, check_subdomain, check_text
from bridge.store import Store, Stored, Tx
from bridge.webhooks.urls import repo_key

#: Path segments of ``/pipelines/…`` that are actions, not pipelines (the API's ``<item:…>`` converter).
RESERVED_NAMES = frozenset({"validate"})
PARAMETER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Parameters the bridge defines itself (``BRIDGE_REQUESTED_BY``) use this prefix; users may not.
RESERVED_PARAMETER_PREFIX = "BRIDGE_"
BRANCH = re.compile(r"[^\s~^:?*\[\\]+")  # git check-ref-format, roughly
#: The clusters a workspace's projects may use (``ClusterService.available_for``).
AllowedClusters = Callable[[Workspace], Sequence[str]]


def pipeline_key(project: str, name: str) -> Ref:
    return Ref(Kind.PIPELINE, project, name)


def validate_pipeline(p: Pipeline, *, credentials: set[str], allow_http_scm: bool = False) -> None:
    problems = Problems()
    check_subdomain(problems, "name", p.name)
    if p.name in RESERVED_NAMES:
        problems.add("name", f"{p.name!r} is reserved (POST …/pipelines/{p.name} is an action)")
    check_text(problems, "description", p.description)
    if (p.jenkinsfile is None) == (p.scm is None):
        problems.add("jenkinsfile", "exactly one of 'jenkinsfile' and 'scm' must be given")
    if p.jenkinsfile is not None and not p.jenkinsfile.strip():
        problems.add("jenkinsfile", "must not be empty")
    if p.jenkinsfile is not None and "\x00" in p.jenkinsfile:
        problems.add("jenkinsfile", "must not contain NUL characters")
    if p.scm is not None:
        for message in scm_url_problems(p.scm.url, allow_http=allow_http_scm):
            problems.add("scm.url", message)
        if not BRANCH.fullmatch(p.scm.branch):
            problems.add("scm.branch", "is not a valid branch name")
        if not p.scm.script_path or p.scm.script_path.startswith("/") or ".." in p.scm.script_path.split("/"):
            problems.add("scm.script_path", "must be a relative path inside the repository")
        if p.scm.credential is not None and p.scm.credential not in credentials:
            problems.add(
                "scm.credential", f"credential {p.scm.credential!r} does not exist in project {p.project!r}"
            )
    seen: set[str] = set()
    for i, param in enumerate(p.parameters):
        where = f"parameters[{i}]"
        if not PARAMETER_NAME.fullmatch(param.name):
            problems.add(f"{where}.name", "must be letters, digits and '_', not starting with a digit")
        elif param.name.upper().startswith(RESERVED_PARAMETER_PREFIX):
            reserved = RESERVED_PARAMETER_PREFIX
            problems.add(f"{where}.name", f"names starting with {reserved!r} are the bridge's own")
        if param.name in seen:
            problems.add(f"{where}.name", f"repeats parameter {param.name!r}")
        seen.add(param.name)
        check_text(problems, f"{where}.description", param.description)
        if param.type is ParameterType.BOOLEAN and not isinstance(param.default, bool | None):
            problems.add(f"{where}.default", "must be true or false for a boolean parameter")
        if param.type is not ParameterType.BOOLEAN and isinstance(param.default, bool):
            problems.add(f"{where}.default", "must be a string")
        if param.type is ParameterType.CHOICE:
            if not param.choices:
                problems.add(f"{where}.choices", "must list at least one choice")
            elif param.default is not None and param.default not in param.choices:
                problems.add(f"{where}.default", "must be one of the choices")
        elif param.choices:
            problems.add(f"{where}.choices", "only a choice parameter has choices")
    if p.discarder is not None:
        if p.discarder.days is None and p.discarder.builds is None:
            problems.add("discarder", "must set 'days', 'builds' or both")
        for name, value in (("days", p.discarder.days), ("builds", p.discarder.builds)):
            if value is not None and value < 1:
                problems.add(f"discarder.{name}", "must be at least 1")
    if p.cron is not None:
        for message in cron_problems(p.cron):
            problems.add("cron", message)
    if p.webhook is not None:
        webhook_problems(problems, p)
    _check_targets(problems, p.targets)
    problems.raise_if_any("pipeline")


def _check_targets(problems: Problems, targets: Sequence[DeployTarget]) -> None:
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(targets):
        check_label(problems, f"targets[{i}].cluster", t.cluster)
        check_label(problems, f"targets[{i}].namespace", t.namespace)
        if t.key in seen:
            problems.add(f"targets[{i}]", f"repeats the target {t.cluster}/{t.namespace}")
        seen.add(t.key)


def check_target_clusters(
    tx: Tx, p: Pipeline, allowed: AllowedClusters | None, *, old: Sequence[DeployTarget] = ()
) -> None:
    """A target added to a pipeline must name a cluster of its project's workspace (400 naming the
    allowed ones). One already declared is kept even when its cluster left: the preflight reports it
    ``not_allowed``."""
    kept = {t.key for t in old}
    new = [t for t in p.targets if t.key not in kept]
    if not new or allowed is None:
        return
    project = tx.projects.get(p.project)
    workspace = tx.workspaces.get(project.obj.workspace) if project is not None else None
    names = allowed(workspace.obj) if workspace is not None else ()
    problems = Problems()
    for i, message in refused(new, names):
        problems.add(f"targets[{p.targets.index(new[i])}].cluster", message)
    problems.raise_if_any("pipeline")


def webhook_problems(problems: Problems, p: Pipeline) -> None:
    w = p.webhook
    assert w is not None
    if w.repo_url is not None and not repo_key(w.repo_url):
        problems.add("webhook.repo_url", "is not a repository URL")
    elif not repo_key(p.webhook_repo or ""):
        problems.add("webhook.repo_url", "is required when the pipeline has no SCM URL to default to")
    if w.branch_parameter and not PARAMETER_NAME.fullmatch(w.branch_parameter):
        problems.add("webhook.branch_parameter", "must be letters, digits and '_', not starting with a digit")
    for name, _ in w.parameters:
        if not PARAMETER_NAME.fullmatch(name) or name.upper().startswith(RESERVED_PARAMETER_PREFIX):
            problems.add(f"webhook.parameters.{name}", "is not a parameter name users may set")
    for where, f in (("branches", w.branches), ("tags", w.tags)):
        for i, pattern in enumerate((*f.include, *f.exclude)):
            if not pattern or len(pattern) > 255 or "\x00" in pattern:
                problems.add(f"webhook.{where}[{i}]", "must be a glob of 1 to 255 characters")
    if not w.secret and not w.allow_unsigned:
        problems.add(
            "webhook.secret",
            "is required: set the secret the provider signs with (or, unsafely, allow_unsigned)",
        )


def keep_secret_defaults(new: Pipeline, old: Pipeline) -> Pipeline:
    """Password defaults are write-only, so clients cannot send them back: a password parameter sent
    without a default keeps the one stored under its name (an empty string clears it)."""
    new = _keep_webhook_secret(new, old)
    stored = {x.name: x.default for x in old.parameters if x.secret and x.default is not None}
    if not stored:
        return new
    parameters = tuple(
        dataclasses.replace(x, default=stored[x.name])
        if x.secret and x.default is None and x.name in stored
        else x
        for x in new.parameters
    )
    return dataclasses.replace(new, parameters=parameters)


def _keep_webhook_secret(new: Pipeline, old: Pipeline) -> Pipeline:
    """A webhook sent without a secret keeps the stored one; an empty string clears it."""
    if new.webhook is None:
        return new
    secret = new.webhook.secret
    if secret is None and old.webhook is not None:
        secret = old.webhook.secret
    return dataclasses.replace(new, webhook=dataclasses.replace(new.webhook, secret=secret or None))


def _credential_ids(tx: Tx, p: Pipeline) -> set[str]:
    """The project's credential ids, when ``p``'s checks need them (its SCM names a credential)."""
    if p.scm is None or p.scm.credential is None:
        return set()
    return tx.credentials.ids(p.project)  # ids only: validation needs no secret values


class PipelineService:
    """Inline Jenkinsfiles are validated by Jenkins on create and update (``jenkinsfiles.py``); the
    verdict is stored with the pipeline, never a reason to refuse the write."""

    def __init__(
        self, store: Store, jenkinsfiles: Jenkinsfiles | None = None, *, allow_http_scm: bool = False
    ) -> None:
        self.store = store
        self.jenkinsfiles = jenkinsfiles or Jenkinsfiles()
        #: Whether plain ``http://`` SCM URLs are accepted (``BRIDGE_JENKINS_ALLOW_HTTP_SCM``).
        self.allow_http_scm = allow_http_scm
        #: Which clusters deploy targets may name (set by the composition root; None: any).
        self.allowed_clusters: AllowedClusters | None = None

    def list(
        self, project: str, *, after: str | None = None, limit: int | None = None
    ) -> list[Stored[Pipeline]]:
        with self.store.read() as tx:
            project_must_exist(tx, project)
            return tx.pipelines.list(project, after=after, limit=limit)

    def get(self, project: str, name: str) -> Stored[Pipeline]:
        with self.store.read() as tx:
            project_must_exist(tx, project)
            found = tx.pipelines.get(project, name)
        if found is None:
            raise NotFound(f"pipeline {name!r} does not exist in project {project!r}")
        return found

    def targets(
        self, project: str, name: str, *, after: tuple[str, str] | None = None, limit: int | None = None
    ) -> builtins.list[PreflightState]:
        """The pipeline's deploy targets with their preflight state, by (cluster, namespace)."""
        with self.store.read() as tx:
            project_must_exist(tx, project)
            if tx.pipelines.get(project, name) is None:
                raise NotFound(f"pipeline {name!r} does not exist in project {project!r}")
            return tx.targets.list(project, name, after=after, limit=limit)

    def validate(self, project: str, jenkinsfile: str) -> Validation:
        """What Jenkins says about a Jenkinsfile, storing nothing (Jenkins down: ``UpstreamUnavailable``)."""
        with self.store.read() as tx:
            project_must_exist(tx, project)
        return self.jenkinsfiles.ask(jenkinsfile)

    def create(self, p: Pipeline, *, verdict: Verdict | None = None) -> Stored[Pipeline]:
        """``verdict``: Jenkins's verdict on ``p``'s Jenkinsfile obtained beforehand (``apply -f``
        asks before its transaction opens); used only for that very text."""
        verdict = _for_text(verdict, p.jenkinsfile)
        if verdict is None and p.jenkinsfile is not None:
            verdict = self.jenkinsfiles.cached(p.jenkinsfile)
        judge = p.jenkinsfile is not None and verdict is None
        if judge or p.targets:
            with self.store.read() as tx:  # refuse a bad request before asking Jenkins anything
                self._check_new(tx, p)
                check_target_clusters(tx, p, self.allowed_clusters)
        if judge and p.jenkinsfile is not None:
            verdict = self.jenkinsfiles.judge(p.jenkinsfile)
        with self.store.write() as tx:
            self._check_new(tx, p)
            tx.pipelines.insert(p)
            if p.targets:  # a new pipeline has no target rows yet
                tx.targets.declare(p.project, p.name, p.targets)
            touched(tx, pipeline_key(p.project, p.name))
            self.jenkinsfiles.settle(tx, p, verdict, touched=True, fresh=True)
            created = tx.pipelines.get(p.project, p.name)
        assert created is not None
        return created

    def _check_new(self, tx: Tx, p: Pipeline) -> None:
        project_must_exist(tx, p.project)
        if tx.pipelines.exists(p.project, p.name):
            raise Conflict(f"pipeline {p.name!r} already exists in project {p.project!r}")
        validate_pipeline(p, credentials=_credential_ids(tx, p), allow_http_scm=self.allow_http_scm)

    def update(
        self,
        project: str,
        name: str,
        *,
        expected_version: int | None = None,
        verdict: Verdict | None = None,
        **changes: object,
    ) -> Stored[Pipeline]:
        """Replace the given fields (a full PUT passes them all); ``verdict`` as for ``create``."""
        with self.store.read() as tx:  # refuse a bad request before asking Jenkins anything
            current, p = self._changed(tx, project, name, expected_version, changes)
            check_target_clusters(tx, p, self.allowed_clusters, old=current.obj.targets)
            ask = self.jenkinsfiles.needs_judging(tx, p)
        if not ask or p.jenkinsfile is None:
            verdict = None  # the stored verdict applies
        elif (verdict := _for_text(verdict, p.jenkinsfile)) is None:
            verdict = self.jenkinsfiles.judge(p.jenkinsfile)  # the controller's recent verdict, if any
        with self.store.write() as tx:
            current, p = self._changed(tx, project, name, expected_version, changes)
            if p != current.obj:
                tx.pipelines.update(p)
                touched(tx, pipeline_key(project, name))
            if p.targets != current.obj.targets:
                tx.targets.declare(project, name, p.targets)
            self.jenkinsfiles.settle(tx, p, verdict, touched=p != current.obj)
            updated = tx.pipelines.get(project, name)
        assert updated is not None
        return updated

    def _changed(
        self, tx: Tx, project: str, name: str, expected_version: int | None, changes: dict[str, object]
    ) -> tuple[Stored[Pipeline], Pipeline]:
        project_must_exist(tx, project)
        current = tx.pipelines.get(project, name)
        if current is None:
            raise NotFound(f"pipeline {name!r} does not exist in project {project!r}")
        check_version(current, expected_version)
        p = dataclasses.replace(current.obj, **changes)  # type: ignore[arg-type]
        p = keep_secret_defaults(p, current.obj)
        validate_pipeline(p, credentials=_credential_ids(tx, p), allow_http_scm=self.allow_http_scm)
        return current, p

    def delete(self, project: str, name: str, *, expected_version: int | None = None) -> None:
        with self.store.write() as tx:
            project_must_exist(tx, project)
            current = tx.pipelines.get(project, name)
            if current is None:
                raise NotFound(f"pipeline {name!r} does not exist in project {project!r}")
            check_version(current, expected_version)
            tx.pipelines.delete(project, name)
            removed(tx, pipeline_key(project, name))


def _for_text(verdict: Verdict | None, jenkinsfile: str | None) -> Verdict | None:
    """A verdict obtained beforehand, when it is about this very Jenkinsfile text."""
    if verdict is None or jenkinsfile is None or verdict[0] != jenkinsfile_digest(jenkinsfile):
        return None
    return verdict
