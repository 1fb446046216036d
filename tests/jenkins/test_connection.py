"""One JenkinsConnection per controller, against the sandbox over HTTP: crumbs fetched once and renewed
after "No valid crumb", retries of idempotent requests only, typed errors with Retry-After, and one set
of counters for every port of the controller (checked against what the sandbox counted)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.connection import JenkinsConnection
from bridge.adapters.jenkins.errors import BadCredentials
from bridge.bootstrap import build_connections, build_container, build_linter, build_worker
from bridge.errors import NotFound, UpstreamError, UpstreamUnavailable
from bridge.identity.attribution import Actor
from bridge.sandbox.jenkins import SandboxJenkins
from tests.e2e.conftest import jenkins_env
from tests.fixtures.app import make_settings
from tests.fixtures.leaks import register_secret

ROOT = Path(__file__).resolve().parents[2]
FOLDER = (
    b"<com.cloudbees.hudson.plugins.folder.Folder><description>d</description>"
    b"</com.cloudbees.hudson.plugins.folder.Folder>"
)
JOB = (
    b"<flow-definition><properties><hudson.model.ParametersDefinitionProperty><parameterDefinitions>"
    b"<hudson.model.StringParameterDefinition><name>BRIDGE_REQUESTED_BY</name><defaultValue></defaultValue>"
    b"</hudson.model.StringParameterDefinition></parameterDefinitions></hudson.model.ParametersDefinitionProperty>"
    b"</properties><definition class='org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition'>"
    b"<script>echo 'hi'</script><sandbox>true</sandbox></definition></flow-definition>"
)


def connection(sandbox: SandboxJenkins, *, password: bool = False, **kw: object) -> JenkinsConnection:
    secret = sandbox.admin_password if password else sandbox.admin_token
    return JenkinsConnection(sandbox.url, user=sandbox.admin_user, token=secret, **kw)  # type: ignore[arg-type]


def test_the_crumb_is_fetched_once_and_renewed_after_jenkins_forgets_it(
    sandbox_jenkins_factory,  # type: ignore[no-untyped-def]
) -> None:
    sandbox = sandbox_jenkins_factory()
    conn = connection(sandbox, password=True)  # a password session needs crumbs (API tokens are exempt)
    for name in ("a", "b"):
        conn.request("POST", "createItem", operation="create_item", params={"name": name}, xml=FOLDER)
    assert conn.operations.snapshot()["crumb"] == 1
    sandbox.restart()  # a new Jenkins session: the cached crumb is "No valid crumb" now
    before = sandbox.faults.requests["POST"]
    conn.request("POST", "createItem", operation="create_item", params={"name": "c"}, xml=FOLDER)
    assert conn.operations.snapshot()["crumb"] == 2
    assert sandbox.faults.requests["POST"] - before == 2  # refused once, sent again with the new crumb
    assert JenkinsAdapter(conn).observe_folder("c") is not None


def test_idempotent_requests_are_retried_honouring_retry_after_and_others_are_not(
    sandbox_jenkins_factory,  # type: ignore[no-untyped-def]
) -> None:
    sandbox = sandbox_jenkins_factory()
    waits: list[float] = []
    conn = connection(sandbox, retries=2, backoff=0.25, sleep=waits.append)
    sandbox.faults.add_error(r"^whoAmI/", status=503, retry_after=7)
    with pytest.raises(UpstreamUnavailable) as caught:
        conn.get_json("whoAmI/api/json")
    assert caught.value.retry_after == 7.0 and waits == [7.0, 7.0]
    assert sandbox.faults.requests["GET"] == 3 and conn.counter.snapshot()["GET"] == 3
    sandbox.faults.clear()
    sandbox.faults.add_error(r"^createItem", status=502)
    with pytest.raises(UpstreamUnavailable) as once:
        conn.request("POST", "createItem", operation="create_item", params={"name": "x"}, xml=FOLDER)
    assert once.value.retry_after is None
    assert conn.operations.snapshot()["create_item"] == 1  # a create is not idempotent: never repeated
    sandbox.faults.clear()
    sandbox.faults.add_error(r"^whoAmI/", status=503, rate=1.0)
    waits.clear()
    with pytest.raises(UpstreamUnavailable):
        conn.get_json("whoAmI/api/json")
    assert waits == [0.25, 0.5]  # exponential without Retry-After


def test_errors_are_typed_by_status(sandbox_jenkins) -> None:  # type: ignore[no-untyped-def]
    conn = connection(sandbox_jenkins, retries=0)
    with pytest.raises(NotFound):
        conn.get_json("job/missing/api/json")
    wrong = JenkinsConnection(sandbox_jenkins.url, user=sandbox_jenkins.admin_user, token="0" * 34, retries=0)
    with pytest.raises(BadCredentials):
        wrong.get_json("whoAmI/api/json")
    sandbox_jenkins.faults.add_error(r"^whoAmI/", status=500)
    try:
        with pytest.raises(UpstreamError) as caught:
            conn.get_json("whoAmI/api/json")
        assert not isinstance(caught.value, UpstreamUnavailable) and caught.value.extra["status"] == 500
    finally:
        sandbox_jenkins.faults.clear()


def test_every_port_of_the_controller_counts_into_one_connection(
    tmp_path: Path,
    sandbox_jenkins_factory,  # type: ignore[no-untyped-def]
) -> None:
    sandbox = sandbox_jenkins_factory()
    register_secret(sandbox.admin_token, sandbox.admin_password)
    container = build_container(make_settings(tmp_path, **jenkins_env(sandbox)))
    try:
        conn = container.connections["default"]
        assert isinstance(container.jenkins, JenkinsAdapter) and container.jenkins.connection is conn
        start = sum(sandbox.faults.requests.values())
        container.jenkins.create_item("p", JOB)  # provisioning
        linter = build_linter(container.jenkins)
        assert linter is not None and linter.validate_jenkinsfile("pipeline { agent any }").status
        assert container.runs is not None
        queued = container.runs.trigger_run("p", {}, Actor(user="alice"))  # runs
        assert container.jenkins_probe is not None and container.jenkins_probe.wait() is True  # probe
        assert container.run_service is not None  # the run index's reads, API side
        assert container.run_service.views.queue_item(queued.number) is not None
        worker = build_worker(container.settings, desired=container.desired, jenkins=container.jenkins)
        assert worker.runs is not None and worker.runs.views is not container.run_service.views
        worker.runs.views.queue_item(queued.number)  # the worker's side: its own cache, same connection
        sent = sum(sandbox.faults.requests.values()) - start
        assert sent >= 6 and conn.counter.total == sent
        operations = conn.operations.snapshot()
        assert operations["create_item"] == 1 and operations["ping"] == 1 and operations["form"] >= 2
        user = conn.as_user("alice", "t")
        assert user.counter is conn.counter and user.operations is conn.operations and user.user == "alice"
    finally:
        container.close()


def test_one_connection_per_named_controller(tmp_path: Path) -> None:
    connections = build_connections(make_settings(tmp_path))
    assert list(connections) == ["default"] and connections["default"].name == "default"


@pytest.mark.parametrize("module", ["client.py", "connection.py", "runs.py", "usertokens.py"])
def test_no_private_python_jenkins_overrides(module: str) -> None:
    source = (ROOT / "bridge" / "adapters" / "jenkins" / module).read_text()
    for name in ("_request", "_response_handler", "_build_url", "_session"):
        assert not re.search(rf"def {name}\b", source), f"{module} defines {name}"
    assert "jenkins.Jenkins" not in source and "import jenkins" not in source


class _RecordingProxy:
    """A forward proxy that answers every request itself and records the absolute URIs it was sent."""

    def __init__(self) -> None:
        import http.server
        import threading

        seen: list[str] = []
        self.seen = seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append(self.path)
                body = b'{"_class": "hudson.model.Hudson", "jobs": []}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("bypass", [False, True])
def test_the_environments_proxy_and_no_proxy_apply_to_jenkins_requests(
    sandbox_jenkins_factory,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    bypass: bool,
) -> None:
    sandbox = sandbox_jenkins_factory()
    proxy = _RecordingProxy()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        if bypass:
            monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        conn = connection(sandbox)  # the environment is read when the connection is made
        before = sandbox.faults.requests["GET"]
        conn.request("GET", "api/json", operation="root")
        through_proxy = [uri for uri in proxy.seen if uri.startswith(sandbox.url)]
        assert len(through_proxy) == (0 if bypass else 1)
        assert sandbox.faults.requests["GET"] - before == (1 if bypass else 0)
    finally:
        proxy.close()
