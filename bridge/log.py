"""Logging set-up: plain or JSON lines, and a filter that redacts every known secret value.

Redaction is defence in depth: code never logs secrets on purpose, but a secret can still reach a log
line through an upstream error body or an exception message. ``SECRETS`` is the process-wide set of
values to redact; settings secrets are added at start and the store registers credential values and
password-parameter defaults as it writes or decrypts them, keyed by their owner (the credential, the
pipeline), replacing the owner's earlier values, and forgets them when the owner is deleted.

Values users choose (credential data, parameter defaults) are redacted only when they look like
secrets (``secret_like``): otherwise a project admin could store ``ERROR`` as a "password" and blank
that word from every log line of every project.

``REQUEST_ID`` is the id of the API request being served (bound by the app for the request's
duration); every log line written meanwhile carries it, whichever module logs. The same holds for the
other context variables (``CONTEXT``: project, pipeline, run, webhook delivery id), bound with
``log_context`` by the API (from the route's path parameters) or by whoever works on one of them.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from bridge.settings import LogSettings

REDACTED = "***"
#: Shorter values are not redacted: they would mangle ordinary words in log lines.
MIN_SECRET_LENGTH = 4
#: The shortest user-chosen value redacted (``secret_like``).
MIN_USER_SECRET_LENGTH = 8
#: ... and how many different characters it must have.
MIN_USER_SECRET_DISTINCT = 6
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")
_WHITESPACE = re.compile(r"\s")


def secret_like(value: str) -> bool:
    """Whether a user-chosen value is redacted from logs. The rule (docs/security.md):

    * a multi-line value (a private key, a kubeconfig) always is, as a whole;
    * otherwise it must be at least 8 characters with no whitespace (not a phrase), at least 6
      different characters (not ``aaaaaaaa``), and contain a run of at least 4 letters and digits that
      mixes both (``s3cr3t-Passw0rd``, ``ghp_x1Y2...``): words, identifiers, dotted names, dates,
      versions and addresses (``ERROR``, ``Exception``, ``java.lang.Error``, ``HTTP/1.1``,
      ``2026-01-01``, ``127.0.0.1``) never qualify.

    A value that does not qualify is still stored sealed and never logged on purpose; it is only not
    blanked from log lines it might reach by accident.
    """
    if "\n" in value.strip():
        return len(value.strip()) >= MIN_USER_SECRET_LENGTH
    if len(value) < MIN_USER_SECRET_LENGTH or _WHITESPACE.search(value):
        return False
    if len(set(value)) < MIN_USER_SECRET_DISTINCT:
        return False
    return any(len(run) >= 4 and not run.isalpha() and not run.isdigit() for run in _ALNUM_RUN.findall(value))


class SecretRegistry:
    """A thread-safe set of secret strings to redact from log output.

    Values come in two kinds: fixed ones (``add``: settings secrets, minted tokens) and values owned by
    a source that can change them (``replace``/``discard``: a credential's current values, keyed by
    the credential), so an updated or deleted credential's old values do not stay forever.

    ``redact`` runs for every log record, so its cost must not grow with the number of secrets: values
    are indexed by their first ``MIN_SECRET_LENGTH`` characters (each bucket longest first), and the
    text is scanned once, looking each position up in the index. Changes update the index in place
    (one bucket replaced by a new tuple, so a concurrent ``redact`` sees the old or the new bucket).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owned: dict[Hashable, frozenset[str]] = {}
        self._holders: dict[str, int] = {}  # value -> number of owners (fixed values count once)
        self._index: dict[str, tuple[str, ...]] = {}

    @property
    def _values(self) -> frozenset[str]:
        return frozenset(self._holders)

    def add(self, *values: str | None) -> None:
        """Register values for the life of the process."""
        for value in _usable(values):
            self._set(("fixed", value), frozenset({value}))

    def replace(self, owner: Hashable, values: Iterable[str | None]) -> None:
        """Make ``values`` the secrets of ``owner`` (dropping the ones it had before); values users
        chose, so only the ``secret_like`` ones are kept."""
        usable = frozenset(v for v in _usable(values) if secret_like(v))
        self._set(owner, usable)

    def _set(self, owner: Hashable, usable: frozenset[str]) -> None:
        if self._owned.get(owner, frozenset()) == usable:
            return
        with self._lock:
            old = self._owned.pop(owner, frozenset())
            if usable:
                self._owned[owner] = usable
            for value in usable - old:
                self._hold(value)
            for value in old - usable:
                self._release(value)

    def discard(self, owner: Hashable) -> None:
        """Forget the secrets of ``owner`` (deleted); values also held by others stay."""
        self._set(owner, frozenset())

    def discard_where(self, doomed: Callable[[Hashable], bool]) -> None:
        """Forget the secrets of every owner ``doomed`` selects (a deleted project's credentials)."""
        for owner in [o for o in list(self._owned) if doomed(o)]:
            self.discard(owner)

    def redact(self, text: str) -> str:
        index, size = self._index, MIN_SECRET_LENGTH
        if not index:
            return text
        parts: list[str] = []
        i = last = 0
        end = len(text) - size
        while i <= end:
            for value in index.get(text[i : i + size], ()):
                if text.startswith(value, i):
                    parts += (text[last:i], REDACTED)
                    i = last = i + len(value)
                    break
            else:
                i += 1
        if not parts:
            return text
        parts.append(text[last:])
        return "".join(parts)

    def _hold(self, value: str) -> None:
        count = self._holders.get(value, 0)
        self._holders[value] = count + 1
        if count == 0:
            key = value[:MIN_SECRET_LENGTH]
            bucket = (*self._index.get(key, ()), value)
            self._index[key] = tuple(sorted(bucket, key=len, reverse=True))

    def _release(self, value: str) -> None:
        count = self._holders.pop(value, 0) - 1
        if count > 0:
            self._holders[value] = count
            return
        key = value[:MIN_SECRET_LENGTH]
        bucket = tuple(v for v in self._index.get(key, ()) if v != value)
        if bucket:
            self._index[key] = bucket
        else:
            self._index.pop(key, None)


