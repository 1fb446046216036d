"""Tenancy through the whole stack: API members → dirty folders → worker → the folder matrix and the
jobs' build identity in the sandbox Jenkins; the worker built by the composition root creates the
project identities."""

from __future__ import annotations

import defusedxml.ElementTree as SafeET

from bridge.adapters.jenkins.configxml import folder_grants, parse_run_as
from bridge.adapters.jenkins.configxml.authz import parse_matrix
from bridge.identity.roles import Role
from bridge.identity.tenancy import Member
from tests.e2e.conftest import P, Stack
from tests.e2e.declare import declare
from tests.fixtures.sandbox import created_users

W = "/api/v1/workspaces"


def _properties(stack: Stack, path: str) -> SafeET.Element:
    found = SafeET.fromstring(stack.jenkins.get_job_config(path).encode()).find("properties")
    assert found is not None
    return found


def test_members_granted_through_the_api_reach_the_folder_and_builds_run_as_the_project(stack: Stack) -> None:
    declare(stack.api)
    assert stack.api.post(f"{P}/demo/members", {"subject": "alice", "role": "operator"}).status_code == 200
    assert (
        stack.api.post(
            f"{W}/ws/members", {"kind": "group", "subject": "auditors", "role": "viewer"}
        ).status_code
        == 200
    )
    result = stack.worker.poll()
    assert result is not None and not result.errors
    assert created_users(stack.sandbox) == ["jb-project-demo"]
    assert parse_matrix(_properties(stack, "demo")) == folder_grants(
        "jb-project-demo", [Member(False, "alice", Role.OPERATOR), Member(True, "auditors", Role.VIEWER)]
    )
    for job in ("build", "app"):
        assert parse_run_as(_properties(stack, f"demo/{job}")) == "jb-project-demo"
    assert stack.sync("/demo")["status"] == "synced"

    assert stack.api.delete(f"{P}/demo/members/user/alice").status_code == 204
    assert stack.sync("/demo")["status"] == "pending"
    result = stack.worker.poll()
    assert result is not None and [str(a.ref) for a in result.applied] == ["project demo"]
    assert parse_matrix(_properties(stack, "demo")) == folder_grants(
        "jb-project-demo", [Member(True, "auditors", Role.VIEWER)]
    )
    assert stack.worker.poll() is None  # nothing queued, nothing done
    assert created_users(stack.sandbox) == ["jb-project-demo"]
