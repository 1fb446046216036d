"""Moving a project into another workspace needs admin there, whatever content type the body is sent
as: authorisation reads the same parsed body the view applies, and a body it cannot read is refused."""

from __future__ import annotations

import json

import pytest

from tests.api.tenants import P, Tenants

MOVE = json.dumps({"workspace": "ws-b"})


@pytest.mark.parametrize(
    "content_type", ["text/plain+json", "text/x+json", "application/x-www-form-urlencoded", "text/plain", ""]
)
def test_a_body_that_is_not_json_by_the_one_rule_is_refused_and_moves_nothing(
    tenants: Tenants, content_type: str
) -> None:
    ada = tenants.as_("ada")  # admin of proj-a, nothing in ws-b
    r = ada.request("PATCH", f"{P}/proj-a", data=MOVE, headers={"Content-Type": content_type})
    assert r.status_code == 415, (r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/problem+json"
    assert tenants.admin.get(f"{P}/proj-a").json["workspace"] == "ws-a"


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/merge-patch+json", "Application/JSON; charset=utf-8"]
)
def test_a_move_needs_admin_on_the_target_workspace_for_every_json_type(
    tenants: Tenants, content_type: str
) -> None:
    ada = tenants.as_("ada")
    r = ada.request("PATCH", f"{P}/proj-a", data=MOVE, headers={"Content-Type": content_type})
    assert r.status_code == 403, (r.status_code, r.get_data(as_text=True))
    assert tenants.admin.get(f"{P}/proj-a").json["workspace"] == "ws-a"
    # the same body without a move is applied: the check and the view read one body
    r = ada.request(
        "PATCH",
        f"{P}/proj-a",
        data=json.dumps({"description": "mine"}),
        headers={"Content-Type": content_type},
    )
    assert r.status_code == 200 and r.json["description"] == "mine"


def test_an_unreadable_body_is_refused_before_anything_is_decided(tenants: Tenants) -> None:
    ada = tenants.as_("ada")
    for data in (b'{"workspace": "ws-b"', b"\xff\xfe", b'["ws-b"]', b'{"workspace": ["ws-b"]}'):
        r = ada.request("PATCH", f"{P}/proj-a", data=data, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (data, r.status_code)
    assert tenants.admin.get(f"{P}/proj-a").json["workspace"] == "ws-a"


def test_an_admin_of_both_workspaces_may_move(tenants: Tenants) -> None:
    admin = tenants.admin
    r = admin.request(
        "PATCH", f"{P}/proj-a", data=MOVE, headers={"Content-Type": "application/merge-patch+json"}
    )
    assert r.status_code == 200 and r.json["workspace"] == "ws-b"
