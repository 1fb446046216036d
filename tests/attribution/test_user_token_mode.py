"""``user-token`` attribution: runs and approvals reach Jenkins as the real user, with minted API tokens."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from bridge.adapters.jenkins.errors import InputRefused, JenkinsIdentityUnavailable, UnknownJenkinsUser
from bridge.store.jenkins_tokens import jenkins_user_tokens
from tests.attribution.conftest import (
    ADMIN_CAN_GENERATE,
    actions,
    actor,
    admin_session,
    build_json,
    console,
    create_pipeline,
    finished,
    user_token_runs,
    waiting_at_input,
)

MINTED = "usertokens.minted"


def test_run_for_alice_is_started_by_alice_and_her_token_is_sealed_and_reused(start_jenkins, vault) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False)
    runs = user_token_runs(j, vault)

    first = runs.trigger_run("app", {"TARGET": "prod"}, actor("alice"))
    assert first.url == f"{j.url}queue/item/{first.number}/"
    waiting_at_input(j, 1)
    (cause,) = actions(build_json(j, 1), "CauseAction")[0]["causes"]
    assert cause["_class"] == "hudson.model.Cause$UserIdCause"
    assert cause["userId"] == "alice"
    assert console(j, 1).splitlines()[0] == "Started by user alice"
    (parameters,) = actions(build_json(j, 1), "ParametersAction")
    assert {p["name"]: p["value"] for p in parameters["parameters"]} == {"TARGET": "prod"}

    stored = vault.get("alice")
    assert stored is not None and j.state.extensions[MINTED]["alice"] == {
        stored.token_uuid: ("jenkins-bridge", stored.token)
    }
    with vault._engine.connect() as conn:  # sealed at rest: the token is not in the row
        (row,) = conn.execute(select(jenkins_user_tokens)).all()
    assert stored.token.encode() not in row.token_sealed

    runs.trigger_run("app", {}, actor("alice"))  # no parameters: 'build' refused, defaults queued
    waiting_at_input(j, 2)
    assert len(j.state.extensions[MINTED]["alice"]) == 1  # reused, not minted again
    assert actions(build_json(j, 2), "CauseAction")[0]["causes"][0]["userId"] == "alice"


def test_approval_is_jenkins_checked_and_recorded_for_the_real_approver(start_jenkins, vault) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False)
    runs = user_token_runs(j, vault)
    runs.trigger_run("app", {}, actor("alice"))
    (pending,) = waiting_at_input(j, 1)
    assert pending["id"] == "Ship"

    with pytest.raises(InputRefused) as refused:  # alice is not a submitter: Jenkins says no
        runs.proceed_input("app", 1, "Ship", {}, actor("alice"))
    assert "You need to be bob, deployers to submit this." in refused.value.detail
    assert waiting_at_input(j, 1)  # still pending

    runs.proceed_input("app", 1, "Ship", {}, actor("bob"))
    build = finished(j, 1)
    assert build["result"] == "SUCCESS"
    assert [a["userId"] for a in actions(build, "ApproverAction")] == ["bob"]
    assert "Approved by bob" in console(j, 1)


def test_group_submitter_and_rejection_as_the_user(start_jenkins, vault) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False)
    runs = user_token_runs(j, vault)
    runs.trigger_run("app", {}, actor("alice"))
    waiting_at_input(j, 1)
    j.state.users["carol"].groups = ("deployers",)  # Jenkins's realm puts carol in the submitter group
    runs.abort_input("app", 1, "Ship", actor("carol"))
    build = finished(j, 1)
    assert build["result"] == "ABORTED"
    assert "Rejected by carol" in console(j, 1)


def test_token_revoked_in_jenkins_is_reminted_once(start_jenkins, vault) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False)
    runs = user_token_runs(j, vault)
    runs.trigger_run("app", {}, actor("alice"))
    old = vault.get("alice")
    assert old is not None
    revoked = admin_session(j).post(
        f"{j.url}user/alice/descriptorByName/jenkins.security.ApiTokenProperty/revoke",
        data={"tokenUuid": old.token_uuid},
    )
    assert revoked.status_code == 200
    assert requests.get(f"{j.url}whoAmI/api/json", auth=("alice", old.token)).status_code == 401

    runs.trigger_run("app", {}, actor("alice"))  # 401 with the stored token → new token, retried
    waiting_at_input(j, 2)
    new = vault.get("alice")
    assert new is not None and new.token_uuid != old.token_uuid
    assert list(j.state.extensions[MINTED]["alice"]) == [new.token_uuid]
    assert actions(build_json(j, 2), "CauseAction")[0]["causes"][0]["userId"] == "alice"


def test_without_the_system_property_jenkins_refuses_and_nothing_is_queued(start_jenkins, vault) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins()
    create_pipeline(j, requested_by=False)
    runs = user_token_runs(j, vault)
    with pytest.raises(JenkinsIdentityUnavailable) as refused:
        runs.trigger_run("app", {}, actor("alice"))
    assert "adminCanGenerateNewTokens=true" in refused.value.detail
    assert vault.get("alice") is None
    assert admin_session(j).get(f"{j.url}job/app/api/json").json()["nextBuildNumber"] == 1


def test_user_jenkins_does_not_know(start_jenkins, vault) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False)
    with pytest.raises(UnknownJenkinsUser):
        user_token_runs(j, vault).trigger_run("app", {}, actor("mallory"))


def test_revoking_a_users_access_revokes_the_jenkins_token(start_jenkins, vault) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False)
    runs = user_token_runs(j, vault)
    runs.trigger_run("app", {}, actor("alice"))
    runs.trigger_run("app", {}, actor("bob"))
    alice, bob = vault.get("alice"), vault.get("bob")
    assert alice is not None and bob is not None
    tokens = runs._tokens
    assert tokens is not None

    assert tokens.revoke("alice") is True
    assert vault.get("alice") is None
    assert requests.get(f"{j.url}whoAmI/api/json", auth=("alice", alice.token)).status_code == 401
    assert tokens.revoke("alice") is True  # nothing left: idempotent

    j.outage()  # best effort: Jenkins down, the bridge forgets the token anyway and says so
    try:
        assert tokens.revoke("bob") is False
    finally:
        j.recover()
    assert vault.get("bob") is None


def test_input_parameters_are_submitted_as_the_user(start_jenkins, vault) -> None:  # type: ignore[no-untyped-def]
    script = """
    node {
      def note = input(id: 'note', message: 'Why?', submitter: 'bob', submitterParameter: 'WHO',
                       parameters: [string(name: 'NOTE', defaultValue: 'none')])
      echo "note=${note.NOTE} who=${note.WHO}"
    }
    """
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    create_pipeline(j, requested_by=False, script=script)
    runs = user_token_runs(j, vault)
    runs.trigger_run("app", {}, actor("alice"))
    waiting_at_input(j, 1)
    runs.proceed_input("app", 1, "Note", {"NOTE": "hotfix"}, actor("bob"))
    assert finished(j, 1)["result"] == "SUCCESS"
    assert "note=hotfix who=bob" in console(j, 1)
