"""Logging set-up: plain or JSON lines, and a filter that redacts every known secret value.

Redaction is defence in depth: code never logs secrets on purpose, but a secret can still reach a log
line through an upstream error body or an exception message. ``SECRETS`` is the process-wide set of
values to redact; settings secrets are added at start and the store adds credential values as it
decrypts them.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

from bridge.settings import LogSettings

REDACTED = "***"
#: Shorter values are not redacted: they would mangle ordinary words in log lines.
MIN_SECRET_LENGTH = 4


class SecretRegistry:
    """A thread-safe set of secret strings to redact from log output."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()

    def add(self, *values: str | None) -> None:
        fresh = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH} - self._values
        if fresh:
            with self._lock:
                self._values = self._values | fresh

    def redact(self, text: str) -> str:
        # Longest first, so a secret containing another is replaced whole.
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, REDACTED)
        return text


SECRETS = SecretRegistry()


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
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        if record.exc_text:
            entry["exc"] = record.exc_text
        elif record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: LogSettings, *, secrets: list[str] | None = None) -> None:
    """Install one stderr handler on the root logger (replacing earlier ones from this function)."""
    SECRETS.add(*(secrets or []))
    handler = logging.StreamHandler()
    handler.set_name("bridge")
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if settings.format == "json" else logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "bridge"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.level)
