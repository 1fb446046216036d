"""Approval settings on the existing resources: a pipeline's ``approvals`` and a project's
``approval_notification`` (validated, stored, the secret write-only and never shown)."""

from __future__ import annotations

import json

from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects"
SECRET = "notify-settings-s3cret-42"


def _project(api: ApiClient) -> None:
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201


def test_pipeline_approval_rules_are_validated_stored_and_shown(api: ApiClient) -> None:
    _project(api)
    base = {"name": "gate", "jenkinsfile": "echo hi"}
    for bad, field in (
        ({"required": 0}, "required"),
        ({"required": 11}, "required"),
        ({"expiry_hours": 0}, "expiry_hours"),
        ({"separation_of_duties": "maybe"}, "separation_of_duties"),
        ({"quorum": 2}, "quorum"),
    ):
        r = api.post(f"{P}/demo/pipelines", base | {"approvals": bad})
        assert r.status_code == 400, (bad, r.json)
        assert any(field in e["field"] for e in r.json["errors"]), r.json
    r = api.post(f"{P}/demo/pipelines", base | {"approvals": {"required": 2, "expiry_hours": 24}})
    assert r.status_code == 201, r.json
    assert r.json["approvals"] == {"separation_of_duties": False, "expiry_hours": 24, "required": 2}
    r = api.patch(f"{P}/demo/pipelines/gate", {"approvals": {"separation_of_duties": True}})
    assert r.status_code == 200
    assert api.get(f"{P}/demo/pipelines/gate").json["approvals"] == {
        "separation_of_duties": True,
        "expiry_hours": None,
        "required": 1,
    }
    # a pipeline declared without rules has the defaults
    assert api.post(f"{P}/demo/pipelines", {"name": "plain", "jenkinsfile": "echo hi"}).status_code == 201
    assert api.get(f"{P}/demo/pipelines/plain").json["approvals"]["required"] == 1


def test_the_project_notification_secret_is_write_only_and_kept_unless_sent(api: ApiClient) -> None:
    register_secret(SECRET)
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    hook = {"url": "https://chat.example/hook", "secret": SECRET}
    r = api.post(P, {"name": "demo", "workspace": "ws", "approval_notification": hook})
    assert r.status_code == 201, r.json
    assert r.json["approval_notification"] == {"url": "https://chat.example/hook", "secret_set": True}
    # a new URL without the secret keeps the secret; the secret never appears in any answer
    r = api.patch(f"{P}/demo", {"approval_notification": {"url": "https://chat.example/other"}})
    assert r.json["approval_notification"] == {"url": "https://chat.example/other", "secret_set": True}
    for body in (api.get(f"{P}/demo").json, api.get(P).json):
        assert SECRET not in json.dumps(body)
    for bad in ({"url": "file:///etc/passwd"}, {"url": "https://x", "secret": "short"}, {"url": ""}):
        r = api.patch(f"{P}/demo", {"approval_notification": bad})
        assert r.status_code == 400, (bad, r.json)
    r = api.patch(f"{P}/demo", {"approval_notification": {"url": "https://chat.example/x", "secret": None}})
    assert r.json["approval_notification"]["secret_set"] is False
    assert api.patch(f"{P}/demo", {"description": "x"}).json["approval_notification"]["url"].endswith("/x")
    assert api.patch(f"{P}/demo", {"approval_notification": None}).json["approval_notification"] is None