def _usable(values: Iterable[str | None]) -> frozenset[str]:
    return frozenset(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)


SECRETS = SecretRegistry()
#: The request id of the API request this thread is serving, if any.
REQUEST_ID: ContextVar[str | None] = ContextVar("bridge_request_id", default=None)


#: What a log line is about, besides the request: bound with ``log_context``.
PROJECT: ContextVar[str | None] = ContextVar("bridge_log_project", default=None)
PIPELINE: ContextVar[str | None] = ContextVar("bridge_log_pipeline", default=None)
RUN: ContextVar[str | None] = ContextVar("bridge_log_run", default=None)
DELIVERY_ID: ContextVar[str | None] = ContextVar("bridge_log_delivery_id", default=None)
CONTEXT: dict[str, ContextVar[str | None]] = {
    "project": PROJECT,
    "pipeline": PIPELINE,
    "run": RUN,
    "delivery_id": DELIVERY_ID,
}


@contextmanager
def log_context(**fields: str | None) -> Iterator[None]:
    """Bind ``project``, ``pipeline``, ``run`` and/or ``delivery_id`` for the lines logged inside."""
    tokens = [(CONTEXT[name], CONTEXT[name].set(value)) for name, value in fields.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the bound request id and context on every record (``request_id``, ``project``, …;
    ``request_tag`` holds them for plain lines: `` [request <id> project=<p>]``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = getattr(record, "request_id", None) or REQUEST_ID.get()
        tags = [f"request {bound}"] if bound else []
        for name, var in CONTEXT.items():
            value = getattr(record, name, None) or var.get()
            record.__dict__[name] = value
            if value:
                tags.append(f"{name}={value}")
        record.__dict__.update(request_id=bound, request_tag=f" [{' '.join(tags)}]" if tags else "")
        return True


class RedactingFilter(logging.Filter):
    """Renders the record's message (and traceback) once, with every registered secret replaced."""

    def __init__(self, registry: SecretRegistry = SECRETS) -> None:
        super().__init__()
        self.registry = registry

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.registry.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.registry.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id when bound, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ("request_id", *CONTEXT, *EXTRA_FIELDS):
            value = getattr(record, name, None)
            if value is not None and value != "":
                entry[name] = value
        if record.exc_text:
            entry["exc"] = record.exc_text
        elif record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class SchedulerNoise(logging.Filter):
    """Drops APScheduler's "skipped: maximum number of running instances reached" (expected)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


#: Structured fields a record may carry (``extra=``): the request line's (``bridge.api.telemetry``).
EXTRA_FIELDS = ("method", "route", "path", "status", "duration_ms", "user")

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"


def configure_logging(settings: LogSettings, *, secrets: list[str] | None = None) -> None:
    """Install one stderr handler on the root logger (replacing earlier ones from this function)."""
    SECRETS.add(*(secrets or []))
    handler = logging.StreamHandler()
    handler.set_name("bridge")
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "bridge"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
    # APScheduler logs two INFO lines per job run ("Running job …", "… executed successfully"): every
    # second for the poll job. Its warnings and errors stay, except "skipped: maximum number of running
    # instances reached", which is the design (one pass at a time: polls due during a long pass are
    # skipped); DEBUG shows everything.
    debug = settings.level == "DEBUG"
    scheduler = logging.getLogger("apscheduler")
    scheduler.setLevel(logging.DEBUG if debug else logging.WARNING)
    noisy = logging.getLogger("apscheduler.scheduler")
    for old_filter in [f for f in noisy.filters if isinstance(f, SchedulerNoise)]:
        noisy.removeFilter(old_filter)
    if not debug:
        noisy.addFilter(SchedulerNoise())
    # waitress warns "Task queue depth is N" for every request queued behind busy threads: under a burst
    # of webhook deliveries, one line (and a tenth of the server's time) per request. Queueing is the
    # design (bounded threads); latency is in the access log and the request-duration metric.
    logging.getLogger("waitress.queue").setLevel(logging.DEBUG if debug else logging.ERROR)
