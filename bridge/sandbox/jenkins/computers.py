"""``/computer/api/json`` and ``/computer/NAME/api/json``: nodes, their executors and what runs there.

Every running Pipeline occupies a one-off executor of the built-in node (its flyweight CPS task,
``currentExecutable`` the ``WorkflowRun``); a ``node`` block occupies a regular executor of the node it
runs on (``currentExecutable`` an ``ExecutorStepExecution$PlaceholderTask$PlaceholderExecutable`` whose
``url`` is the build's). ``currentExecutable`` is null for builds of jobs the caller cannot read
(``Executor.getCurrentExecutableForApi``). ``_class`` follows Stapler's IF_NEEDED rule: computers and
executables carry it, executors do not. python-jenkins' ``get_running_builds`` reads the regular
executors at ``depth=2``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import acl, pages
from bridge.sandbox.jenkins.buildstate import Build
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import ItemNotFound
from bridge.sandbox.jenkins.export import Bean, export, pruner_from
from bridge.sandbox.jenkins.itemjson import full_display_name
from bridge.sandbox.jenkins.model import READ, Job
from bridge.sandbox.jenkins.nodes import Node, executors
from bridge.sandbox.jenkins.routing import RouteTable

RUN_CLASS = "org.jenkinsci.plugins.workflow.job.WorkflowRun"
PLACEHOLDER_CLASS = (
    "org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution$PlaceholderTask$PlaceholderExecutable"
)
COMPUTER_CLASS = {
    "built-in": "hudson.model.Hudson$MasterComputer",
    "permanent": "hudson.slaves.SlaveComputer",
    "pod": "org.csanchez.jenkins.plugins.kubernetes.KubernetesComputer",
}


def register(routes: RouteTable) -> None:
    routes.add("computer/api/json", computers_json, kinds=("root",))
    routes.add(r"computer/(?P<name>[^/]+)/api/json", computer_json, kinds=("root",))


def build_url(ctx: RequestContext, build: Build) -> str:
    return f"{ctx.url_of(build.job)}{build.number}/"


def _running(ctx: RequestContext) -> list[Build]:
    found: list[Build] = []
    for item in ctx.state.root.walk():
        if isinstance(item, Job):
            found.extend(b for b in item.builds.values() if b.building)
    return sorted(found, key=lambda b: b.timestamp)


def _readable(ctx: RequestContext, build: Any) -> bool:
    return build is not None and acl.visible(ctx.state, ctx.identity, build.job)


def _run_bean(ctx: RequestContext, build: Build) -> Bean:
    return Bean(RUN_CLASS).add("number", build.number, 2).add("url", build_url(ctx, build), 2)


def _placeholder_bean(ctx: RequestContext, build: Build) -> Bean:
    name = f"part of {full_display_name(build.job)} #{build.number}"
    bean = Bean(PLACEHOLDER_CLASS)
    for key, value in (
        ("displayName", name),
        ("estimatedDuration", -1),
        ("fullDisplayName", name),
        ("number", build.number),
        ("timestamp", build.timestamp),
        ("url", build_url(ctx, build)),
    ):
        bean.add(key, value, 1)
    return bean


def _executor(index: int, current: Bean | None, busy: bool) -> Bean:
    return (
        Bean(None)
        .add("currentExecutable", current, 2)
        .add("idle", not busy, 2)
        .add("likelyStuck", False, 2)
        .add("number", index, 2)
        .add("progress", -1, 2)
    )


def _computer(ctx: RequestContext, node: Node, running: list[Build]) -> Bean:
    slots = list(node.slots)
    regular = [
        _executor(i, _placeholder_bean(ctx, b) if _readable(ctx, b) else None, b is not None)
        for i, b in enumerate(slots)
    ]
    one_off: list[Bean] = []
    if node.kind == "built-in":
        one_off = [_executor(-1, _run_bean(ctx, b) if _readable(ctx, b) else None, True) for b in running]
    idle = not one_off and all(b is None for b in slots)
    bean = Bean(COMPUTER_CLASS[node.kind])
    for name, value in (
        ("assignedLabels", [Bean(None).add("name", label, 2) for label in sorted(node.labels)]),
        ("description", "the Jenkins controller's built-in node" if node.kind == "built-in" else ""),
        ("displayName", node.display),
        ("executors", regular),
        ("icon", "symbol-computer"),
        ("idle", idle),
        ("numExecutors", node.num_executors),
        ("offline", False),
        ("offlineCause", None),
        ("oneOffExecutors", one_off),
        ("temporarilyOffline", False),
    ):
        bean.add(name, value, 2)
    return bean


def computers_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    pruner = pruner_from(ctx.request.args)
    pool = executors(ctx.state, ctx.services)
    with ctx.lock:
        ctx.require(READ)
        running = _running(ctx)
        with pool.lock:
            computers = [_computer(ctx, node, running) for node in pool.nodes()]
            busy = sum(1 for node in pool.nodes() for b in node.slots if b is not None) + len(running)
            total = sum(node.num_executors for node in pool.nodes()) + len(running)
        bean = (
            Bean("hudson.model.ComputerSet")
            .add("busyExecutors", busy)
            .add("computer", computers)
            .add("displayName", "Nodes")
            .add("totalExecutors", total)
        )
        data = export(bean, pruner)
    return pages.json_response(data)


def computer_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    """``/computer/(built-in)/`` (``(master)`` too, python-jenkins' spelling) or an agent's name."""
    pruner = pruner_from(ctx.request.args)
    name = groups["name"]
    pool = executors(ctx.state, ctx.services)
    with ctx.lock:
        ctx.require(READ)
        running = _running(ctx)
        with pool.lock:
            wanted = "" if name in ("(built-in)", "(master)") else name
            node = next((n for n in pool.nodes() if n.name == wanted), None)
            if node is None:
                raise ItemNotFound()
            data = export(_computer(ctx, node, running), pruner)
    return pages.json_response(data)
