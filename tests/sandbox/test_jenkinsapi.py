"""jenkinsapi, a widely used client that reads nothing but ``api/python``, against the sandbox over HTTP:
crumbs (``crumbIssuer/api/python`` with password auth), folders, jobs, builds, the queue, nodes, views."""

from __future__ import annotations

from typing import Any

import pytest
from jenkinsapi.custom_exceptions import UnknownJob
from jenkinsapi.jenkins import Jenkins

from bridge.sandbox.jenkins import SandboxJenkins
from tests.sandbox.pipeline_helpers import fast, wait_for
from tests.sandbox.wire import pipeline_xml, sample

SCRIPT = "pipeline { agent any; stages { stage('a') { steps { echo 'from jenkinsapi' } } } }"


def client(j: SandboxJenkins) -> Jenkins:
    """Password auth: every POST needs a crumb, which jenkinsapi reads with ``ast.literal_eval``."""
    return Jenkins(j.url.rstrip("/"), username=j.admin_user, password=j.admin_password, timeout=10)


@pytest.fixture
def recorded(sandbox_jenkins: SandboxJenkins, monkeypatch: pytest.MonkeyPatch) -> SandboxJenkins:
    """Records the API paths the client asks for, to prove it went through ``api/python``."""
    j = sandbox_jenkins
    seen: list[str] = []
    app = j.app
    assert app is not None
    original = app.handle

    def handle(request: Any) -> Any:
        seen.append(request.path)
        return original(request)

    monkeypatch.setattr(app, "handle", handle)
    j.requests_seen = seen  # type: ignore[attr-defined]
    return j


def test_folders_jobs_builds_and_queue_through_api_python(recorded: SandboxJenkins) -> None:
    j = recorded
    fast(j)
    server = client(j)
    assert server.version == "2.479.3"
    server.create_job("team", sample("folder-config.xml"))
    job = server.create_job("team/app", pipeline_xml(SCRIPT, description="built by jenkinsapi"))
    assert job.name == "team/app"
    server.poll()
    assert "team/app" in list(server.keys())  # the root listing resolves folders through api/python
    assert server.has_job("team/app")
    job = server.get_job("team/app")
    assert job.get_description() == "built by jenkinsapi"
    assert job.is_enabled() and not job.is_queued_or_running()
    assert job.get_next_build_number() == 1

    item = job.invoke()
    assert item.queue_id == 1
    build = item.block_until_building(delay=0)
    assert build.get_number() == 1
    wait_for(lambda: not build.is_running(), timeout=20)
    build.poll()
    assert build.get_status() == "SUCCESS"
    assert build.is_good()
    assert "from jenkinsapi" in build.get_console()
    assert job.get_last_buildnumber() == 1
    assert job.get_last_good_buildnumber() == 1
    assert list(job.get_build_dict()) == [1]
    assert job.get_build(1).get_number() == 1
    item.poll()
    assert item.get_build_number() == 1 and not item.is_queued()

    with pytest.raises(UnknownJob):
        server.get_job("team/missing")

    paths = j.requests_seen  # type: ignore[attr-defined]
    api_paths = [p for p in paths if "/api/" in p]
    assert api_paths and all(p.endswith("/api/python") for p in api_paths), set(api_paths)
    assert "/crumbIssuer/api/python" in paths
    assert "/queue/item/1/api/python" in paths and "/job/team/job/app/1/api/python" in paths


def test_queue_nodes_and_views_through_api_python(recorded: SandboxJenkins) -> None:
    j = recorded
    fast(j, scale=1.0)  # keep the item in its 5 s quiet period
    server = client(j)
    job = server.create_job("waiting", pipeline_xml(SCRIPT))
    item = job.invoke()
    queue = server.get_queue()
    assert queue.keys() == [item.queue_id]
    assert queue[item.queue_id].get_job_name() == "waiting"
    assert item.is_queued() and job.is_queued()
    assert "quiet period" in item.why
    queue.delete_item(item)
    assert len(server.get_queue()) == 0

    nodes = server.get_nodes()
    assert "Built-In Node" in list(nodes.keys())
    node = nodes["Built-In Node"]
    assert node.is_online() and node.is_idle() and not node.is_temporarily_offline()

    assert "all" in list(server.views.keys())
    assert "waiting" in list(server.views["all"].keys())
    api_paths = [p for p in j.requests_seen if "/api/" in p]  # type: ignore[attr-defined]
    assert api_paths and all(p.endswith("/api/python") for p in api_paths), set(api_paths)
    assert "/computer/api/python" in api_paths and "/queue/api/python" in api_paths
