"""Credential values Jenkins could not receive unchanged are refused (400 naming the field, never the
value); secret-file content, sent base64-encoded, travels exactly whatever it holds."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET

import pytest

from bridge.adapters.jenkins.configxml.credential import KubeconfigMode, build_credential
from bridge.domain.model import Credential, CredentialType, SecretData
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects/demo/credentials"
SECRET = "s3cret-body-value"

# (type, base data, field whose value is tainted)
CASES = [
    ("basic-auth", {"username": "bot", "password": SECRET}, "password"),
    ("secret-text", {"secret": SECRET}, "secret"),
    ("ssh-auth", {"username": "git", "private_key": SECRET, "passphrase": SECRET}, "private_key"),
    ("ssh-auth", {"username": "git", "private_key": SECRET, "passphrase": SECRET}, "passphrase"),
    ("kubeconfig", {"content": SECRET}, "content"),
    ("basic-auth", {"username": "bot", "password": SECRET}, "username"),
]


@pytest.fixture
def project(api: ApiClient) -> None:
    register_secret(SECRET)
    assert api.post("/api/v1/workspaces", {"name": "ws", "clusters": ["host"]}).status_code == 201
    assert (
        api.post("/api/v1/projects", {"name": "demo", "workspace": "ws", "cluster": "host"}).status_code
        == 201
    )


@pytest.mark.usefixtures("project")
@pytest.mark.parametrize(("type_", "data", "field"), CASES)
@pytest.mark.parametrize("bad", ["\r\n", "\r", "\x01", "\x00", "\ufffe", "\x1b"])
def test_values_xml_cannot_carry_are_refused(
    api: ApiClient, type_: str, data: dict[str, str], field: str, bad: str
) -> None:
    tainted = {**data, field: SECRET + bad + "zqxz"}
    r = api.post(P, {"id": "c1", "type": type_, "data": tainted})
    assert r.status_code == 400
    body = json.dumps(r.json)
    assert f"data.{field}" in {e["field"] for e in r.json["errors"]}
    assert SECRET not in body and "zqxz" not in body
    assert api.get(P + "/c1").status_code == 404


@pytest.mark.usefixtures("project")
def test_update_is_validated_too(api: ApiClient) -> None:
    assert api.post(P, {"id": "c1", "type": "secret-text", "data": {"secret": SECRET}}).status_code == 201
    r = api.patch(P + "/c1", {"data": {"secret": SECRET + "\r\n"}})
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "data.secret"


@pytest.mark.usefixtures("project")
def test_secret_file_content_is_carried_exactly(api: ApiClient) -> None:
    content = SECRET + "\r\nline2\r\x00\x01\x1b\ufffe end\n"
    r = api.post(P, {"id": "f1", "type": "secret-file", "data": {"filename": "a.env", "content": content}})
    assert r.status_code == 201
    credential = Credential(
        "demo", "f1", CredentialType.SECRET_FILE, SecretData(filename="a.env", content=content)
    )
    root = ET.fromstring(ET.tostring(build_credential(credential, description="", mode=KubeconfigMode.FILE)))
    secret_bytes = root.findtext("secretBytes")
    assert secret_bytes is not None
    assert base64.b64decode(secret_bytes).decode("utf-8") == content  # every byte, \r and controls included


@pytest.mark.usefixtures("project")
def test_lone_surrogates_are_refused_even_in_secret_files(api: ApiClient) -> None:
    r = api.client.post(
        P,
        data='{"id": "f1", "type": "secret-file", "data": {"filename": "a", "content": "x\\ud800"}}',
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )
    api.responses.append(r)
    assert r.status_code == 400 and r.json["errors"][0]["field"] == "data.content"


@pytest.mark.usefixtures("project")
def test_clean_values_still_accepted(api: ApiClient) -> None:
    for i, (type_, data, _) in enumerate(CASES[:5]):
        multiline = {k: (v + "\n\tindented\nü✓😀") for k, v in data.items()}
        assert api.post(P, {"id": f"ok{i}", "type": type_, "data": multiline}).status_code == 201
