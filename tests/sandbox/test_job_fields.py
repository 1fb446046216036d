"""Job ``api/json`` build-side fields: computed only when the query asks for them (a
``tree=jobs[name,url,color]`` over many jobs (python-jenkins' ``get_all_jobs``) must not build every
permalink and build list of every job), and ``color`` as ``WorkflowJob.getIconColor`` computes it."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.sandbox.jenkins import SandboxJenkins, builds
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import token_session


def test_permalinks_and_build_lists_are_computed_only_when_exported(
    sandbox_jenkins: SandboxJenkins, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = sandbox_jenkins
    fast(j)
    s = token_session(j)
    for name in ("a", "b", "c"):
        create_job(j, name, "echo 'x'")
        s.post(f"{j.url}job/{name}/build", params={"delay": "0sec"})
    for name in ("a", "b", "c"):
        wait_for(lambda name=name: s.get(f"{j.url}job/{name}/1/api/json").json()["result"])
    calls: list[str] = []
    real_permalink, real_bean = builds.permalink, builds.build_bean

    def counting_permalink(job: Any, name: str) -> Any:
        calls.append(name)
        return real_permalink(job, name)

    def counting_bean(ctx: Any, build: Any) -> Any:
        calls.append("bean")
        return real_bean(ctx, build)

    monkeypatch.setattr(builds, "permalink", counting_permalink)
    monkeypatch.setattr(builds, "build_bean", counting_bean)

    jobs = s.get(f"{j.url}api/json", params={"tree": "jobs[name,url,color,nextBuildNumber]"}).json()["jobs"]
    assert [(x["name"], x["color"], x["nextBuildNumber"]) for x in jobs] == [
        ("a", "blue", 2),
        ("b", "blue", 2),
        ("c", "blue", 2),
    ]
    assert calls == []

    one = s.get(f"{j.url}job/a/api/json", params={"tree": "lastSuccessfulBuild[number]"}).json()
    assert one["lastSuccessfulBuild"]["number"] == 1
    assert calls == ["lastSuccessfulBuild", "bean"]


def test_disabled_job_still_building_is_disabled_anime(sandbox_jenkins: SandboxJenkins) -> None:
    """``WorkflowJob.getIconColor``: ``isDisabled() ? (isBuilding() ? DISABLED_ANIME : DISABLED)``."""
    j = sandbox_jenkins
    fast(j)
    create_job(j, "gate", "input 'go?'")
    s = token_session(j)
    s.post(f"{j.url}job/gate/build", params={"delay": "0sec"})
    wait_for(lambda: s.get(f"{j.url}job/gate/1/wfapi/pendingInputActions").json())
    assert s.get(f"{j.url}job/gate/api/json", params={"tree": "color"}).json()["color"] == "notbuilt_anime"
    s.post(f"{j.url}job/gate/disable")
    assert s.get(f"{j.url}job/gate/api/json", params={"tree": "color"}).json()["color"] == "disabled_anime"
    s.post(f"{j.url}job/gate/1/stop")
    wait_for(lambda: s.get(f"{j.url}job/gate/1/api/json").json()["result"])
    assert s.get(f"{j.url}job/gate/api/json", params={"tree": "color"}).json()["color"] == "disabled"
