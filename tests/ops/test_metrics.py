"""``/metrics``: platform admins only on the API, or alone on ``BRIDGE_METRICS_PORT``; what each
instrument counts, checked against the sandbox Jenkins over HTTP and a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Connection, create_engine, text

from bridge.app import create_app
from bridge.bootstrap import build_container, build_worker, worker_hooks
from bridge.metrics import Metrics
from bridge.metrics.listener import serve_metrics
from bridge.metrics.operations import operation_of
from bridge.metrics.store_gauges import GAUGES, GaugeSpec, StoreGauges
from bridge.sandbox.jenkins import SandboxJenkins
from tests.api.tenants import Tenants, tenants
from tests.e2e.conftest import jenkins_env
from tests.fixtures.app import ApiClient, make_settings
from tests.fixtures.leaks import register_secret

__all__ = ["tenants"]  # the fixture


def samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(body: str, name: str, **labels: str) -> float | None:
    return samples(body).get((name, frozenset(labels.items())))


def test_metrics_need_a_platform_admin_and_are_in_the_openapi_document(tenants: Tenants, app: Flask) -> None:
    anonymous = app.test_client().get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["Content-Type"].startswith("application/problem+json")
    assert tenants.as_("ada").get("/metrics").status_code == 403  # a project admin is not enough
    ok = tenants.admin.get("/metrics")
    assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("text/plain")
    op = tenants.admin.get("/api/v1/openapi.json").json["paths"]["/metrics"]["get"]
    assert op["x-permission"] == "metrics.read" and "text/plain" in op["responses"]["200"]["content"]


def test_http_latency_by_route_template_and_status_and_store_gauges(api: ApiClient) -> None:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    for name in ("one", "two"):
        assert api.post("/api/v1/projects", {"name": name, "workspace": "ws"}).status_code == 201
    assert api.get("/api/v1/projects/one").status_code == 200
    assert api.get("/api/v1/projects/nope").status_code == 404
    body = api.get("/metrics").get_data(as_text=True)
    route = "/api/v1/projects/<project>"
    count = "bridge_http_request_duration_seconds_count"
    assert value(body, count, method="GET", route=route, status="200") == 1
    assert value(body, count, method="GET", route=route, status="404") == 1
    assert value(body, count, method="POST", route="/api/v1/projects", status="201") == 2
    assert "/api/v1/projects/one" not in body  # never a path: a label per project would not scale
    assert value(body, "bridge_objects", kind="project", status="pending") == 2
    assert value(body, "bridge_reconcile_queued") == 2
    assert value(body, "bridge_store_up") == 1
    assert value(body, "bridge_leader") == 0  # this process runs no worker


def test_jenkins_requests_and_reconcile_actions_are_counted(
    tmp_path: Path, sandbox_jenkins: SandboxJenkins
) -> None:
    register_secret(sandbox_jenkins.admin_token, sandbox_jenkins.admin_password)
    settings = make_settings(tmp_path, **jenkins_env(sandbox_jenkins))
    container = build_container(settings)
    try:
        api = ApiClient(create_app(container=container).test_client())
        assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
        assert api.post("/api/v1/projects", {"name": "demo", "workspace": "ws"}).status_code == 201
        r = api.post("/api/v1/projects/demo/pipelines", {"name": "build", "jenkinsfile": "echo hi"})
        assert r.status_code == 201
        worker = build_worker(settings, desired=container.desired, jenkins=container.jenkins)
        worker.on_pass = worker_hooks(settings, container.metrics).on_pass
        assert worker.poll() is not None
        assert worker.poll() is None  # nothing to do: not a pass, not counted
        body = api.get("/metrics").get_data(as_text=True)
        assert value(body, "bridge_reconcile_actions_total", kind="project", op="create") == 1
        assert value(body, "bridge_reconcile_actions_total", kind="pipeline", op="create") == 1
        assert value(body, "bridge_reconcile_pass_duration_seconds_count", trigger="event") == 1
        created = value(
            body,
            "bridge_jenkins_requests_total",
            controller="default",
            operation="create_item",
            method="POST",
        )
        assert created == 2  # the folder and the job, as the sandbox saw them
        assert value(body, "bridge_objects", kind="pipeline", status="synced") == 1
        started = api.post("/api/v1/projects/demo/pipelines/build/runs", {})
        assert started.status_code == 202, started.json
        body = api.get("/metrics").get_data(as_text=True)
        runs = samples(body)
        start = [
            v
            for (n, labels), v in runs.items()
            if n == "bridge_jenkins_requests_total" and ("operation", "start_run") in labels
        ]
        assert sum(start) == 1  # the run side's own connection is counted too
        sandbox_jenkins.stop()
        worker.resync()
        body = api.get("/metrics").get_data(as_text=True)
        errors = value(
            body,
            "bridge_jenkins_request_errors_total",
            controller="default",
            operation="read",
            reason="unreachable",
        )
        assert errors is not None and errors >= 1
    finally:
        container.close()


def test_a_gauge_is_one_function_and_missing_tables_are_skipped(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'g.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE webhook_deliveries (id INTEGER, status TEXT)"))
        conn.execute(text("INSERT INTO webhook_deliveries VALUES (1, 'failed'), (2, 'done'), (3, 'done')"))

    def approvals(conn: Connection) -> list[tuple[tuple[str, ...], float]]:
        return [((), 4)]

    specs = [*GAUGES, GaugeSpec("bridge_test_approvals", "x", (), ("webhook_deliveries",), approvals)]
    metrics = Metrics()
    metrics.registry.register(StoreGauges(engine, specs))
    body = metrics.render().decode()
    assert value(body, "bridge_webhook_deliveries", status="done") == 2
    assert value(body, "bridge_webhook_deliveries", status="failed") == 1
    assert value(body, "bridge_test_approvals") == 4
    assert "bridge_objects" not in body and "bridge_pending_approvals" not in body  # no such tables here
    engine.dispose()
    (tmp_path / "g.db").unlink()
    (tmp_path / "g.db").mkdir()  # the store cannot be opened any more: store_up 0, the scrape still answers
    body = metrics.render().decode()
    assert value(body, "bridge_store_up") == 0 and value(body, "bridge_leader") == 0


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/job/demo/api/json", "read"),
        ("GET", "/jenkins/job/demo/credentials/store/folder/domain/_/api/json", "read_credentials"),
        ("POST", "/job/demo/createItem", "create_item"),
        ("POST", "/job/demo/job/build/config.xml", "update_config"),
        ("GET", "/job/demo/job/build/config.xml", "read_config"),
        ("POST", "/job/demo/doDelete", "delete_item"),
        (
            "DELETE",
            "/job/demo/credentials/store/folder/domain/_/credential/tok/config.xml",
            "delete_credential",
        ),
        ("GET", "/crumbIssuer/api/json", "crumb"),
        ("GET", "/whoAmI/api/json", "whoami"),
        ("POST", "/job/demo/job/build/7/input/Ok/proceedEmpty", "answer_input"),
        ("GET", "/job/demo/job/build/7/logText/progressiveText", "log"),
        ("PUT", "/anything/else", "other"),
    ],
)
def test_jenkins_operations_are_a_small_fixed_set(method: str, path: str, operation: str) -> None:
    assert operation_of(method, path) == operation


def test_the_separate_listener_serves_metrics_without_credentials(tmp_path: Path) -> None:
    container = build_container(make_settings(tmp_path))
    assert container.metrics is not None
    container.metrics.set_leader(True)
    listener = serve_metrics(container.metrics, host="127.0.0.1", port=0)
    try:
        r = requests.get(f"http://127.0.0.1:{listener.port}/metrics", timeout=5)
        assert r.status_code == 200
        assert value(r.text, "bridge_leader") == 1 and value(r.text, "bridge_store_up") == 1
    finally:
        listener.stop()
        container.close()
