"""Hostile and malformed input: always a clear 4xx problem, never a 500; odd text stored verbatim;
secret values never in any response."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from tests.api.paths import openapi_path
from tests.fixtures.app import ApiClient

P = "/api/v1/projects"
HOSTILE = "]]></script><![CDATA[&amp; \"quotes\" 'single' <x/> ünïcødé 🚀 \u202e"
SECRETS = [
    "hunter2-basic-password",
    "-----BEGIN OPENSSH PRIVATE KEY-----xyz",
    "ssh-pass-phrase",
    "tok-secret-text",
]


@pytest.fixture
def seeded(api: ApiClient) -> ApiClient:
    api.post("/api/v1/workspaces", {"name": "ws", "description": HOSTILE})
    api.post(P, {"name": "demo", "workspace": "ws", "description": HOSTILE})
    return api


def test_xml_metacharacters_and_unicode_are_stored_verbatim(seeded: ApiClient) -> None:
    api = seeded
    r = api.post(
        f"{P}/demo/pipelines",
        {
            "name": "p",
            "description": HOSTILE,
            "jenkinsfile": f"echo '{HOSTILE}'",
            "parameters": [{"name": "X", "default": HOSTILE, "description": HOSTILE}],
        },
    )
    assert r.status_code == 201, r.json
    got = api.get(f"{P}/demo/pipelines/p").json
    assert got["description"] == HOSTILE and got["jenkinsfile"] == f"echo '{HOSTILE}'"
    assert got["parameters"][0]["default"] == HOSTILE
    assert api.get(f"{P}/demo").json["description"] == HOSTILE
    assert api.get("/api/v1/workspaces/ws").json["description"] == HOSTILE


@pytest.mark.parametrize(
    "name",
    [
        "Demo",
        "-demo",
        "demo-",
        "de_mo",
        "de/mo",
        "..",
        ".",
        "a" * 64,
        "dé",
        "demo;rm",
        "<x>",
        "de mo",
        "de\x00mo",
    ],
)
def test_invalid_project_names_are_400(seeded: ApiClient, name: str) -> None:
    r = seeded.post(P, {"name": name, "workspace": "ws"})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert r.json["errors"][0]["field"] == "name"


def test_oversized_body_is_413(seeded: ApiClient) -> None:
    huge = {"name": "p", "jenkinsfile": "x" * (2 * 1024 * 1024)}
    r = seeded.post(f"{P}/demo/pipelines", huge)
    assert r.status_code == 413 and r.json["status"] == 413


def test_wrong_content_type_is_415_and_bad_json_is_400(seeded: ApiClient) -> None:
    body = json.dumps({"name": "x", "workspace": "ws"})
    r = seeded.post(P, None, data=body, content_type="text/plain")
    assert r.status_code == 415 and r.mimetype == "application/problem+json"
    r = seeded.post(P, None, data="<project><name>x</name></project>", content_type="application/xml")
    assert r.status_code == 415
    for raw in ["{", "[]", "null", "\xff\xfe", "[" * 100_000, '{"name": 1' + "0" * 5000 + "}"]:
        r = seeded.post(P, None, data=raw, content_type="application/json")
        assert r.status_code == 400, raw[:20]
    r = seeded.post(P, {"name": "x", "workspace": "ws", "surprise": True})
    assert r.status_code == 400 and r.json["errors"] == [
        {"field": "surprise", "message": "Extra inputs are not permitted"}
    ]
    r = seeded.post(P, {"name": ["x"], "workspace": {"a": 1}})
    assert r.status_code == 400 and {e["field"] for e in r.json["errors"]} == {"name", "workspace"}


def test_wrong_method_is_405_and_unknown_path_404(seeded: ApiClient) -> None:
    r = seeded.put(P, {})
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    assert seeded.get("/api/v1/nothing-here").status_code == 404
    assert seeded.get(f"{P}/demo/").status_code == 200  # trailing slashes are insignificant
    r = seeded.patch(f"{P}/demo", {"description": "x"}, headers={"If-Match": "garbage"})
    assert r.status_code == 400


def test_request_id_is_echoed_and_in_problems(seeded: ApiClient) -> None:
    r = seeded.get(f"{P}/none", headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123" and r.json["request_id"] == "abc-123"
    r = seeded.get(f"{P}/none", headers={"X-Request-Id": "bad id <script>"})
    assert r.headers["X-Request-Id"] != "bad id <script>" and len(r.headers["X-Request-Id"]) == 32


def test_no_response_ever_contains_a_secret_value(seeded: ApiClient) -> None:
    api = seeded
    base = f"{P}/demo/credentials"
    api.post(base, {"id": "a", "type": "basic-auth", "data": {"username": "u", "password": SECRETS[0]}})
    api.post(
        base,
        {
            "id": "b",
            "type": "ssh-auth",
            "data": {"username": "u", "private_key": SECRETS[1], "passphrase": SECRETS[2]},
        },
    )
    api.post(base, {"id": "c", "type": "secret-text", "data": {"secret": SECRETS[3]}})
    api.post(
        base, {"id": "d", "type": "secret-text", "data": {"secret": SECRETS[3], "bogus": SECRETS[0]}}
    )  # 400
    api.post(base, {"id": "BAD", "type": "secret-text", "data": {"secret": SECRETS[3]}})  # 400
    api.post(
        base, {"id": "e", "type": "basic-auth", "data": {"username": "u", "password": 12}}
    )  # 400 (not a string)
    api.put(f"{base}/a", {"type": "basic-auth", "data": {"password": SECRETS[0] + "2"}})
    api.patch(f"{base}/b", {"data": {"passphrase": SECRETS[2] + "2"}})
    for path in [base, f"{base}/a", f"{base}/b", f"{base}/c", "/api/v1/sync", f"{P}/demo"]:
        api.get(path)
    assert all(r.status_code < 500 for r in api.responses)
    assert {r.status_code for r in api.responses} >= {200, 201, 400}
    for r in api.responses:
        text = r.get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, f"{r.request.method} {r.request.path} leaked a secret"


def test_openapi_document_is_valid_3_1_and_covers_every_route(api: ApiClient, app: object) -> None:
    document = ApiClient(api.client, token=None).get("/api/v1/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.1")
    registry = app.extensions["bridge.registry"]  # type: ignore[attr-defined]
    for route in registry.routes:
        path = openapi_path(route.path)
        op = document["paths"][path][route.method.lower()]
        assert op["x-permission"] == route.permission
        assert str(route.status) in op["responses"]
    create = document["paths"]["/api/v1/projects/{project}/credentials"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CredentialIn"
    }
    out = document["components"]["schemas"]["CredentialOut"]["properties"]
    assert "secret_keys" in out and "password" not in json.dumps(out)
