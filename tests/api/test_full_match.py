"""Names, ids and subjects are matched in full: ``$`` matches before a final newline, so a trailing
``\\n`` once passed every check (``"team-a\\n"`` created a project)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, request

from bridge.api.access import request_id
from bridge.identity.names import is_valid_subject
from bridge.identity.tokens import looks_like_token, new_token
from tests.fixtures.app import ApiClient

P = "/api/v1/projects"
W = "/api/v1/workspaces"


@pytest.fixture
def demo(api: ApiClient) -> ApiClient:
    assert api.post(W, {"name": "ws"}).status_code == 201
    assert api.post(P, {"name": "demo", "workspace": "ws"}).status_code == 201
    return api


def _pipeline(**over: Any) -> dict[str, Any]:
    return {"name": "p", "jenkinsfile": "pipeline {}", **over}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (W, {"name": "ws-x\n"}),
        (W, {"name": "ws-x", "clusters": ["shire\n"]}),
        (P, {"name": "team-a\n", "workspace": "ws"}),
        (P, {"name": "team-b", "workspace": "ws", "cluster": "gondor\n"}),
        (f"{P}/demo/credentials", {"id": "tok\n", "type": "secret-text", "data": {"secret": "x" * 20}}),
        (f"{P}/demo/pipelines", _pipeline(name="build\n")),
        (f"{P}/demo/pipelines", _pipeline(parameters=[{"name": "TARGET\n"}])),
        (
            f"{P}/demo/pipelines",
            _pipeline(jenkinsfile=None, scm={"url": "https://git.example/r.git", "branch": "main\n"}),
        ),
        (f"{P}/demo/members", {"subject": "vera\n", "role": "viewer"}),
        (f"{P}/demo/members", {"subject": "devs\n", "kind": "group", "role": "viewer"}),
        (f"{W}/ws/members", {"subject": "wanda\n", "role": "admin"}),
    ],
)
def test_a_trailing_newline_is_refused_everywhere(demo: ApiClient, path: str, body: dict[str, Any]) -> None:
    r = demo.post(path, body)
    assert r.status_code == 400, (path, body, r.status_code, r.get_data(as_text=True))
    assert r.mimetype == "application/problem+json"


def test_nothing_was_created_under_a_newline_name(demo: ApiClient) -> None:
    demo.post(P, {"name": "team-a\n", "workspace": "ws"})
    assert [p["name"] for p in demo.get(P).json["items"]] == ["demo"]


@pytest.mark.parametrize("name", ["alice\n", "system:serviceaccount:ci:deployer\n", "devs\n", "a\nb"])
def test_subjects_from_every_source_are_matched_in_full(name: str) -> None:
    assert not is_valid_subject(name)
    assert is_valid_subject(name.rstrip("\n").split("\n")[0])


def test_tokens_and_request_ids_are_matched_in_full(app: Flask) -> None:
    token = new_token()
    assert looks_like_token(token) and not looks_like_token(token + "\n")
    with app.test_request_context(headers={"X-Request-Id": "abc"}):
        assert request_id(request) == "abc"
    with app.test_request_context(environ_base={"HTTP_X_REQUEST_ID": "abc\n"}):
        assert request_id(request) != "abc\n"
