"""Approvals: a run's inputs, approve and reject, the caller's inbox across projects, the event stream.

``…/runs/{run}/inputs`` asks Jenkins (through the coalescing cache) which inputs the run waits on; the
inbox ``/api/v1/approvals`` and the stream read the store only (the worker records inputs as runs
pause). Every input carries ``approvable`` and the ``reason`` for the caller. A decision the rules
refuse is a 403 before anything reaches Jenkins; an allowed one goes to Jenkins for the real user.
"""

from __future__ import annotations

import time
from collections.abc import Generator

from flask import Response, request

from bridge.api.access import current_actor, current_grants, workspace_of
from bridge.api.paging import Key, Pager, list_id
from bridge.api.registry import Call, Registry
from bridge.api.routes.runs import RUN
from bridge.api.schemas.approvals import ApprovalQuery, ApproveIn, InputList, InputOut, RejectIn
from bridge.api.schemas.common import PageQuery
from bridge.domain.approvals import Caller
from bridge.errors import InvalidRequest
from bridge.identity.roles import Role
from bridge.services.approvals import ApprovalService, Assessed
from bridge.services.run_logs import event

routes = Registry()
INPUTS = RUN + "/inputs"
INPUT = INPUTS + "/<input>"
APPROVALS = "/api/v1/approvals"
#: Seconds between two reads of new events by a stream, and between heartbeats.
STREAM_POLL = 0.5
STREAM_HEARTBEAT = 15.0


def _service(call: Call) -> ApprovalService:
    service = call.container.approvals
    assert service is not None  # the composition root always builds it
    return service


def _operator_on(call: Call) -> dict[str, bool]:
    """Every project the caller may see → whether they hold operator or above on it."""
    grants = current_grants()
    with call.container.store.read() as tx:
        homes = [(p.obj.name, p.obj.workspace) for p in tx.projects.list()]
    out = {}
    for name, workspace in homes:
        role = grants.project_role(name, workspace)
        if role is not None:
            out[name] = role >= Role.OPERATOR
    return out


def _caller(call: Call, project: str | None = None) -> Caller:
    """The caller, as an operator of ``project`` or not (for the inbox: per project, see ``_operator_on``)."""
    operator = False
    if project is not None:
        role = current_grants().project_role(project, workspace_of(call.container.identity)(project))
        operator = role is not None and role >= Role.OPERATOR
    return Caller(call.principal.name, call.principal.groups, operator=operator)


@routes.route(
    "GET",
    INPUTS,
    permission="run.read",
    tag="approvals",
    summary="The run's inputs (waiting and decided), each with `approvable` and the reason for the caller",
    query=PageQuery,
    response=InputList,
    errors=(400, 404, 502, 503),
)
def list_run_inputs(call: Call, project: str, pipeline: str, run: int) -> InputList:
    q = call.query_as(PageQuery)
    found = _service(call).run_inputs(project, pipeline, run, _caller(call, project))
    pager = Pager.of(q, list_id("inputs", project, pipeline, run), (int,))

    def fetch(after: Key | None, n: int) -> list[Assessed]:
        start = 0 if after is None else int(after[0])
        return [a for a in found if (a.input.id or 0) > start][:n]

    items, token = pager.page(fetch, key=lambda a: (a.input.id or 0,))
    return InputList(items=[InputOut.of(a) for a in items], continue_=token)


@routes.route(
    "POST",
    INPUT + "/approve",
    permission="input.submit",
    tag="approvals",
    summary="Approve a waiting input as the caller: 200 when the run proceeds, 202 while more approvals "
    "are required",
    request=ApproveIn,
    body_optional=True,
    response=InputOut,
    status=200,
    errors=(400, 403, 404, 409, 502, 503),
)
def approve_input(call: Call, project: str, pipeline: str, run: int, input: str) -> tuple[InputOut, int]:
    body = call.body_as(ApproveIn)
    done = _service(call).approve(
        project,
        pipeline,
        run,
        input,
        _caller(call, project),
        current_actor(request),
        parameters=body.parameters,
        comment=body.comment,
    )
    out = InputOut.of(done)
    return out, 200 if out.state != "waiting" else 202


@routes.route(
    "POST",
    INPUT + "/reject",
    permission="input.submit",
    tag="approvals",
    summary="Reject a waiting input as the caller: the run ends aborted",
    request=RejectIn,
    body_optional=True,
    response=InputOut,
    status=200,
    errors=(400, 403, 404, 409, 502, 503),
)
def reject_input(call: Call, project: str, pipeline: str, run: int, input: str) -> InputOut:
    body = call.body_as(RejectIn)
    done = _service(call).reject(project, pipeline, run, input, current_actor(request), comment=body.comment)
    return InputOut.of(done)


@routes.route(
    "GET",
    APPROVALS,
    permission="approval.list",
    tag="approvals",
    summary="The caller's inbox: every waiting input of the projects the caller may see, oldest first",
    query=ApprovalQuery,
    response=InputList,
    errors=(400,),
)
def inbox(call: Call) -> InputList:
    q = call.query_as(ApprovalQuery)
    projects = _operator_on(call)
    if q.project is not None:
        projects = {q.project: projects[q.project]} if q.project in projects else {}
    caller = _caller(call)
    service = _service(call)
    pager = Pager.of(q, list_id("approvals", q.project, q.approvable), (int,))

    def fetch(after: Key | None, n: int) -> list[Assessed]:
        start = 0 if after is None else int(after[0])
        return service.inbox(projects, caller, after_id=start, limit=n)

    def keep(a: Assessed) -> bool:
        return q.approvable is None or a.approvable == q.approvable

    items, token = pager.page(fetch, key=lambda a: (a.input.id or 0,), keep=keep)
    return InputList(items=[InputOut.of(a) for a in items], continue_=token)


@routes.route(
    "GET",
    APPROVALS + "/stream",
    permission="approval.list",
    tag="approvals",
    summary="Approval events of the projects the caller may see, as Server-Sent Events (`waiting`, "
    "`approval`, `approved`, `rejected`, `expired`, `gone`); resumable with Last-Event-ID",
    media_type="text/event-stream",
    errors=(400, 503),
)
def approval_stream(call: Call) -> Response:
    header = request.headers.get("Last-Event-ID")
    if header is not None and not header.strip().isdigit():
        raise InvalidRequest("Last-Event-ID must be the id of an event of this stream")
    visible = set(_operator_on(call))
    store = call.container.store
    if header is not None:
        start = int(header)
    else:
        with store.read() as tx:
            start = tx.approvals.last_event_id()
    logs = call.container.run_logs
    assert logs is not None

    def events() -> Generator[bytes]:
        last, quiet = start, 0.0
        yield b"retry: 3000\n\n"
        while True:
            with store.read() as tx:
                found = tx.approvals.events_after(last)
            for event_id, project, kind, body in found:
                last = event_id
                if project in visible:
                    yield event(kind, body, event_id)
            if found:
                quiet = 0.0
                continue
            time.sleep(STREAM_POLL)
            quiet += STREAM_POLL
            if quiet >= STREAM_HEARTBEAT:
                quiet = 0.0
                yield b": heartbeat\n\n"

    response = Response(
        logs.slot_stream(events()), content_type="text/event-stream; charset=utf-8", direct_passthrough=True
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response
