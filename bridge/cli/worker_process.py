"""``serve --with-worker``: the reconciliation worker in a process of its own, supervised by ``serve``.

The API and the worker share nothing but the store, so each gets its own interpreter: a pass's Python
code (planning, XML, the HTTP client) then never holds the interpreter lock that the API's request
threads need, and a long pass no longer slows the API. The cost is a second interpreter's memory.

``serve`` starts the child as ``python -m bridge.cli.worker_process FD`` (a fresh interpreter: nothing
of serve's threads, sockets or connections is inherited but one end of a socket pair, FD; the
environment is, so both read the same settings) and keeps the pair's other end, carrying pickled
messages (``multiprocessing.connection``):

* serve → worker: ``wake`` after each commit through the API that queued work (the pass starts at
  once, on PostgreSQL too, where other processes' commits are seen at the next poll), ``stop``;
* worker → serve: whether it holds the scheduler lock, the leases it holds, each pass (trigger,
  seconds, writes, errors) and each Jenkins request's outcome, so that serve's ``/readyz`` and
  ``/metrics`` say what they said when the worker was a thread of serve.

Messages go out in batches from one sender thread on each side; the threads that produce them only
append to a queue. The worker stops when told to, on SIGTERM, or when the pipe ends (serve died
without telling it), so it never outlives serve while holding the scheduler lock. SIGINT (Ctrl-C in a
terminal reaches the whole process group) is left to serve, which then stops the worker itself. A
worker that ends by itself (it lost the PostgreSQL lock, or failed) makes ``/readyz`` answer
``leader: lost`` (503), so the orchestrator restarts the pod, as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bridge.metrics import Metrics

log = logging.getLogger(__name__)

#: How long serve waits for the worker to finish its pass and release the lock when it stops.
STOP_TIMEOUT = 60.0


class Outbox:
    """Messages to the other side, sent in batches by one thread (producers only append)."""

    def __init__(self, conn: Connection, name: str) -> None:
        self._conn = conn
        self._queue: deque[tuple[Any, ...]] = deque()
        self._ready = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, *message: Any) -> None:
        self._queue.append(message)
        self._ready.set()

    def close(self) -> None:
        """Send what is queued, then stop."""
        self._closed = True
        self._ready.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            self._ready.wait()
            self._ready.clear()
            batch = []
            while self._queue:
                batch.append(self._queue.popleft())
            if batch:
                try:
                    self._conn.send(batch)
                except (OSError, ValueError):  # the other side is gone
                    return
            if self._closed and not self._queue:
                return


class WorkerProcess:
    """serve's side: starts the worker, relays its news into ``metrics``, stops it."""

    def __init__(self, metrics: Metrics | None) -> None:
        self._metrics = metrics
        self._observers: dict[str, Callable[[str, str, int | None], None]] = {}
        self._held = False
        self._leases: frozenset[str] = frozenset()
        self._stopping = False
        self._ended = threading.Event()
        ours, theirs = socket.socketpair()
        with theirs:  # the worker's end lives in the worker only: its exit ends the pipe here
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno())], pass_fds=(theirs.fileno(),)
            )
        self._conn = Connection(ours.detach())
        self._outbox = Outbox(self._conn, "worker-pipe-out")
        self._reader = threading.Thread(target=self._read, name="worker-pipe-in", daemon=True)
        self._reader.start()
        log.info("reconciliation worker started in process %d", self._process.pid)

    def wake(self) -> None:
        """A commit through this process's API queued work (``Store.subscribe``)."""
        self._outbox.put("wake")

    def leader_state(self) -> str:
        """For ``/readyz``: ``standby``, ``leader``, or ``lost`` (the worker ended by itself)."""
        if self._ended.is_set() and not self._stopping:
            return "lost"
        return "leader" if self._held else "standby"

    def leases(self) -> Collection[str]:
        return self._leases

    def stop(self) -> None:
        """Ask the worker to stop (it finishes its pass and releases the lock), wait for it."""
        self._stopping = True
        self._outbox.put("stop")
        self._outbox.close()
        try:
            self._process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log.error("the reconciliation worker did not stop within %.0fs: killing it", STOP_TIMEOUT)
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=5)
        self._conn.close()

    def _read(self) -> None:
        while True:
            try:
                batch = self._conn.recv()
            except (EOFError, OSError):
                break
            for message in batch:
                self._relay(message)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(STOP_TIMEOUT if self._stopping else 5)
        self._held = False
        if self._metrics is not None:
            self._metrics.set_leader(False)
        if not self._stopping:
            log.error(
                "the reconciliation worker ended (exit status %s): this process no longer reconciles",
                self._process.returncode,
            )
        self._ended.set()

    def _relay(self, message: tuple[Any, ...]) -> None:
        kind, *args = message
        if kind == "set_leader":
            self._held = bool(args[0])
        elif kind == "set_leases":
            self._leases = frozenset(args[1])
        if self._metrics is None:
            return
        if kind == "jenkins":
            name, method, path, status = args
            if name not in self._observers:
                self._observers[name] = self._metrics.jenkins_observer(name)
            self._observers[name](method, path, status)
        elif kind in _RELAYED:
            getattr(self._metrics, kind)(*args)


