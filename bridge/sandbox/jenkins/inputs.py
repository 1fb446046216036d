"""Input step endpoints (``/job/…/N/input/ID/proceedEmpty|proceed|submit|abort``).

Permission rule of ``InputStepExecution.canSettle``: without ``submitter`` the caller needs Job/Build;
with one, admins, or a user whose id or one of whose groups equals an entry (comma-separated, trimmed,
case-insensitive); abort is also allowed with Job/Cancel. Denials are 400 ``Failure``s with Jenkins' text.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import pages
from bridge.sandbox.jenkins.builds import BUILD, build_of, build_url
from bridge.sandbox.jenkins.buildstate import Build
from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import Failure, ItemNotFound, Oops
from bridge.sandbox.jenkins.model import ITEM_BUILD, ITEM_CANCEL
from bridge.sandbox.jenkins.pipeline import PendingInput
from bridge.sandbox.jenkins.routing import RouteTable

JOB = ("job",)
INPUT = BUILD + r"/input/(?P<input>[^/]+)"


def register(routes: RouteTable) -> None:
    routes.add(INPUT + "/(?P<action>proceedEmpty|proceed|submit|abort)", settle, kinds=JOB, methods=("POST",))
    routes.add(BUILD + "/input", input_page, kinds=JOB)


def pending(build: Build, input_id: str) -> PendingInput:
    found = next((p for p in build.run.pending_inputs() if p.id == input_id), None)
    if found is None:
        raise ItemNotFound()
    return found


def allowed(ctx: RequestContext, item: PendingInput, *, abort: bool) -> bool:
    principal = ctx.principal
    if abort and ctx.has(ITEM_CANCEL):
        return True
    if item.submitter is None:
        return ctx.has(ITEM_BUILD)
    if principal.is_admin:
        return True
    names = {principal.id.lower(), *(g.lower() for g in principal.groups)}
    return any(entry.strip().lower() in names for entry in item.submitter.split(","))


def check(ctx: RequestContext, item: PendingInput, *, abort: bool) -> None:
    if allowed(ctx, item, abort=abort):
        return
    if abort:
        raise Failure(f"You need to be '{item.submitter}' (or have Job/Cancel permissions) to cancel this.")
    if item.submitter is None:
        raise Failure("You need to have Job/Build permissions to submit this.")
    raise Failure(f"You need to be {item.submitter} to submit this.")


def parse_values(item: PendingInput, raw: str | None) -> dict[str, Any]:
    """``{"parameter":[{"name","value"}]}`` bound to the input's definitions; an unknown name is a 500."""
    if raw is None:
        raise Failure("Nothing is submitted")
    try:
        submitted = json.loads(raw).get("parameter", [])
        submitted = [submitted] if isinstance(submitted, dict) else submitted
        pairs = [(p["name"], p.get("value")) for p in submitted]
    except (ValueError, AttributeError, KeyError, TypeError) as error:
        raise Failure("Nothing is submitted") from error
    names = {p.name for p in item.parameters}
    for name, _value in pairs:
        if name not in names:
            raise Oops(f"No such parameter definition: {name}")
    return dict(pairs)


def proceed(ctx: RequestContext, build: Build, item: PendingInput, values: dict[str, Any]) -> None:
    check(ctx, item, abort=False)
    if not build.run.settle_input(item.id, outcome="proceed", user=ctx.principal.id, values=values):
        raise Failure("This input has been already given")


def abort(ctx: RequestContext, build: Build, item: PendingInput) -> None:
    check(ctx, item, abort=True)
    if not build.run.settle_input(item.id, outcome="abort", user=ctx.principal.id):
        raise Failure("This input has been already given")


def settle(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
    item = pending(build, groups["input"])
    action = groups["action"]
    if action == "proceedEmpty":
        proceed(ctx, build, item, {})
        return pages.empty()
    if action == "proceed":
        proceed(ctx, build, item, parse_values(item, ctx.request.form.get("json")))
        return pages.empty()
    if action == "abort":
        abort(ctx, build, item)
        return pages.empty()
    if ctx.request.form.get("proceed") is not None:
        raw = ctx.request.form.get("json")
        proceed(ctx, build, item, parse_values(item, raw) if raw is not None else {})
    else:
        abort(ctx, build, item)
    return pages.redirect(build_url(ctx, build) + "console")


def input_page(ctx: RequestContext, groups: dict[str, str]) -> Response:
    with ctx.lock:
        build = build_of(ctx, groups)
    if not build.run.pending_inputs():
        raise ItemNotFound()
    return pages.page("Input required", "; ".join(p.message for p in build.run.pending_inputs()))
