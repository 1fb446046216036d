"""The sandbox token endpoints follow Jenkins core's rules (``ApiTokenProperty.DescriptorImpl``)."""

from __future__ import annotations

import requests

from tests.attribution.conftest import ADMIN_CAN_GENERATE

BASE = "user/{}/descriptorByName/jenkins.security.ApiTokenProperty/"


def _post(j, auth: tuple[str, str], user: str, action: str, **form: str) -> requests.Response:  # type: ignore[no-untyped-def]
    """POST as ``auth``; with a password (not an API token) Jenkins wants a crumb from the same session."""
    s = requests.Session()
    s.auth = auth
    crumb = s.get(f"{j.url}crumbIssuer/api/json", timeout=5).json()
    s.headers[crumb["crumbRequestField"]] = crumb["crumb"]
    return s.post(f"{j.url}{BASE.format(user)}{action}", data=form, timeout=5)


def _admin(j) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return (j.admin_user, j.admin_token)


def test_admin_may_mint_for_others_only_with_the_system_property(start_jenkins) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins()
    denied = _post(j, _admin(j), "alice", "generateNewToken", newTokenName="x")
    assert (denied.status_code, denied.content) == (403, b"")
    j.services["system_properties"].update(ADMIN_CAN_GENERATE)
    minted = _post(j, _admin(j), "alice", "generateNewToken", newTokenName="bridge")
    assert minted.status_code == 200
    body = minted.json()
    assert body["status"] == "ok"
    data = body["data"]
    assert set(data) == {"tokenUuid", "tokenName", "tokenValue", "expirationDate", "aboutToExpire"}
    assert (
        data["tokenName"] == "bridge"
        and data["tokenValue"].startswith("11")
        and len(data["tokenValue"]) == 34
    )
    who = requests.get(f"{j.url}whoAmI/api/json", auth=("alice", data["tokenValue"]), timeout=5).json()
    assert who["name"] == "alice"
    assert _post(j, _admin(j), "nobody", "generateNewToken").status_code == 404


def test_users_mint_their_own_tokens_but_not_others(start_jenkins) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins(system_properties=ADMIN_CAN_GENERATE)
    own = _post(j, ("alice", "alice-pw"), "alice", "generateNewToken")
    assert own.status_code == 200
    assert _post(j, ("alice", "alice-pw"), "bob", "generateNewToken").status_code == 403  # not an admin


def test_revoke_rules(start_jenkins) -> None:  # type: ignore[no-untyped-def]
    j = start_jenkins()  # revoking needs no system property: User.checkPermission(ADMINISTER)
    token = _post(j, ("bob", "bob-pw"), "bob", "generateNewToken").json()["data"]
    assert _post(j, ("alice", "alice-pw"), "bob", "revoke", tokenUuid=token["tokenUuid"]).status_code == 403
    assert _post(j, _admin(j), "bob", "revoke").status_code == 400
    assert _post(j, _admin(j), "bob", "revoke", tokenUuid="no-such-uuid").status_code == 200
    assert requests.get(f"{j.url}whoAmI/api/json", auth=("bob", token["tokenValue"]), timeout=5).ok
    assert _post(j, _admin(j), "bob", "revoke", tokenUuid=token["tokenUuid"]).status_code == 200
    gone = requests.get(f"{j.url}whoAmI/api/json", auth=("bob", token["tokenValue"]), timeout=5)
    assert gone.status_code == 401
    assert _post(j, _admin(j), "carol", "revoke", tokenUuid="x").status_code == 400  # never had a token
