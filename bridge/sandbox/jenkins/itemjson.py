"""``api/json`` beans of the root, folders and jobs (shapes of the reference samples).

The build-side properties of a job (``builds``, ``lastBuild``..., ``color``, ``inQueue``,
``queueItem``, ``nextBuildNumber``) come from a provider the pipeline side registers with
``register_job_fields``; the default describes a job that never ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.sandbox.jenkins import acl
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.export import Bean, Field, LazyBean
from bridge.sandbox.jenkins.model import Folder, Item, Job

VIEW_CREDENTIALS_ACTION = "com.cloudbees.plugins.credentials.ViewCredentialsAction"
PERMALINKS = (
    "firstBuild",
    "lastBuild",
    "lastCompletedBuild",
    "lastFailedBuild",
    "lastStableBuild",
    "lastSuccessfulBuild",
    "lastUnstableBuild",
    "lastUnsuccessfulBuild",
)

JobFields = Callable[[RequestContext, Job], dict[str, Any]]


def default_job_fields(ctx: RequestContext, job: Job) -> dict[str, Any]:
    """A job without builds: ``notbuilt`` (or ``disabled``), permalinks null, empty queue."""
    fields: dict[str, Any] = {name: None for name in PERMALINKS}
    fields.update(
        builds=[],
        color="disabled" if job.disabled else "notbuilt",
        healthReport=[],
        inQueue=False,
        queueItem=None,
        nextBuildNumber=job.next_build_number,
        allBuilds=[],
    )
    return fields


_job_fields: list[JobFields] = [default_job_fields]


_single_fields: dict[str, Callable[[RequestContext, Job], Any]] = {}


def register_job_fields(provider: JobFields) -> None:
    """Replace the build-side fields provider (the pipeline engine calls this once at import).
    Values in the returned dict may be zero-argument callables: they run only if exported."""
    _job_fields[0] = provider


def register_job_field(name: str, getter: Callable[[RequestContext, Job], Any]) -> None:
    """A cheap getter for one build-side field, used instead of the bulk provider when a query
    needs only that field (``color`` in python-jenkins' ``get_all_jobs`` over hundreds of jobs)."""
    _single_fields[name] = getter


def job_fields(ctx: RequestContext, job: Job) -> dict[str, Any]:
    return _job_fields[0](ctx, job)


def display_name(item: Item) -> str:
    return item.display_name or item.name


def full_display_name(item: Item) -> str:
    names = [display_name(item)]
    names.extend(display_name(f) for f in item.ancestors() if not f.is_root)
    return " » ".join(reversed(names))


def item_ref(ctx: RequestContext, item: Item) -> LazyBean:
    """An item as a member of ``jobs``: its own bean (pruning keeps name/url/color at depth 0)."""
    return folder_bean(ctx, item) if isinstance(item, Folder) else job_bean(ctx, item)  # type: ignore[arg-type]


class _View:
    """Source of an item's lazy bean: the item, the request, and build-side fields fetched once."""

    __slots__ = ("_fields", "ctx", "item")

    def __init__(self, ctx: RequestContext, item: Item) -> None:
        self.ctx = ctx
        self.item = item
        self._fields: dict[str, Any] | None = None

    def build_field(self, name: str) -> Any:
        single = _single_fields.get(name)
        if single is not None and self._fields is None:
            assert isinstance(self.item, Job)
            return single(self.ctx, self.item)
        if self._fields is None:
            assert isinstance(self.item, Job)
            self._fields = job_fields(self.ctx, self.item)
        return self._fields.get(name)


def _build_field(name: str, visibility: int = 1) -> Field:
    return Field(name, lambda v: v.build_field(name), visibility)


_NULL_ACTIONS = (Bean(None), Bean(None), Bean(VIEW_CREDENTIALS_ACTION))

_COMMON = (
    Field("actions", lambda v: list(_NULL_ACTIONS)),
    Field("description", lambda v: v.item.description or ("" if isinstance(v.item, Folder) else None)),
    Field("displayName", lambda v: display_name(v.item)),
    Field("displayNameOrNull", lambda v: v.item.display_name),
    Field("fullDisplayName", lambda v: full_display_name(v.item)),
    Field("fullName", lambda v: v.item.full_name),
    Field("name", lambda v: v.item.name, 999),
    Field("url", lambda v: v.ctx.url_of(v.item), 999),
)

FOLDER_FIELDS = (
    *_COMMON,
    Field("healthReport", lambda v: []),
    Field("jobs", lambda v: [item_ref(v.ctx, c) for c in readable_children(v.ctx, v.item)]),
    Field("primaryView", lambda v: _all_view(v.ctx.url_of(v.item), "All")),
    Field("views", lambda v: [_all_view(v.ctx.url_of(v.item), "All")]),
)

JOB_FIELDS = (
    *_COMMON,
    Field("buildable", lambda v: not v.item.disabled),
    _build_field("builds"),
    _build_field("color", 2),
    _build_field("firstBuild"),
    _build_field("healthReport"),
    _build_field("inQueue"),
    Field("keepDependencies", lambda v: False),
    *(_build_field(name) for name in PERMALINKS[1:]),
    _build_field("nextBuildNumber"),
    Field("property", lambda v: [_property(p, v.item) for p in v.item.properties], inline=True),
    _build_field("queueItem"),
    Field("concurrentBuild", lambda v: v.item.concurrent_build),
)
WORKFLOW_JOB_FIELDS = (*JOB_FIELDS, Field("resumeBlocked", lambda v: False), _build_field("allBuilds", -2))
FREESTYLE_FIELDS = (*JOB_FIELDS, _build_field("allBuilds", -2))


def readable_children(ctx: RequestContext, folder: Folder) -> list[Item]:
    """``getItems()``: only the children the caller has Job/Read on."""
    return [c for c in folder.children.values() if acl.visible(ctx.state, ctx.identity, c)]


def folder_bean(ctx: RequestContext, folder: Folder) -> LazyBean:
    return LazyBean(folder.java_class, FOLDER_FIELDS, _View(ctx, folder))


def job_bean(ctx: RequestContext, job: Job) -> LazyBean:
    fields = WORKFLOW_JOB_FIELDS if job.java_class.endswith("WorkflowJob") else FREESTYLE_FIELDS
    return LazyBean(job.java_class, fields, _View(ctx, job))


def root_bean(ctx: RequestContext) -> Bean:
    root = ctx.state.root
    view = _all_view(ctx.root_url, "all")
    bean = Bean("hudson.model.Hudson")
    bean.add("assignedLabels", [Bean(None).add("name", "built-in", 2)])
    bean.add("mode", "NORMAL")
    bean.add("nodeDescription", "the Jenkins controller's built-in node")
    bean.add("nodeName", "")
    bean.add("numExecutors", 2)
    bean.add("description", root.description or None)
    bean.add(
        "jobs", lambda: [item_ref(ctx, c) for c in readable_children(ctx, root)]
    )  # evaluated if exported
    bean.add("overallLoad", Bean(None))
    bean.add("primaryView", view)
    bean.add("quietDownReason", None)
    bean.add("quietingDown", False)
    bean.add("slaveAgentPort", -1)
    bean.add("unlabeledLoad", Bean("jenkins.model.UnlabeledLoadStatistics"))
    bean.add("url", ctx.root_url)
    bean.add("useCrumbs", True)
    bean.add("useSecurity", True)
    bean.add("views", [view])
    return bean


def view_bean(ctx: RequestContext, folder: Folder, name: str) -> Bean:
    """``hudson.model.AllView`` as ``view/all/api/json`` exports it."""
    url = ctx.url_of(folder) if not folder.is_root else ctx.root_url
    bean = Bean("hudson.model.AllView").add("description", None)
    bean.add("jobs", lambda: [item_ref(ctx, c) for c in readable_children(ctx, folder)])
    return bean.add("name", name).add("property", []).add("url", url)


def _all_view(url: str, name: str) -> Bean:
    return Bean("hudson.model.AllView").add("name", name, 999).add("url", url, 999)


def _property(tag: str, job: Job) -> Bean:
    bean = Bean(tag)
    if tag == "hudson.model.ParametersDefinitionProperty":
        bean.add("parameterDefinitions", [_param_def(p) for p in job.parameters], 2)  # defaultVisibility 2
    return bean


def _param_def(p: Any) -> Bean:
    value_class = f"hudson.model.{p.type.replace('Definition', 'Value')}"
    default: Any = p.default
    if p.type == "BooleanParameterDefinition":
        default = p.default == "true"
    bean = Bean(f"hudson.model.{p.type}")
    default_value = None
    if p.default is not None or p.type == "StringParameterDefinition":
        default_value = (
            Bean(value_class).add("name", p.name, 3).add("value", default if default is not None else "", 3)
        )
    bean.add("defaultParameterValue", default_value, 3)
    bean.add("description", p.description or None, 3)
    bean.add("name", p.name, 3)
    bean.add("type", p.type, 3)
    if p.type == "ChoiceParameterDefinition":
        bean.add("choices", list(p.choices), 3)
    return bean
