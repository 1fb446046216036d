"""``jenkins-bridge receive`` as a real process: the receiver alone on its own port, sharing the API's store.
A signed delivery is stored before its 202 (the API then lists it); nothing of the API is served there;
its metrics are on a port of their own; SIGTERM ends it with status 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests
from cryptography.fernet import Fernet

from bridge.app import create_app
from bridge.settings import Settings
from tests.e2e.test_serve_process import _free_port, _until
from tests.fixtures.app import ADMIN_TOKEN, ApiClient
from tests.ops.test_metrics import value
from tests.webhooks.samples import load
from tests.webhooks.test_receiver import REPO, pipeline

CLI = Path(sys.executable).with_name("jenkins-bridge")


def test_receive_serves_only_the_receiver_on_the_shared_store(tmp_path: Path) -> None:
    environ = {
        "BRIDGE_DATA_DIR": str(tmp_path),
        "BRIDGE_ADMIN_TOKEN": ADMIN_TOKEN,
        "BRIDGE_SECRET_KEY": Fernet.generate_key().decode(),
        "BRIDGE_WEBHOOKS_RATE_LIMIT": "0",
    }
    app = create_app(Settings.load(environ))
    api = ApiClient(app.test_client())
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post("/api/v1/projects", {"name": "demo", "workspace": "ws"}).status_code == 201
    pipeline(api, "app", REPO["github"])
    port, metrics_port = _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        **environ,
        "BRIDGE_METRICS_PORT": str(metrics_port),
    }
    process = subprocess.Popen(
        [str(CLI), "receive", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _until("the receiver", lambda: requests.get(f"{base}/healthz", timeout=2).ok)
        s = load("github-push")
        answer = requests.post(f"{base}/webhooks/github", data=s.body, headers=s.headers, timeout=10)
        assert answer.status_code == 202 and answer.json()["queued"] == 1, answer.text
        unsigned = {k: v for k, v in s.headers.items() if k != "X-Hub-Signature-256"}
        refused = requests.post(f"{base}/webhooks/github", data=s.body, headers=unsigned, timeout=10)
        assert refused.status_code == 401
        assert refused.headers["Content-Type"] == "application/problem+json"
        # the API (another process, same store) sees the delivery the receiver stored
        rows = api.get("/api/v1/projects/demo/webhook-deliveries").json["items"]
        assert [(r["delivery"], r["status"]) for r in rows] == [(s.headers["X-GitHub-Delivery"], "queued")]
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        for path in ("/api/v1/projects", "/api/v1/openapi.json", "/metrics"):
            assert requests.get(base + path, headers=auth, timeout=5).status_code == 404, path
        # /metrics on its own port (BRIDGE_METRICS_PORT): latency by route and status, the store's gauges
        scraped = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).text
        count = "bridge_http_request_duration_seconds_count"
        assert value(scraped, count, method="POST", route="/webhooks/github", status="202") == 1
        assert value(scraped, count, method="POST", route="/webhooks/github", status="401") == 1
        assert value(scraped, "bridge_webhook_deliveries", status="queued") == 1
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        app.extensions["bridge"].close()
    assert process.returncode == 0, output
    assert ADMIN_TOKEN not in output
