"""The receiver's own WSGI path answers like every Flask route does: problem+json errors, security headers,
``X-Request-Id``, ``Allow`` on 405, the body limit even without a declared length, the access line and the
latency metric by route template; any other path still reaches Flask."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask

from bridge.api.hardening import HEADERS
from bridge.log import configure_logging
from bridge.settings import LogSettings
from tests.fixtures.app import ApiClient
from tests.ops.test_metrics import value
from tests.unit.test_access_log import bridge_handler
from tests.webhooks.samples import load
from tests.webhooks.test_receiver import REPO, demo, pipeline, settings

__all__ = ["bridge_handler", "demo", "settings"]  # fixtures


def call(app: Flask, method: str, path: str, body: bytes, headers: dict[str, str], **environ: Any) -> Any:
    """Straight through ``app.wsgi_app`` (what a WSGI server calls), so nothing of Flask's test client
    stands between the request and the receiver."""
    out: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        out["status"], out["headers"] = int(status.split()[0]), dict(headers)

    env = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.7",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items() if k != "Content-Type"},
        "CONTENT_TYPE": headers.get("Content-Type", ""),
        "CONTENT_LENGTH": str(len(body)),
        **environ,
    }
    out["body"] = b"".join(app.wsgi_app(env, start_response))
    return out


def test_a_delivery_gets_the_headers_and_request_id_of_any_route(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"])
    app = demo.client.application
    s = load("github-push")
    ok = call(
        app,
        "POST",
        "/webhooks/github/",
        s.body,
        {**s.headers, "X-Request-Id": "push-1"},
        CONTENT_LENGTH=str(len(s.body)),
    )
    assert ok["status"] == 202, ok["body"]
    assert json.loads(ok["body"])["queued"] == 1
    assert ok["headers"]["X-Request-Id"] == "push-1" and ok["headers"]["Content-Type"] == "application/json"
    assert all(ok["headers"][k] == v for k, v in HEADERS.items())
    assert int(ok["headers"]["Content-Length"]) == len(ok["body"])
    odd = call(app, "POST", "/webhooks/github", s.body, {**s.headers, "X-Request-Id": "no spaces!"})
    assert len(odd["headers"]["X-Request-Id"]) == 32  # a malformed id is replaced, never echoed
    secure = call(
        app,
        "POST",
        "/webhooks/github",
        b"{}",
        {**s.headers, "X-GitHub-Event": "ping"},
        **{"wsgi.url_scheme": "https"},
    )
    assert secure["status"] == 200 and "Strict-Transport-Security" in secure["headers"]


def test_errors_are_problems_with_their_headers(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"])
    app = demo.client.application
    s = load("github-push")
    bad = call(app, "POST", "/webhooks/github", s.body, {**s.headers, "X-Hub-Signature-256": "sha256=00"})
    assert bad["status"] == 401 and bad["headers"]["Content-Type"] == "application/problem+json"
    problem = json.loads(bad["body"])
    assert problem["status"] == 401 and problem["instance"] == "/webhooks/github"
    assert problem["request_id"] == bad["headers"]["X-Request-Id"]
    assert "WWW-Authenticate" in bad["headers"]
    get = call(app, "GET", "/webhooks/gitlab", b"", {})
    assert get["status"] == 405 and get["headers"]["Allow"] == "POST"
    assert json.loads(get["body"])["type"].endswith("method-not-allowed")
    # 65,536 bytes allowed (the fixture): refused whether declared or only sent (chunked, no length)
    big = b"{" + b" " * 70_000 + b"}"
    declared = call(app, "POST", "/webhooks/github", big, s.headers, CONTENT_LENGTH=str(len(big)))
    sent = call(
        app, "POST", "/webhooks/github", big, s.headers, CONTENT_LENGTH="", **{"wsgi.input_terminated": True}
    )
    assert declared["status"] == sent["status"] == 413
    assert json.loads(sent["body"])["title"] == "Request Entity Too Large"
    # other paths still reach Flask and its routes
    assert call(app, "POST", "/webhooks/svn", s.body, s.headers)["status"] == 404
    assert call(app, "GET", "/healthz", b"", {})["status"] == 200


def test_access_line_and_latency_metric_by_route_template(
    demo: ApiClient, capsys: pytest.CaptureFixture[str], bridge_handler: None
) -> None:
    pipeline(demo, "app", REPO["github"])
    configure_logging(LogSettings(format="json", level="INFO"))
    s = load("github-push")
    assert demo.client.post("/webhooks/github", data=s.body, headers=s.headers).status_code == 202
    bad = {**s.headers, "X-Hub-Signature-256": "sha256=00"}
    assert demo.client.post("/webhooks/github", data=s.body, headers=bad).status_code == 401
    lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    access = [e for e in lines if e["logger"] == "bridge.access"]
    assert [(e["route"], e["status"], e["user"]) for e in access] == [
        ("/webhooks/github", 202, "webhook"),
        ("/webhooks/github", 401, "webhook"),
    ]
    assert all(e["request_id"] for e in access)
    body = demo.get("/metrics").get_data(as_text=True)
    count = "bridge_http_request_duration_seconds_count"
    assert value(body, count, method="POST", route="/webhooks/github", status="202") == 1
    assert value(body, count, method="POST", route="/webhooks/github", status="401") == 1
