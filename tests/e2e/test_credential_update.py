"""Credential updates against Jenkins' real behaviour: the credentials plugin's ``updateByXml`` reads
``<secret-redacted/>`` as an EMPTY secret (not "keep"), so every update the bridge sends carries all
secret values. Changing a non-secret field through the API must not blank a secret in Jenkins."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import P, Stack
from tests.e2e.declare import CREDENTIALS, declare

#: credential id → (API change of non-secret fields, the stored Jenkins field that must survive, value)
CHANGES = {
    "git": ({"description": "deploy bot", "data": {"username": "robot"}}, "password", "e2e-pw-basic-1"),
    "token": ({"description": "a token"}, "secret", "e2e-secret-text-2"),
    "ssh": ({"data": {"username": "deploy"}}, "passphrase", "e2e-passphrase-3"),
    "file": ({"data": {"filename": "g.txt"}}, "secretBytes", None),
    "rohan": ({"description": "prod cluster"}, "secretBytes", None),
}


def test_jenkins_blanks_a_secret_posted_back_redacted(stack: Stack) -> None:
    """Why the bridge never sends what it read: the emulated Jenkins behaves as the real one."""
    declare(stack.api)
    stack.worker.poll()
    redacted = stack.jenkins.get_credential_config("token", "demo")
    stack.jenkins.reconfig_credential("demo", redacted)
    assert stack.sandbox_credential("demo", "token")["secret"] == ""


@pytest.mark.parametrize("cid", sorted(CHANGES))
def test_changing_a_non_secret_field_keeps_the_secret_in_jenkins(stack: Stack, cid: str) -> None:
    declare(stack.api)
    stack.worker.poll()
    change, field, value = CHANGES[cid]
    before = stack.sandbox_credential("demo", cid)
    assert before[field]  # delivered on create
    r = stack.api.patch(f"{P}/demo/credentials/{cid}", change)
    assert r.status_code == 200 and r.json["sync"]["status"] == "pending"
    result = stack.worker.poll()
    assert result is not None and [str(a.ref) for a in result.applied] == [f"credential demo/{cid}"]
    after = stack.sandbox_credential("demo", cid)
    assert after[field] == (value if value is not None else before[field]) and after[field]
    if "username" in change.get("data", {}):
        assert after["username"] == change["data"]["username"]
    if "description" in change:
        assert stack.jenkins.get_credential_config(cid, "demo").count(change["description"]) == 1
    assert stack.sync(f"/demo/credentials/{cid}")["status"] == "synced"
    assert set(CREDENTIALS) == {c["id"] for c in stack.jenkins.list_credentials("demo")}
