"""The built-in node as ``computer/api/json`` shows it: running builds as executors, which is what
python-jenkins' ``get_running_builds`` reads."""

from __future__ import annotations

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import pages
from bridge.sandbox.jenkins.buildstate import Build
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.export import Bean, export, pruner_from
from bridge.sandbox.jenkins.model import Job
from bridge.sandbox.jenkins.routing import RouteTable

RUN_CLASS = "org.jenkinsci.plugins.workflow.job.WorkflowRun"


def register(routes: RouteTable) -> None:
    routes.add("computer/api/json", computers_json, kinds=("root",))
    routes.add(r"computer/\((?:master|built-in)\)/api/json", built_in_json, kinds=("root",))


def build_url(ctx: RequestContext, build: Build) -> str:
    return f"{ctx.url_of(build.job)}{build.number}/"


def _running(ctx: RequestContext) -> list[Build]:
    found: list[Build] = []
    for item in ctx.state.root.walk():
        if isinstance(item, Job):
            found.extend(b for b in item.builds.values() if b.building)
    return sorted(found, key=lambda b: b.timestamp)


def _computer(ctx: RequestContext) -> Bean:
    running = _running(ctx)
    executors = []
    for index, build in enumerate(running):
        executable = Bean(RUN_CLASS).add("number", build.number, 3).add("url", build_url(ctx, build), 3)
        executors.append(
            Bean("hudson.model.Executor").add("currentExecutable", executable, 2).add("number", index, 2)
        )
    bean = Bean("hudson.model.Hudson$MasterComputer")
    for name, value in (
        ("assignedLabels", [Bean(None).add("name", "built-in", 2)]),
        ("description", "the Jenkins controller's built-in node"),
        ("displayName", "Built-In Node"),
        ("executors", executors),
        ("icon", "symbol-computer"),
        ("idle", not running),
        ("numExecutors", 2),
        ("offline", False),
        ("offlineCause", None),
        ("temporarilyOffline", False),
    ):
        bean.add(name, value, 2)
    return bean


def computers_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    pruner = pruner_from(ctx.request.args)
    with ctx.lock:
        computer = _computer(ctx)
        bean = (
            Bean("hudson.model.ComputerSet")
            .add("busyExecutors", len(_running(ctx)))
            .add("computer", [computer])
        )
        data = export(bean, pruner)
    return pages.json_response(data)


def built_in_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    pruner = pruner_from(ctx.request.args)
    with ctx.lock:
        data = export(_computer(ctx), pruner)
    return pages.json_response(data)