#: The ``Metrics`` calls the worker's hooks make, relayed to serve's instruments by name.
_RELAYED = frozenset({"observe_pass", "set_leader", "set_leases"})


class _MetricsRelay:
    """The worker's side of ``PassMetrics``: each call goes to serve, which makes it on its own
    ``Metrics`` (``WorkerProcess._relay``)."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def observe_pass(
        self, trigger: str, seconds: float, applied: Iterable[tuple[str, str]], errors: int
    ) -> None:
        self._outbox.put("observe_pass", trigger, seconds, [(str(k), str(o)) for k, o in applied], errors)

    def set_leader(self, held: bool) -> None:
        self._outbox.put("set_leader", held)

    def set_leases(self, controllers: Iterable[str], held: Collection[str]) -> None:
        self._outbox.put("set_leases", list(controllers), list(held))


def main(conn: Connection) -> None:
    """The worker process: ``jenkins-bridge worker`` reporting to serve over ``conn``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # serve answers Ctrl-C and then stops this process
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=stop.set, name="sigterm").start())
    code = run(conn, stop)
    conn.close()
    os._exit(code)  # the work is done and closed: skip the interpreter's teardown


def _relay_requests(outbox: Outbox, controller: str) -> Callable[[str, str, int | None], None]:
    def observe(method: str, path: str, status: int | None) -> None:
        outbox.put("jenkins", controller, method, path, status)

    return observe


def run(conn: Connection, stop: threading.Event) -> int:
    from bridge.bootstrap import DEFAULT_CONTROLLER, build_connections, build_jenkins, run_worker
    from bridge.cli.heap import freeze_built_heap
    from bridge.log import configure_logging
    from bridge.metrics.hooks import worker_hooks
    from bridge.settings import Settings
    from bridge.store import Store, StoreDesiredState

    outbox = Outbox(conn, "serve-pipe-out")
    handle: Any = None

    def read() -> None:
        while True:
            try:
                batch = conn.recv()
            except (EOFError, OSError):  # serve is gone
                break
            if any(message[0] == "stop" for message in batch):
                break
            if handle is not None:
                handle.worker.wake.set()
        stop.set()

    threading.Thread(target=read, name="serve-pipe-in", daemon=True).start()
    settings = Settings.load(os.environ)
    configure_logging(settings.log, secrets=settings.secrets())
    store = Store.from_settings(settings)  # serve migrated it before starting this process
    try:
        connections = build_connections(settings)
        for name, connection in connections.items():
            connection.counter.observers.append(_relay_requests(outbox, name))
        freeze_built_heap()
        handle = run_worker(
            settings,
            desired=StoreDesiredState(store),
            jenkins=build_jenkins(settings, connections[DEFAULT_CONTROLLER]),
            block=False,
            stop=stop,
            hooks=worker_hooks(settings.log.worker_summary_interval, _MetricsRelay(outbox)),
            connections=connections,
        )
        if handle is None:  # told to stop while standing by for the lock
            return 0
        stop.wait()  # set by serve, SIGTERM, the pipe's end, or a lost lock (``runner.guarded``)
        handle.stop()
        return 3 if handle.lost.is_set() else 0
    except Exception:
        log.exception("the reconciliation worker failed")
        return 1
    finally:
        outbox.close()
        store.close()


if __name__ == "__main__":
    main(Connection(int(sys.argv[1])))
