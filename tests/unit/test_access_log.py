"""One log line per API request (method, route, status, duration, user), never a credential; the
route's project and pipeline are bound as log context for every line written while it is served."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask

from bridge.log import configure_logging, log_context
from bridge.settings import LogSettings
from tests.fixtures.app import ADMIN_TOKEN


@pytest.fixture
def bridge_handler() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if h.get_name() == "bridge"]:
        root.removeHandler(handler)
    root.setLevel(level)


def _json_lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.strip().splitlines()]


def test_each_request_logs_one_line_with_route_status_user_and_no_token(
    app: Flask, capsys: pytest.CaptureFixture[str], bridge_handler: None
) -> None:
    configure_logging(LogSettings(format="json", level="INFO"))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    assert client.post("/api/v1/workspaces", json={"name": "ws"}, headers=auth).status_code == 201
    created = client.post("/api/v1/projects", json={"name": "demo", "workspace": "ws"}, headers=auth)
    assert created.status_code == 201
    assert client.get("/api/v1/projects/demo/pipelines/nope?limit=5", headers=auth).status_code == 404
    assert (
        client.get("/api/v1/projects", headers={"Authorization": "Bearer wrong-token-123456"}).status_code
        == 401
    )
    err = capsys.readouterr().err
    assert ADMIN_TOKEN not in err and "wrong-token-123456" not in err
    access = [e for e in _json_lines(err) if e["logger"] == "bridge.access"]
    assert [(e["method"], e["route"], e["status"]) for e in access] == [
        ("POST", "/api/v1/workspaces", 201),
        ("POST", "/api/v1/projects", 201),
        ("GET", "/api/v1/projects/<project>/pipelines/<item:pipeline>", 404),
        ("GET", "/api/v1/projects", 401),
    ]
    assert [e.get("user") for e in access] == ["bootstrap-admin"] * 3 + [None]
    assert all(isinstance(e["duration_ms"], float) and e["request_id"] for e in access)
    missing = access[2]
    assert missing["path"] == "/api/v1/projects/demo/pipelines/nope"  # never the query string
    assert missing["project"] == "demo" and missing["pipeline"] == "nope"


def test_request_lines_can_be_switched_off(
    tmp_path: object, capsys: pytest.CaptureFixture[str], bridge_handler: None
) -> None:
    from pathlib import Path

    from bridge.app import create_app
    from tests.fixtures.app import make_settings

    app = create_app(make_settings(Path(str(tmp_path)), BRIDGE_LOG_REQUESTS="false"))
    configure_logging(LogSettings(format="json", level="INFO"))
    assert app.test_client().get("/healthz").status_code == 200
    assert "bridge.access" not in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["json", "plain"])
def test_context_variables_reach_every_line(
    capsys: pytest.CaptureFixture[str], bridge_handler: None, fmt: str
) -> None:
    configure_logging(LogSettings(format=fmt, level="INFO"))  # type: ignore[arg-type]
    logger = logging.getLogger("bridge.somewhere")
    with log_context(project="demo", pipeline="build", run="7", delivery_id="d-1"):
        logger.info("inside")
    logger.info("outside")
    inside, outside = capsys.readouterr().err.strip().splitlines()
    if fmt == "json":
        entry = json.loads(inside)
        assert (entry["project"], entry["pipeline"], entry["run"], entry["delivery_id"]) == (
            "demo",
            "build",
            "7",
            "d-1",
        )
        assert "project" not in json.loads(outside)
    else:
        assert "[project=demo pipeline=build run=7 delivery_id=d-1]: inside" in inside
        assert "[" not in outside.split(" ", 3)[-1].split(":")[0]
