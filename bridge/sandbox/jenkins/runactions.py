"""Run-level actions the build module leaves out: the input action's ``api/json`` and ``submitDescription``.

* ``/job/…/N/input/api/json``: ``InputAction`` (``@ExportedBean``) with ``executions`` (one
  ``InputStepExecution`` per pending input: ``id`` and ``input``, the ``InputStep`` with ``id``,
  ``message``, ``ok``, ``submitter``, ``submitterParameter``, ``parameters``) and ``waitingForInput``.
  A run that never reached an ``input`` step has no such action: 404. (Jenkins keeps the action,
  with no executions, once every input is settled; the sandbox forgets settled inputs, so it answers
  404 then too: clients must treat both the same way.)
* ``POST /job/…/N/submitDescription`` (``Run.doSubmitDescription``, @RequirePOST): form ``description``,
  needs Run/Update (``setDescription``), answers 302 to the run.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import pages
from bridge.sandbox.jenkins.builds import BUILD, build_of, build_url
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import ItemNotFound
from bridge.sandbox.jenkins.export import Bean, export, pruner_from
from bridge.sandbox.jenkins.routing import RouteTable

JOB = ("job",)
RUN_UPDATE = "hudson.model.Run.Update"
INPUT_PACKAGE = "org.jenkinsci.plugins.workflow.support.steps.input."


def register(routes: RouteTable) -> None:
    routes.add(BUILD + "/input/api/json", input_json, kinds=JOB)
    routes.add(BUILD + "/submitDescription", submit_description, kinds=JOB, methods=("POST",))


def input_json(ctx: RequestContext, groups: dict[str, str]) -> Response:
    pruner = pruner_from(ctx.request.args)
    with ctx.lock:
        build = build_of(ctx, groups)
    pending_inputs = build.run.pending_inputs()
    if not pending_inputs:
        raise ItemNotFound()
    executions = []
    for pending in pending_inputs:
        step = Bean(INPUT_PACKAGE + "InputStep")
        step.add("cancel", "Abort", 2).add("id", pending.id, 2).add("message", pending.message, 2)
        step.add("ok", pending.ok, 2)
        definitions = [
            Bean(f"hudson.model.{p.type}").add("name", p.name, 3).add("type", p.type, 3)
            for p in pending.parameters
        ]
        step.add("parameters", definitions, 2)
        step.add("submitter", pending.submitter, 2).add("submitterParameter", pending.submitter_parameter, 2)
        executions.append(
            Bean(INPUT_PACKAGE + "InputStepExecution").add("id", pending.id, 2).add("input", step, 2)
        )
    bean = Bean(INPUT_PACKAGE + "InputAction")
    bean.add("displayName", "Paused for Input" if executions else None)
    bean.add("executions", executions).add("waitingForInput", bool(executions))
    return pages.json_response(export(bean, pruner))


def submit_description(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
        ctx.require(RUN_UPDATE)
        build.description = ctx.param("description") or ""
        return pages.redirect(build_url(ctx, build))
