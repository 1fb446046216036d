"""``JenkinsLogs``: a run's console log and its flow nodes' logs, read from Jenkins without holding them.

Jenkins serves every log through stapler's ``LargeText``: ``…/logText/progressiveText?start=OFF`` answers
the log from raw byte ``OFF`` with ``X-Text-Size`` (the offset to ask for next) and ``X-More-Data: true``
only while the log may still grow (absent, not "false", once complete). The run's log is
``job/…/N/logText/progressiveText``; a step's full log is
``job/…/N/execution/node/ID/log/logText/progressiveText`` (404 for a node without a log). No core endpoint
serves a stage's log: ``stage_steps`` lists a stage's step nodes (Stage View's ``stageFlowNodes``, at
most 100) so their logs can be joined.

The body comes with lone ``\\n`` sent as ``\\r\\n`` and, from Jenkins 2.509 on, with console notes
(``ESC[8mha:…ESC[0m``) left in; ``clean`` undoes both, line by line, so the text is the same on every
Jenkins version. Offsets stay Jenkins's raw ones: only ``X-Text-Size`` says where the next read starts.
Secrets are masked by Jenkins before the log is written (credentials-binding's ``****``); the bridge
never sees them and never unmasks anything.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import requests

from bridge.adapters.jenkins import paths
from bridge.adapters.jenkins.connection import JenkinsConnection
from bridge.errors import NotFound, UpstreamError, UpstreamUnavailable

NOTE = re.compile(rb"\x1b\[8mha:[A-Za-z0-9+/=]*\x1b\[0m")
#: Bytes read from Jenkins at a time (and the largest piece ``clean`` yields, bar one long line).
CHUNK = 64 * 1024
#: A line longer than this is passed on in pieces rather than buffered whole.
MAX_LINE = 1024 * 1024
ACTIVE_STATUSES = frozenset({"IN_PROGRESS", "PAUSED_PENDING_INPUT", "QUEUED"})


@dataclass
class LogPage:
    """One ``progressiveText`` answer: ``size`` (``X-Text-Size``), ``more`` (``X-More-Data``) and the
    cleaned text as it arrives. Iterate it once; ``close`` it always (read or not), as a WSGI server
    closes a response body, so the connection to Jenkins is given back even when nothing was read."""

    size: int
    more: bool
    chunks: Iterator[bytes]
    response: requests.Response | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def close(self) -> None:
        if isinstance(self.chunks, Generator):
            self.chunks.close()
        if self.response is not None:
            self.response.close()


@dataclass(frozen=True)
class StageSteps:
    """The step nodes of one stage, in order, and whether the stage is still running."""

    node_ids: tuple[str, ...]
    active: bool


@dataclass(frozen=True)
class RunState:
    building: bool
    result: str | None


class LogPort(Protocol):
    counter: Any

    def run_log(self, job_path: str, build: int, start: int = 0) -> LogPage: ...

    def node_log(self, job_path: str, build: int, node: str, start: int = 0) -> LogPage: ...

    def stage_steps(self, job_path: str, build: int, stage: str) -> StageSteps: ...

    def run_state(self, job_path: str, build: int) -> RunState: ...


class JenkinsLogs:
    """Logs of the controller behind ``connection`` (the one its other ports share), read as its
    (service) user; requests are counted as the ``log`` and ``log_state`` operations."""

    def __init__(self, connection: JenkinsConnection) -> None:
        self._connection = connection
        self.counter = connection.counter

    def run_log(self, job_path: str, build: int, start: int = 0) -> LogPage:
        return self._page(_run(job_path, build) + "logText/progressiveText", start)

    def node_log(self, job_path: str, build: int, node: str, start: int = 0) -> LogPage:
        if not node.isdigit():
            raise NotFound(f"run {build} of {job_path} has no step {node!r}")
        return self._page(_run(job_path, build) + f"execution/node/{node}/log/logText/progressiveText", start)

    def stage_steps(self, job_path: str, build: int, stage: str) -> StageSteps:
        if not stage.isdigit():
            raise NotFound(f"run {build} of {job_path} has no stage {stage!r}")
        data = self._connection.get_json(
            _run(job_path, build) + f"execution/node/{stage}/wfapi/describe", operation="log_state"
        )
        nodes = data.get("stageFlowNodes")
        if not isinstance(nodes, list):
            raise NotFound(f"node {stage} of run {build} of {job_path} is not a stage")
        ids = tuple(str(n["id"]) for n in nodes if isinstance(n, dict) and str(n.get("id", "")).isdigit())
        return StageSteps(node_ids=ids, active=str(data.get("status")) in ACTIVE_STATUSES)

    def run_state(self, job_path: str, build: int) -> RunState:
        data = self._connection.get_json(
            _run(job_path, build) + "api/json", operation="log_state", tree="building,result"
        )
        result = data.get("result")
        return RunState(building=bool(data.get("building")), result=str(result) if result else None)

    def _page(self, path: str, start: int) -> LogPage:
        response = self._connection.get_stream(path, operation="log", start=str(max(start, 0)))
        try:
            size = int(response.headers.get("X-Text-Size", ""))
        except ValueError:
            response.close()
            raise UpstreamError(f"Jenkins answered GET {path} without X-Text-Size") from None
        more = response.headers.get("X-More-Data", "").lower() == "true"
        return LogPage(size=size, more=more, chunks=clean(_body(response, path)), response=response)


def _run(job_path: str, build: int) -> str:
    return paths.item(job_path) + f"{build}/"


def _body(response: requests.Response, path: str) -> Iterator[bytes]:
    try:
        yield from response.iter_content(CHUNK)
    except requests.RequestException as e:
        raise UpstreamUnavailable(f"Jenkins broke off GET {path}: {type(e).__name__}") from e
    finally:
        response.close()


def clean(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``progressiveText`` bodies as plain text: console notes removed, ``\\r\\n`` → ``\\n``; only whole
    lines are transformed (a note or a line end is never split), a partial last line is passed at the end."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) > MAX_LINE:
            cut = len(data) - 1 if data.endswith(b"\r") else len(data)
        carry = data[cut:]
        if cut:
            yield NOTE.sub(b"", data[:cut]).replace(b"\r\n", b"\n")
    if carry:
        yield NOTE.sub(b"", carry).replace(b"\r\n", b"\n")
