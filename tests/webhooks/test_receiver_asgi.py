"""``jenkins-bridge receive``'s event-loop receiver over real HTTP (the server the command runs, in a
thread, on the API's store): the same answers as ``serve``'s, deliveries stored before their 202 in
shared transactions, the client address from trusted proxies only, and nothing lost on shutdown."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import event

from bridge.api.hardening import HEADERS
from bridge.api.receiver_asgi import AsyncReceiver
from bridge.api.receiving import received
from bridge.api.schemas.webhooks import ReceiptOut
from bridge.cli.receive import loop_server
from bridge.services.webhooks import Receipt, WebhookReceiver
from bridge.settings import Settings
from tests.e2e.test_serve_process import _free_port
from tests.fixtures.app import ApiClient, make_settings
from tests.waiting import wait_until
from tests.webhooks.samples import SECRET, load, sign
from tests.webhooks.test_receiver import REPO, deliveries, demo, pipeline

__all__ = ["demo"]  # fixture


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, BRIDGE_WEBHOOKS_RATE_LIMIT="0", BRIDGE_WEBHOOKS_MAX_BODY_BYTES="65536")


@contextmanager
def receiving(api: ApiClient, *, proxy_hops: int = 0, rate_limit: int = 0) -> Iterator[str]:
    """The receive process's server and app on the API's store, in a thread; its base URL."""
    container = api.client.application.extensions["bridge"]
    settings: Settings = container.settings
    webhooks = settings.webhooks.model_copy(update={"rate_limit": rate_limit})
    app = AsyncReceiver(WebhookReceiver(container.store), webhooks, proxy_hops=proxy_hops)
    port = _free_port()
    server = loop_server(app, host="127.0.0.1", port=port, connections=100, grace=5)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        wait_until(lambda: server.started, what="the receiver to listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        app.close()


def post(base: str, name: str = "github-push", **headers: str) -> requests.Response:
    s = load(name)
    return requests.post(
        f"{base}/webhooks/{s.family}", data=s.body, headers={**s.headers, **headers}, timeout=10
    )


def test_a_delivery_is_stored_before_its_202_with_the_headers_of_any_route(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"])
    with receiving(demo) as base:
        ok = post(base, **{"X-Request-Id": "push-1"})
        again = post(base)  # the provider re-sends the same delivery
    assert ok.status_code == 202, ok.text
    assert ok.json() == {
        "provider": "github",
        "event": "push",
        "delivery": load("github-push").headers["X-GitHub-Delivery"],
        "ping": False,
        "pipelines": 1,
        "queued": 1,
        "duplicate": False,
    }
    assert ok.headers["X-Request-Id"] == "push-1" and ok.headers["Content-Type"] == "application/json"
    assert all(ok.headers[k] == v for k, v in HEADERS.items())
    assert "Strict-Transport-Security" not in ok.headers and "server" not in ok.headers
    assert again.status_code == 202 and again.json()["duplicate"] is True and again.json()["queued"] == 0
    [row] = deliveries(demo, "app")
    assert row["status"] == "queued" and row["parameters"] == {"BRANCH_NAME": "main"}


def test_errors_are_the_same_problems_as_serve_gives(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"])
    s = load("github-push")
    big = b"{" + b" " * 70_000 + b"}"  # over the fixture's 65,536 bytes

    def chunks() -> Iterator[bytes]:
        yield big[:40_000]
        yield big[40_000:]

    with receiving(demo) as base:
        bad = post(base, **{"X-Hub-Signature-256": "sha256=00"})
        get = requests.get(f"{base}/webhooks/gitlab", timeout=5)
        declared = requests.post(f"{base}/webhooks/github", data=big, headers=s.headers, timeout=10)
        sent = requests.post(f"{base}/webhooks/github", data=chunks(), headers=s.headers, timeout=10)
        unreadable = sign("github", dict(s.headers), b"{", SECRET)
        not_json = requests.post(f"{base}/webhooks/github", data=b"{", headers=unreadable, timeout=5)
        health = requests.get(f"{base}/healthz", timeout=5)
        api = requests.get(f"{base}/api/v1/projects", timeout=5)
    assert bad.status_code == 401 and bad.headers["Content-Type"] == "application/problem+json"
    assert "WWW-Authenticate" in bad.headers
    problem = bad.json()
    assert problem["instance"] == "/webhooks/github" and problem["request_id"] == bad.headers["X-Request-Id"]
    assert get.status_code == 405 and get.headers["Allow"] == "POST"
    assert "Transfer-Encoding" in sent.request.headers and "Content-Length" not in sent.request.headers
    assert declared.status_code == sent.status_code == 413
    assert sent.json()["title"] == "Request Entity Too Large"
    assert not_json.status_code == 400 and not_json.headers["Content-Type"] == "application/problem+json"
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert api.status_code == 404 and api.headers["Content-Type"] == "application/problem+json"
    assert deliveries(demo, "app") == []


def test_the_rate_limit_counts_the_forwarded_address_only_behind_trusted_proxies(demo: ApiClient) -> None:
    pipeline(demo, "app", REPO["github"])
    # 3 deliveries per address per minute; pings count too and store nothing
    ping = {"X-GitHub-Event": "ping"}
    with receiving(demo, proxy_hops=1, rate_limit=3) as base:
        first = [post(base, **ping, **{"X-Forwarded-For": "203.0.113.5"}).status_code for _ in range(4)]
        other = post(base, **ping, **{"X-Forwarded-For": "203.0.113.5, 198.51.100.9"})
        https = post(base, **ping, **{"X-Forwarded-For": "198.51.100.10", "X-Forwarded-Proto": "https"})
    assert first == [200, 200, 200, 429]
    assert other.status_code == 200  # one hop trusted: the proxy's peer is the last address
    assert "Strict-Transport-Security" in https.headers
    with receiving(demo, rate_limit=3) as base:  # no proxy trusted: a client cannot choose its address
        spoofed = [post(base, **ping, **{"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(4)]
    assert [r.status_code for r in spoofed] == [200, 200, 200, 429]
    assert int(spoofed[-1].headers["Retry-After"]) >= 1
    assert spoofed[-1].json()["type"].endswith("too-many-requests")


def test_concurrent_deliveries_share_transactions_and_each_is_answered_once_stored(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, BRIDGE_WEBHOOKS_RATE_LIMIT="0")
    from bridge.app import create_app

    app = create_app(settings)
    api = ApiClient(app.test_client())
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post("/api/v1/projects", {"name": "demo", "workspace": "ws"}).status_code == 201
    pipeline(api, "app", REPO["github"])
    store = app.extensions["bridge"].store
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    s = load("github-push")
    n = 60

    def send(i: int) -> tuple[int, Any]:
        headers = {**s.headers, "X-GitHub-Delivery": f"burst-{i}"}
        r = requests.post(f"{base}/webhooks/github", data=s.body, headers=headers, timeout=30)
        return r.status_code, r.json()

    with receiving(api) as base:
        commits.clear()
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(send, range(n)))
    transactions = len(commits)
    with store.read() as tx:
        rows = tx.deliveries.list("demo", "app", before=None, limit=1000)
    app.extensions["bridge"].close()
    assert [code for code, _ in answers] == [202] * n
    assert all(a["queued"] == 1 and not a["duplicate"] for _, a in answers)
    assert sorted(r.delivery for r in rows) == sorted(f"burst-{i}" for i in range(n))
    assert 1 <= transactions < n  # group commit: fewer transactions than deliveries


def test_a_secret_is_never_in_an_answer_or_the_log(demo: ApiClient, caplog: pytest.LogCaptureFixture) -> None:
    pipeline(demo, "app", REPO["github"])
    with receiving(demo) as base:
        answers = [post(base), post(base, **{"X-Hub-Signature-256": "sha256=00"})]
    assert all(SECRET not in r.text for r in answers)
    assert SECRET not in caplog.text and json.dumps(SECRET) not in caplog.text


def test_the_receipt_is_the_documented_body() -> None:
    """Receipts are dumped from the service's dataclass; OpenAPI documents ``ReceiptOut``: the same fields
    and types, so the answer and the document cannot drift apart."""
    receipt = Receipt(provider="github", event="push", delivery="d-1", pipelines=2, queued=1)
    status, _, body = received(receipt)
    assert status == 202
    assert ReceiptOut.model_validate_json(body).model_dump() == json.loads(body)
    assert set(ReceiptOut.model_fields) == {f.name for f in fields(Receipt)}
