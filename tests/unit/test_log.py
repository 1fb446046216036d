"""The redacting filter removes registered secrets from messages, arguments and tracebacks."""

from __future__ import annotations

import io
import json
import logging

from bridge.log import JsonFormatter, RedactingFilter, SecretRegistry


def capture(
    registry: SecretRegistry, formatter: logging.Formatter | None = None
) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactingFilter(registry))
    handler.setFormatter(formatter or logging.Formatter("%(message)s"))
    logger = logging.getLogger(f"test.redact.{id(out)}")
    logger.propagate = False
    logger.addHandler(handler)
    return logger, out


def test_secrets_are_redacted_everywhere() -> None:
    registry = SecretRegistry()
    registry.add("topsecret-value", "topsecret", None, "ab")  # too short values are ignored
    logger, out = capture(registry)
    logger.warning("token=%s in message topsecret-value", "topsecret-value")
    try:
        raise RuntimeError("upstream said topsecret-value")
    except RuntimeError:
        logger.exception("failed")
    text = out.getvalue()
    assert "topsecret" not in text and text.count("***") >= 3
    logger.warning("ab is too short to be redacted")
    assert out.getvalue().endswith("ab is too short to be redacted\n")


def test_json_format_is_one_object_per_line() -> None:
    registry = SecretRegistry()
    registry.add("hidden-password")
    logger, out = capture(registry, JsonFormatter())
    logger.info("hello %s hidden-password ünï", "world", extra={"request_id": "r1"})
    entry = json.loads(out.getvalue().strip())
    assert (
        entry["message"] == "hello world *** ünï" and entry["request_id"] == "r1" and entry["level"] == "INFO"
    )
