"""Build endpoints: ``build``/``buildWithParameters``, build ``api/json``, permalinks, stop/term/kill,
``doDelete``, and the build-side fields of a job's ``api/json`` (``builds``, ``color``, ``nextBuildNumber``…).

Status codes follow ``ParameterizedJobMixIn``: 201 + absolute ``Location: …/queue/item/N/``; 303 for an
identical parameterized request already queued; 400 "Nothing is submitted" / "… is not parameterized";
409 "… is not buildable" for a disabled job; 405 for GET.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import buildpersist, computers, itemjson, pages
from bridge.sandbox.jenkins.buildbeans import actions_beans, color, sonar_beans
from bridge.sandbox.jenkins.buildstate import Build, Cause, ParamValue, QueueItem, service
from bridge.sandbox.jenkins.computers import RUN_CLASS as RUN_CLASS  # re-exported
from bridge.sandbox.jenkins.computers import build_url as build_url  # re-exported
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import Conflict, Failure, ItemNotFound
from bridge.sandbox.jenkins.export import Bean, export, pruner_from
from bridge.sandbox.jenkins.model import ITEM_BUILD, ITEM_CANCEL, ITEM_DELETE, ITEM_READ, Job, SandboxState
from bridge.sandbox.jenkins.queue import item_bean
from bridge.sandbox.jenkins.routing import RouteTable

BUILD = r"(?P<build>\d+|lastBuild|lastCompletedBuild|lastFailedBuild|lastStableBuild|lastSuccessfulBuild|lastUnstableBuild|lastUnsuccessfulBuild|firstBuild)"  # noqa: E501
JOB = ("job",)


def register(routes: RouteTable) -> None:
    routes.add("build", trigger, kinds=JOB, methods=("POST", "GET"))
    routes.add("buildWithParameters", trigger_with_parameters, kinds=JOB, methods=("POST", "GET"))
    routes.add(BUILD + "/api/json", build_json, kinds=JOB)
    routes.add(BUILD + "/(?P<how>stop|term|kill)", stop, kinds=JOB, methods=("POST",))
    routes.add(BUILD + "/doDelete", delete, kinds=JOB, methods=("POST",))
    routes.add(BUILD + "/?(?P<page>console|changes|parameters)?", build_page, kinds=JOB)
    computers.register(routes)
    itemjson.register_job_fields(job_fields)
    itemjson.register_job_field("color", lambda ctx, job: color(job))
    itemjson.register_job_field("nextBuildNumber", lambda ctx, job: job.next_build_number)


def on_start(services: dict[str, Any]) -> None:
    """Builds and queue saved in ``state_dir`` come back (running builds resume)."""
    state = services.get("state")
    if isinstance(state, SandboxState):
        buildpersist.resume_saved(state, services)


def on_stop(services: dict[str, Any]) -> None:
    """With ``state_dir``, running builds are suspended (to resume at the next start), not aborted."""
    state = services.get("state")
    if isinstance(state, SandboxState) and services.get("persist") is not None:
        buildpersist.suspend_running(state)


# -- lookups -------------------------------------------------------------------------------------------
def job_of(ctx: RequestContext) -> Job:
    item = ctx.item
    if not isinstance(item, Job):
        raise ItemNotFound()
    return item


def permalink(job: Job, name: str) -> Build | None:
    builds = sorted(job.builds.values(), key=lambda b: b.number, reverse=True)
    done = [b for b in builds if not b.building]
    select = {
        "lastBuild": builds,
        "firstBuild": builds[::-1],
        "lastCompletedBuild": done,
        "lastFailedBuild": [b for b in done if b.result == "FAILURE"],
        "lastStableBuild": [b for b in done if b.result == "SUCCESS"],
        "lastSuccessfulBuild": [b for b in done if b.result in ("SUCCESS", "UNSTABLE")],
        "lastUnstableBuild": [b for b in done if b.result == "UNSTABLE"],
        "lastUnsuccessfulBuild": [b for b in done if b.result != "SUCCESS"],
    }[name]
    return select[0] if select else None


def build_of(ctx: RequestContext, groups: dict[str, str]) -> Build:
    ctx.require(ITEM_READ)
    job = job_of(ctx)
    key = groups["build"]
    found = job.builds.get(int(key)) if key.isdigit() else permalink(job, key)
    if found is None:
        raise ItemNotFound()
    return found


# -- triggering ----------------------------------------------------------------------------------------
def _delay(ctx: RequestContext) -> float | None:
    """``TimeDuration.fromString``: ``5sec`` is seconds, a bare number is milliseconds."""
    raw = ctx.param("delay")
    if raw is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(sec|secs|seconds?)?\s*", raw)
    if not match:
        raise Failure(f"Invalid delay: {raw}")
    return int(match.group(1)) / (1 if match.group(2) else 1000)


def _user_cause(ctx: RequestContext) -> Cause:
    user = ctx.principal.user
    name = (user.full_name or user.id) if user else "anonymous"
    return Cause("hudson.model.Cause$UserIdCause", f"Started by user {name}", ctx.principal.id, name)


def _check_buildable(ctx: RequestContext, job: Job) -> None:
    ctx.require(ITEM_BUILD)
    if ctx.request.method != "POST":
        raise _method_not_allowed()
    if job.disabled:
        raise Conflict(f"{job.full_name} is not buildable")


def _method_not_allowed() -> Exception:
    from bridge.sandbox.jenkins.errors import MethodNotAllowed

    return MethodNotAllowed()


def _value(definition: Any, raw: Any) -> ParamValue:
    kind = definition.type.replace("Definition", "Value")
    if definition.type == "BooleanParameterDefinition":
        value: Any = raw if isinstance(raw, bool) else str(raw).strip().lower() == "true"
    elif definition.type == "ChoiceParameterDefinition":
        value = str(raw)
        if definition.choices and value not in definition.choices:
            raise Failure(f"Illegal choice for parameter {definition.name}: {value}")
    else:
        value = str(raw)
        if definition.trim:
            value = value.strip()
    return ParamValue(kind, definition.name, value)


def _default(definition: Any) -> ParamValue:
    raw: Any = definition.default
    if definition.type == "ChoiceParameterDefinition" and definition.choices:
        raw = definition.choices[0]
    return _value(definition, "" if raw is None else raw)


def _queued(ctx: RequestContext, item: QueueItem, created: bool) -> Response:
    location = ctx.absolute(f"queue/item/{item.id}/")
    return pages.redirect(location, status=201 if created else 303)


def trigger(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        job = job_of(ctx)
        _check_buildable(ctx, job)
        ctx.services["root_url"] = ctx.root_url
        delay = _delay(ctx)
        parameters: list[ParamValue] = []
        if job.parameters:
            raw = ctx.request.form.get("json")
            if raw is None:
                raise Failure("Nothing is submitted")
            try:
                submitted = json.loads(raw).get("parameter", [])
                submitted = [submitted] if isinstance(submitted, dict) else submitted
                given = {p["name"]: p.get("value") for p in submitted}
            except (ValueError, AttributeError, KeyError, TypeError) as error:
                raise Failure("Nothing is submitted") from error
            parameters = [
                _value(d, given[d.name]) if d.name in given else _default(d) for d in job.parameters
            ]
        item, created = service(ctx.state, ctx.services).schedule(
            job, causes=[_user_cause(ctx)], parameters=parameters, delay_seconds=delay
        )
        return _queued(ctx, item, created or not job.parameters)


def trigger_with_parameters(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        job = job_of(ctx)
        _check_buildable(ctx, job)
        ctx.services["root_url"] = ctx.root_url
        if not job.parameters:
            raise Failure(f"{job.full_name} is not parameterized")
        delay = _delay(ctx)
        parameters = []
        for definition in job.parameters:
            values = ctx.request.args.getlist(definition.name) or ctx.request.form.getlist(definition.name)
            if len(values) > 1:
                raise Failure(f"Multiple values for parameter {definition.name}")
            parameters.append(_value(definition, values[0]) if values else _default(definition))
        item, created = service(ctx.state, ctx.services).schedule(
            job, causes=[_user_cause(ctx)], parameters=parameters, delay_seconds=delay
        )
        return _queued(ctx, item, created)


# -- build JSON ----------------------------------------------------------------------------------------
def build_bean(ctx: RequestContext, build: Build) -> Bean:
    job = build.job
    actions = actions_beans(build.causes, build.parameters)
    actions += [
        Bean("org.jenkinsci.plugins.workflow.support.steps.input.ApproverAction").add("userId", u, 3)
        for u in build.run.approvers
    ]
    actions += [Bean(None), Bean("org.jenkinsci.plugins.workflow.job.views.FlowGraphAction"), Bean(None)]
    actions += sonar_beans(build.run.analyses)
    previous = max(
        (b for b in job.builds.values() if b.number < build.number), key=lambda b: b.number, default=None
    )
    following = min(
        (b for b in job.builds.values() if b.number > build.number), key=lambda b: b.number, default=None
    )
    done = [b for b in job.builds.values() if not b.building]
    estimate = int(sum(b.duration for b in done[-3:]) / len(done[-3:])) if done else -1
    bean = Bean(RUN_CLASS)
    bean.add("actions", actions)
    bean.add("artifacts", [])
    bean.add("building", build.building)
    bean.add("description", build.description)
    bean.add("displayName", f"#{build.number}")
    bean.add("duration", build.duration)
    bean.add("estimatedDuration", estimate)
    bean.add("executor", None)
    bean.add("fullDisplayName", f"{itemjson.full_display_name(job)} #{build.number}")
    bean.add("id", str(build.number))
    bean.add("keepLog", False)
    bean.add("number", build.number, 2)
    bean.add("queueId", build.queue_id)
    bean.add("result", build.result)
    bean.add("timestamp", build.timestamp)
    bean.add("url", build_url(ctx, build), 2)
    bean.add("changeSets", [])
    bean.add("culprits", [])
    bean.add("inProgress", build.building)
    bean.add("nextBuild", (lambda: build_bean(ctx, following)) if following else None)
    bean.add("previousBuild", (lambda: build_bean(ctx, previous)) if previous else None)
    return bean


def build_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    pruner = pruner_from(ctx.request.args)
    with ctx.lock:
        data = export(build_bean(ctx, build_of(ctx, groups)), pruner)
    return pages.json_response(data, pretty=ctx.request.args.get("pretty") == "true")


def build_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
        return pages.page(f"{build.job.full_name} #{build.number}")


def queue_ref(ctx: RequestContext, item: QueueItem) -> Bean:
    return item_bean(ctx, item)


def job_fields(ctx: RequestContext, job: Job) -> dict[str, Any]:
    """A job's build-side fields, each computed only if the query exports it (``tree=``/``depth=``):
    ``get_all_jobs``' ``tree=jobs[url,color,name,…]`` over hundreds of jobs needs only ``color``."""

    def newest_first() -> list[Build]:
        return sorted(job.builds.values(), key=lambda b: b.number, reverse=True)

    def pending() -> list[QueueItem]:
        return [i for i in job.queue if i.state != "left"]

    def link(name: str) -> Bean | None:
        found = permalink(job, name)
        return build_bean(ctx, found) if found else None

    fields: dict[str, Any] = {name: functools.partial(link, name) for name in itemjson.PERMALINKS}
    fields.update(
        builds=lambda: [build_bean(ctx, b) for b in newest_first()[:100]],
        allBuilds=lambda: [build_bean(ctx, b) for b in newest_first()],
        color=lambda: color(job),
        healthReport=[],
        inQueue=lambda: bool(pending()),
        queueItem=lambda: queue_ref(ctx, p[0]) if (p := pending()) else None,
        nextBuildNumber=job.next_build_number,
    )
    return fields


# -- stop / delete -------------------------------------------------------------------------------------
def stop(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
        ctx.require(ITEM_CANCEL)
        how = groups["how"]
        target = ctx.request.headers.get("Referer") or build_url(ctx, build)
    if build.building:
        if how == "kill":
            build.run.console.write("Hard kill!")
        elif how == "term":
            build.run.console.write("Terminating")
        build.run.interrupt(f"Aborted by {ctx.principal.id}", hard=how == "kill")
    return pages.redirect(target)


def delete(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
        ctx.require(ITEM_DELETE)
        if build.building:
            raise Failure(f"Unable to delete {build.job.full_name} #{build.number}: the build is in progress")
        del build.job.builds[build.number]
        return pages.redirect(ctx.url_of(build.job))
