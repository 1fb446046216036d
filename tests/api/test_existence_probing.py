"""No error tells a caller about a project or workspace it cannot see (docs/security.md, "Existence").

For every create path, a target that exists but is invisible to the caller is answered exactly like a
target that does not exist (status, type, title and detail, with the name swapped). Project names are
one namespace across workspaces, so creating a taken name must fail; it then says only that the name
is not available, the same whoever holds it, and never "already exists" for a project GET hides.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.tenants import P, Tenants, W
from tests.fixtures.app import ApiClient

MISSING = "proj-zz"
MISSING_WS = "ws-zz"


def _shape(response: Any, *names: str) -> tuple[int, str, str, str, str]:
    body = response.json
    detail = body.get("detail", "")
    for name in names:
        detail = detail.replace(name, "<name>")
    return (response.status_code, response.mimetype, body.get("type"), body.get("title"), detail)


CHILD_CREATES = [
    ("credentials", {"id": "c1", "type": "secret-text", "data": {"secret": "s" * 20}}),
    ("pipelines", {"name": "p1", "jenkinsfile": "pipeline {}"}),
    ("members", {"subject": "eve", "role": "admin"}),
    ("pipelines/build/runs", {}),
]


@pytest.mark.parametrize("who", ["ada", "vera", "wanda", "nobody"])
@pytest.mark.parametrize(("child", "body"), CHILD_CREATES)
def test_creating_inside_an_invisible_project_looks_like_a_missing_one(
    tenants: Tenants, who: str, child: str, body: dict[str, Any]
) -> None:
    client = tenants.as_(who)
    hidden = "proj-b" if who != "wanda" else "proj-a"  # wanda administers ws-b, so sees proj-b
    invisible = client.post(f"{P}/{hidden}/{child}", body)
    missing = client.post(f"{P}/{MISSING}/{child}", body)
    assert invisible.status_code == 404, invisible.json
    assert _shape(invisible, hidden) == _shape(missing, MISSING)
    assert client.get(f"{P}/{hidden}").status_code == 404


@pytest.mark.parametrize("who", ["ada", "vera", "nobody"])
def test_workspace_members_of_an_invisible_workspace_look_missing(tenants: Tenants, who: str) -> None:
    client = tenants.as_(who)
    invisible = client.post(f"{W}/ws-b/members", {"subject": "eve", "role": "admin"})
    missing = client.post(f"{W}/{MISSING_WS}/members", {"subject": "eve", "role": "admin"})
    assert invisible.status_code == 404
    assert _shape(invisible, "ws-b") == _shape(missing, MISSING_WS)


@pytest.mark.parametrize("who", ["ada", "wanda", "nobody"])
def test_creating_a_workspace_does_not_tell_which_exist(tenants: Tenants, who: str) -> None:
    client = tenants.as_(who)
    taken = client.post(W, {"name": "ws-a"})
    free = client.post(W, {"name": MISSING_WS})
    assert taken.status_code == 403
    assert _shape(taken, "ws-a") == _shape(free, MISSING_WS)


@pytest.mark.parametrize("who", ["ada", "vera", "nobody"])
def test_creating_a_project_in_an_invisible_workspace_looks_like_a_missing_one(
    tenants: Tenants, who: str
) -> None:
    client = tenants.as_(who)
    invisible = client.post(P, {"name": "new-one", "workspace": "ws-b"})
    missing = client.post(P, {"name": "new-one", "workspace": MISSING_WS})
    assert invisible.status_code == 403
    assert _shape(invisible, "ws-b") == _shape(missing, MISSING_WS)


def test_moving_a_project_into_an_invisible_workspace_looks_like_a_missing_one(tenants: Tenants) -> None:
    ada = tenants.as_("ada")
    invisible = ada.patch(f"{P}/proj-a", {"workspace": "ws-b"})
    missing = ada.patch(f"{P}/proj-a", {"workspace": MISSING_WS})
    assert invisible.status_code == 403
    assert _shape(invisible, "ws-b") == _shape(missing, MISSING_WS)


def _name_taken(client: ApiClient, name: str, workspace: str) -> Any:
    r = client.post(P, {"name": name, "workspace": workspace})
    assert r.status_code == 409, r.json
    return r


def test_a_taken_project_name_says_not_available_whoever_holds_it(tenants: Tenants) -> None:
    wanda = tenants.as_("wanda")  # admin of ws-b: sees proj-b, not proj-a
    assert wanda.get(f"{P}/proj-a").status_code == 404
    hidden = _name_taken(wanda, "proj-a", "ws-b")
    visible = _name_taken(wanda, "proj-b", "ws-b")
    assert _shape(hidden, "proj-a") == _shape(visible, "proj-b")
    for r in (hidden, visible):
        text = r.get_data(as_text=True)
        assert "already exists" not in text and "ws-a" not in text
        assert "not available" in r.json["detail"]
    # the platform admin, who sees everything, gets the same answer: one rule for all callers
    assert _shape(_name_taken(tenants.admin, "proj-a", "ws-b"), "proj-a") == _shape(hidden, "proj-a")


def test_a_taken_name_is_checked_after_the_callers_own_rights(tenants: Tenants) -> None:
    """Without the right to create in the workspace, a taken name and a free one get the same 403."""
    vera = tenants.as_("vera")  # viewer of proj-a in ws-a: may not create there
    taken = vera.post(P, {"name": "proj-b", "workspace": "ws-a"})
    free = vera.post(P, {"name": MISSING, "workspace": "ws-a"})
    assert taken.status_code == 403
    assert _shape(taken, "proj-b") == _shape(free, MISSING)
