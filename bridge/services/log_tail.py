"""One shared tail per build: Jenkins is read once per interval, whatever the number of readers.

A ``LogTail`` polls the run's ``progressiveText`` from the offset it reached (Jenkins sends only the new
bytes) and appends the text to a spool file on disk, so memory stays bounded for logs of any size;
every reader (SSE stream or incremental poll) reads the spool at its own pace with ``pread``. Each poll
ends at a *mark*: Jenkins's raw offset (``X-Text-Size``) and the spool position it corresponds to. Marks
are the only offsets handed out (SSE event ids, ``X-Text-Size``), so a reader resuming at a mark
continues exactly; an offset that is no mark (from another process) resumes at the mark before it
(text may repeat, none is lost).

The tail stops polling once the log is complete (Jenkins no longer sends ``X-More-Data``) and goes away
when nobody has used it for ``idle`` seconds; ``LogTails`` keeps one per build and forgets stopped ones.
"""

from __future__ import annotations

import bisect
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from bridge.errors import BridgeError, NotFound, UpstreamUnavailable

if TYPE_CHECKING:
    from bridge.adapters.jenkins.logs import LogPort

log = logging.getLogger(__name__)
PIECE = 64 * 1024


@dataclass(frozen=True)
class Piece:
    """Text from the spool; ``mark`` is the raw offset when the piece ends at a mark."""

    data: bytes
    end: int  # spool position after the piece
    mark: int | None


