"""Run logs: the whole log, incremental reads, per-step and per-stage logs, and the SSE stream.

* The whole log (no ``start``) and step logs are passed through from Jenkins as they arrive.
* An incremental read (``start=N``) is answered from the build's shared ``LogTail`` when ``N`` is an
  offset the tail handed out (0 included): many pollers of one running build cost one Jenkins read per
  interval. Any other ``N`` is asked of Jenkins directly, with its own semantics.
* A stage's log joins its steps' logs in order; it is complete when the stage has ended.
* The stream follows the shared tail until the log is complete; streams hold a slot from a bounded
  pool (``api.max_streams``), so they cannot take the request threads ordinary calls need.
"""

from __future__ import annotations

import codecs
import json
import threading
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from bridge.adapters.jenkins.logs import LogPage
from bridge.errors import NotFound, UpstreamUnavailable
from bridge.services.log_tail import LogTail, LogTails

if TYPE_CHECKING:
    from bridge.adapters.jenkins.logs import LogPort

#: Jenkins's results, normalised as the run resource shows them.
STATUS = {
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "UNSTABLE": "unstable",
    "ABORTED": "aborted",
    "NOT_BUILT": "not_built",
}


class TooManyStreams(UpstreamUnavailable):
    """Every stream slot is taken (a 503 with ``Retry-After``, like an unavailable upstream)."""


class RunLogs:
    def __init__(
        self, port: LogPort, *, interval: float, heartbeat: float, max_streams: int, idle: float = 30.0
    ) -> None:
        self.port = port
        self.tails = LogTails(port, interval=interval, idle=idle)
        self._heartbeat = heartbeat
        self._first_read = max(30.0, interval * 5)
        self._slots = threading.BoundedSemaphore(max_streams)

    def whole(self, job_path: str, build: int) -> LogPage:
        return self.port.run_log(job_path, build, 0)

    def since(self, job_path: str, build: int, start: int) -> LogPage:
        if start == 0:
            return self._from_tail(self._tail(job_path, build), 0)
        tail = self.tails.get(job_path, build)
        if tail.first_mark(self._first_read):
            pos = tail.mark_at(start)
            if pos is not None:
                return self._from_tail(tail, pos)
        return self.port.run_log(job_path, build, start)  # not an offset this process handed out

    def step(self, job_path: str, build: int, node: str, start: int) -> LogPage:
        return self.port.node_log(job_path, build, node, start)

    def stage(self, job_path: str, build: int, stage: str) -> LogPage:
        steps = self.port.stage_steps(job_path, build, stage)
        return LogPage(size=-1, more=steps.active, chunks=self._joined(job_path, build, steps.node_ids))

    def stream(self, job_path: str, build: int, resume: int | None) -> SlotStream:
        """SSE events (``log`` with the text and, at each mark, its offset as ``id``; ``end`` with the
        result); raises before the first byte when the run cannot be read or no slot is free."""
        if not self._slots.acquire(blocking=False):
            raise TooManyStreams("every log stream slot is in use; retry shortly", retry_after=5)
        try:
            tail = self._tail(job_path, build)
        except BaseException:
            self._slots.release()
            raise
        return SlotStream(self._events(tail, resume), self._slots)

    def slot_stream(self, events: Generator[bytes]) -> SlotStream:
        """Any SSE stream (the approval events) holding one of the same bounded slots as log streams."""
        if not self._slots.acquire(blocking=False):
            events.close()
            raise TooManyStreams("every stream slot is in use; retry shortly", retry_after=5)
        return SlotStream(events, self._slots)

    def close(self) -> None:
        self.tails.close()

    # -- helpers ---------------------------------------------------------------------------------------
    def _tail(self, job_path: str, build: int) -> LogTail:
        tail = self.tails.get(job_path, build)
        if not tail.first_mark(self._first_read):
            if tail.error is not None:
                raise tail.error
            raise UpstreamUnavailable("Jenkins did not answer for the log in time", retry_after=5)
        return tail

    @staticmethod
    def _from_tail(tail: LogTail, pos: int) -> LogPage:
        raw, final = tail.latest()
        return LogPage(size=raw, more=not final, chunks=tail.chunks_to(pos, raw))

    def _joined(self, job_path: str, build: int, nodes: tuple[str, ...]) -> Iterator[bytes]:
        for node in nodes:
            try:
                page = self.port.node_log(job_path, build, node, 0)
            except NotFound:
                continue  # a step without a log of its own
            try:
                yield from page.chunks
            finally:
                page.close()

    def _events(self, tail: LogTail, resume: int | None) -> Generator[bytes]:
        with tail.reading():
            pos = tail.position(resume) if resume is not None else 0
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            yield b"retry: 3000\n\n"
            while True:
                piece = tail.wait_piece(pos, self._heartbeat)
                if piece is None:
                    yield b": heartbeat\n\n"
                    continue
                if piece.data or piece.mark is not None:
                    pos = piece.end
                    yield event("log", {"text": decoder.decode(piece.data)}, piece.mark)
                    continue
                if tail.complete and tail.error is None:
                    raw, _end, _final = tail.last_mark()
                    result = tail.result
                    yield event("end", {"result": result, "status": STATUS.get(result or "")}, raw)
                else:
                    detail = tail.error.detail if tail.error else "the log is no longer followed"
                    yield event("error", {"detail": detail}, None)
                return


class SlotStream:
    """An event stream holding a stream slot until the server closes it (started or not: WSGI servers
    always ``close`` a body, even for HEAD or a client gone before the first byte)."""

    def __init__(self, events: Generator[bytes], slots: threading.BoundedSemaphore) -> None:
        self._events, self._slots = events, slots
        self._held = True
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[bytes]:
        return self._events

    def close(self) -> None:
        self._events.close()
        with self._lock:
            held, self._held = self._held, False
        if held:
            self._slots.release()


def event(kind: str, data: dict[str, Any], event_id: int | None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
