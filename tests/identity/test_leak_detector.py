"""The leak detector itself: it sees raw records (before redaction) and reports without the secret."""

from __future__ import annotations

import logging

from bridge.log import RedactingFilter, SecretRegistry
from tests.fixtures.leaks import RawCapture, find_leaks


def test_raw_capture_sees_the_record_before_a_redacting_handler() -> None:
    registry = SecretRegistry()
    registry.add("hunter2-secret")
    capture = RawCapture()
    redacting = logging.StreamHandler(stream=open("/dev/null", "w"))  # noqa: SIM115
    redacting.addFilter(RedactingFilter(registry))
    logger = logging.getLogger("tests.leak-detector")
    logger.addHandler(capture)
    logger.addHandler(redacting)
    try:
        logger.warning("token is %s", "hunter2-secret")
        try:
            raise ValueError("boom hunter2-secret")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(capture)
        logger.removeHandler(redacting)
        redacting.stream.close()
    lines = capture.take()
    leaks = find_leaks(lines, {"hunter2-secret"})
    assert len(leaks) == 2
    assert all("hunter2-secret" not in leak and "hunt…" in leak for leak in leaks)
    assert find_leaks(lines, {"other-secret"}) == []