class LogTail:
    def __init__(
        self,
        port: LogPort,
        job_path: str,
        build: int,
        *,
        interval: float,
        idle: float,
        on_stop: Callable[[LogTail], None] = lambda tail: None,
    ) -> None:
        self.port, self.job_path, self.build = port, job_path, build
        self._interval, self._idle, self._on_stop = interval, idle, on_stop
        self._spool = tempfile.TemporaryFile(prefix="jenkins-bridge-log-")  # noqa: SIM115 - closed by _run
        self._cond = threading.Condition()
        self._size = 0
        self._raws: list[int] = []  # marks: raw offsets, ascending
        self._positions: list[int] = []  # and their spool positions
        self._pending: int | None = None  # X-Text-Size of the poll under way (its text is arriving)
        self.complete = False
        self.result: str | None = None
        self.error: BridgeError | None = None  # the last poll's failure (cleared by the next success)
        self.stopped = False
        self._readers = 0
        self._used = time.monotonic()
        self.polls = 0
        self._thread = threading.Thread(target=self._run, name=f"log-tail {job_path}#{build}", daemon=True)
        self._thread.start()

    # -- readers ---------------------------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[LogTail]:
        with self._cond:
            self._readers += 1
            self._used = time.monotonic()
        try:
            yield self
        finally:
            with self._cond:
                self._readers -= 1
                self._used = time.monotonic()
                self._cond.notify_all()

    def first_mark(self, timeout: float) -> bool:
        """Wait for Jenkins's first answer (its headers) or its failure; ``True`` once an offset is known."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._raws or self._pending is not None or self.error or self.stopped, timeout
            )
            return bool(self._raws) or self._pending is not None

    def latest(self) -> tuple[int, bool]:
        """(the newest offset known, whether it is the end of a complete log): the poll under way if any."""
        with self._cond:
            if self._pending is not None:
                return self._pending, False
            return (self._raws[-1] if self._raws else 0), self.complete

    def chunks_to(self, pos: int, raw: int) -> Iterator[bytes]:
        """The spool from ``pos`` to the mark ``raw``, waiting for text while the poll that ends there is
        under way. If that poll fails, the body is broken off (an error, never a silently short text)."""
        with self.reading():
            while True:
                with self._cond:
                    self._cond.wait_for(partial(self._moved, pos, raw), self._interval)
                    i = bisect.bisect_left(self._raws, raw)
                    limit = self._positions[i] if i < len(self._raws) and self._raws[i] == raw else None
                    end = limit if limit is not None else self._size
                    if pos >= end:
                        if limit is not None:
                            return
                        if self._pending != raw or self.stopped:
                            raise UpstreamUnavailable("Jenkins broke off the log; read it again")
                        continue
                data = self.read(pos, min(end, pos + PIECE))
                pos += len(data)
                yield data

    def position(self, raw: int) -> int:
        """The spool position to resume at for raw offset ``raw`` (the mark at or before it)."""
        with self._cond:
            i = bisect.bisect_right(self._raws, raw) - 1
            return self._positions[i] if i >= 0 else 0

    def last_mark(self) -> tuple[int, int, bool]:
        """(raw offset, spool position, final) of the latest mark; final once the log is complete."""
        with self._cond:
            if not self._raws:
                return 0, 0, self.complete
            return self._raws[-1], self._positions[-1], self.complete

    def mark_at(self, raw: int) -> int | None:
        """The spool position of the mark ``raw`` exactly, if it is one."""
        with self._cond:
            i = bisect.bisect_left(self._raws, raw)
            return self._positions[i] if i < len(self._raws) and self._raws[i] == raw else None

    def wait_piece(self, pos: int, timeout: float) -> Piece | None:
        """The text after ``pos`` up to the next mark (at most ``PIECE`` bytes); waits up to ``timeout``
        for some. ``None``: nothing new yet. An empty piece at the end means the log is complete."""
        with self._cond:
            self._used = time.monotonic()
            self._cond.wait_for(lambda: self._size > pos or self.complete or self.stopped, timeout)
            size = self._size
            i = bisect.bisect_right(self._positions, pos)
            limit = self._positions[i] if i < len(self._positions) else size
            mark = self._raws[i] if i < len(self._raws) else None
            if size <= pos and not (self.complete or self.stopped):
                return None
        end = min(limit, pos + PIECE)
        return Piece(self.read(pos, end), end, mark if end == limit and mark is not None else None)

    def _moved(self, pos: int, raw: int) -> bool:
        """Text past ``pos``, or the poll ending at ``raw`` is over (done or failed); under the lock."""
        return self._size > pos or self._pending != raw or self.stopped

    def read(self, start: int, end: int) -> bytes:
        return os.pread(self._spool.fileno(), end - start, start) if end > start else b""

    def touch(self) -> bool:
        """Note a use; ``False`` if the tail has already stopped (take a new one)."""
        with self._cond:
            self._used = time.monotonic()
            return not self.stopped

    # -- the poller ------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._done():
                if not self.complete:
                    self._poll()
                with self._cond:
                    self._cond.wait_for(lambda: self.stopped, self._interval)
        finally:
            with self._cond:
                self.stopped = True
                self._cond.notify_all()
            self._on_stop(self)
            self._spool.close()

    def _done(self) -> bool:
        with self._cond:
            if self.stopped:
                return True
            # a complete log is kept for late readers until it has been unused for ``idle`` seconds;
            # deciding and stopping under one lock, so a reader that just got this tail keeps it
            self.stopped = self._readers == 0 and time.monotonic() - self._used > self._idle
            return self.stopped

    def _poll(self) -> None:
        start = self._raws[-1] if self._raws else 0
        self.polls += 1
        try:
            page = self.port.run_log(self.job_path, self.build, start)
            with self._cond:
                self._pending = page.size
                self._cond.notify_all()
            try:
                for chunk in page.chunks:
                    os.pwrite(self._spool.fileno(), chunk, self._size)
                    with self._cond:
                        self._size += len(chunk)
                        self._cond.notify_all()
            finally:
                page.close()
            result = None if page.more else self.port.run_state(self.job_path, self.build).result
        except NotFound as e:  # no such run (yet: still queued): this tail ends, the next reader asks again
            with self._cond:
                self.error, self.stopped, self._pending = e, True, None
                self._cond.notify_all()
            return
        except BridgeError as e:
            log.info("log of %s #%d not read this time: %s", self.job_path, self.build, e.detail)
            with self._cond:
                # Text of a broken-off poll is dropped; the next poll starts again at the last mark and
                # writes the same bytes to the same places (a log only grows), so readers lose nothing.
                self._size = self._positions[-1] if self._positions else 0
                self.error, self._pending = e, None
                self._cond.notify_all()
            return
        with self._cond:
            if not self._raws or page.size > self._raws[-1]:
                self._raws.append(page.size)
                self._positions.append(self._size)
            elif self._positions[-1] != self._size:  # text without growth: attach it to the last mark
                self._positions[-1] = self._size
            self.error, self._pending = None, None
            self.complete, self.result = not page.more, result
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self.stopped = True
            self._cond.notify_all()


class LogTails:
    """One ``LogTail`` per build, shared by all readers of this process."""

    def __init__(self, port: LogPort, *, interval: float, idle: float = 30.0) -> None:
        self._port, self._interval, self._idle = port, interval, idle
        self._tails: dict[tuple[str, int], LogTail] = {}
        self._lock = threading.Lock()

    def get(self, job_path: str, build: int) -> LogTail:
        key = (job_path, build)
        with self._lock:
            tail = self._tails.get(key)
            if tail is None or not tail.touch():
                tail = LogTail(
                    self._port,
                    job_path,
                    build,
                    interval=self._interval,
                    idle=self._idle,
                    on_stop=self._forget,
                )
                self._tails[key] = tail
            return tail

    def _forget(self, tail: LogTail) -> None:
        with self._lock:
            if self._tails.get((tail.job_path, tail.build)) is tail:
                del self._tails[(tail.job_path, tail.build)]

    def close(self) -> None:
        with self._lock:
            tails = list(self._tails.values())
        for tail in tails:
            tail.stop()
