"""Every log line written while an API request is served carries its request id, whoever logs it."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from bridge.log import configure_logging
from bridge.settings import LogSettings


@pytest.fixture
def bridge_handler() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == "bridge"]:
        root.removeHandler(handler)
    root.setLevel(level)


def _log_from_a_view(app: Flask) -> None:
    def view() -> str:
        logging.getLogger("bridge.somewhere.deep").warning("doing the work")
        return "ok"

    app.add_url_rule("/_test/log", "test_log", view)


@pytest.mark.parametrize("fmt", ["json", "plain"])
def test_log_lines_during_a_request_carry_its_id_and_others_do_not(
    app: Flask, capsys: pytest.CaptureFixture[str], bridge_handler: None, fmt: str
) -> None:
    configure_logging(LogSettings(format=fmt, level="INFO"))  # type: ignore[arg-type]
    _log_from_a_view(app)
    client = app.test_client()
    given = client.get("/_test/log", headers={"X-Request-Id": "req-from-the-console-1"})
    fresh = client.get("/_test/log")
    logging.getLogger("bridge.worker").warning("outside any request")
    every = capsys.readouterr().err.strip().splitlines()
    lines = [line for line in every if "bridge.access" not in line]  # the request lines: test_access_log
    assert len(lines) == 3, lines
    generated = fresh.headers["X-Request-Id"]
    assert given.headers["X-Request-Id"] == "req-from-the-console-1" and generated
    if fmt == "json":
        ids = [json.loads(line).get("request_id") for line in lines]
        assert ids == ["req-from-the-console-1", generated, None]
    else:
        assert "[request req-from-the-console-1]: doing the work" in lines[0]
        assert f"[request {generated}]: doing the work" in lines[1]
        assert "request" not in lines[2].replace("outside any request", "")
