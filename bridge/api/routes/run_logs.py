"""/api/v1/projects/<project>/pipelines/<pipeline>/runs/<run>/log (and the stage and step logs)

``<run>`` is the build number. Logs are ``text/plain; charset=utf-8``, streamed as Jenkins sends them
(never held whole), with Jenkins's console notes removed and ``\\n`` line ends; secrets appear masked
(``****``) exactly as Jenkins wrote them. ``X-Text-Size`` and ``X-More-Data`` follow Jenkins's
``progressiveText``: send ``X-Text-Size`` back as ``start`` for the next piece; ``X-More-Data: true``
is present only while more may come. ``…/log/stream`` is a Server-Sent Events stream of the same log
(see ``bridge/services/run_logs.py``). Viewers may read everything here.
"""

from __future__ import annotations

from flask import Response, request

from bridge.adapters.jenkins.logs import LogPage
from bridge.api.registry import Call, Registry
from bridge.api.schemas.run_logs import LogQuery, StepLogQuery
from bridge.errors import InvalidRequest, NotFound
from bridge.services.run_logs import RunLogs

routes = Registry()
RUN = "/api/v1/projects/<project>/pipelines/<item:pipeline>/runs/<run>"
TEXT = "text/plain; charset=utf-8"
ERRORS = (404, 502, 503)


def _target(call: Call, project: str, pipeline: str, run: str) -> tuple[RunLogs, str, int]:
    call.container.pipelines.get(project, pipeline)  # NotFound for a pipeline the bridge does not hold
    if not run.isdigit() or int(run) < 1:
        raise NotFound(f"pipeline {project}/{pipeline} has no run {run!r}")
    logs = call.container.run_logs
    assert logs is not None  # the composition root always builds it
    return logs, f"{project}/{pipeline}", int(run)


def _text(page: LogPage, *, filename: str | None = None) -> Response:
    response = Response(page, content_type=TEXT, direct_passthrough=True)  # the server closes the page
    if page.size >= 0:
        response.headers["X-Text-Size"] = str(page.size)
    if page.more:
        response.headers["X-More-Data"] = "true"
    response.headers["Cache-Control"] = "no-store"
    if filename is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@routes.route(
    "GET",
    RUN + "/log",
    permission="run.read",
    tag="runs",
    summary="The run's whole log (text), or from offset `start` on (incremental, like progressiveText)",
    query=LogQuery,
    media_type=TEXT,
    errors=ERRORS,
)
def run_log(call: Call, project: str, pipeline: str, run: str) -> Response:
    logs, job, build = _target(call, project, pipeline, run)
    query = call.query_as(LogQuery)
    page = logs.whole(job, build) if query.start is None else logs.since(job, build, query.start)
    return _text(page, filename=f"{project}-{pipeline}-{build}.log" if query.download else None)


@routes.route(
    "GET",
    RUN + "/log/stream",
    permission="run.read",
    tag="runs",
    summary="Follow the run's log as Server-Sent Events until the run ends (resumable with Last-Event-ID)",
    media_type="text/event-stream",
    errors=ERRORS,
)
def run_log_stream(call: Call, project: str, pipeline: str, run: str) -> Response:
    logs, job, build = _target(call, project, pipeline, run)
    header = request.headers.get("Last-Event-ID")
    if header is not None and not header.strip().isdigit():
        raise InvalidRequest("Last-Event-ID must be the id of an event of this stream (a byte offset)")
    events = logs.stream(job, build, int(header) if header is not None else None)
    response = Response(events, content_type="text/event-stream; charset=utf-8", direct_passthrough=True)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events on at once
    return response


@routes.route(
    "GET",
    RUN + "/stages/<stage>/log",
    permission="run.read",
    tag="runs",
    summary="One stage's log: its steps' logs in order (`stage` is the stage's node id in the run's graph)",
    media_type=TEXT,
    errors=ERRORS,
)
def stage_log(call: Call, project: str, pipeline: str, run: str, stage: str) -> Response:
    logs, job, build = _target(call, project, pipeline, run)
    return _text(logs.stage(job, build, stage))


@routes.route(
    "GET",
    RUN + "/steps/<step>/log",
    permission="run.read",
    tag="runs",
    summary="One step's full log (`step` is its node id), incremental with `start` like the run's log",
    query=StepLogQuery,
    media_type=TEXT,
    errors=ERRORS,
)
def step_log(call: Call, project: str, pipeline: str, run: str, step: str) -> Response:
    logs, job, build = _target(call, project, pipeline, run)
    return _text(logs.step(job, build, step, call.query_as(StepLogQuery).start))
