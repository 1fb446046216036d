"""Log redaction of user-chosen values: only secret-like values, keyed by their owner, and dropped when
the owner changes or goes, so a project admin cannot blank ordinary words from everyone's logs."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bridge.bootstrap import Container
from bridge.log import REDACTED, SECRETS, SecretRegistry, secret_like
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    "value",
    [
        "ERROR",
        "WARNING!",
        "Exception",
        "password",
        "NullPointerException",
        "java.lang.NullPointerException",
        "ValueError:",
        "HTTP/1.1",
        "2026-12-02",
        "127.0.0.1:8080",
        "/api/v1/projects",
        "a1a1a1a1a1",
        "Traceback (most recent call last)",
        "correct horse battery staple 42x",
        "",
    ],
)
def test_ordinary_text_is_not_secret_like(value: str) -> None:
    assert not secret_like(value)


@pytest.mark.parametrize(
    "value",
    ["s3cr3t-Passw0rd", "hunter2024x", "ghp_x1Y2z3W4v5U6t7S8", "c0ffee42-dead-beef-0123-456789abcdef", PEM],
)
def test_secret_like_values(value: str) -> None:
    assert secret_like(value)


def test_fixed_values_from_settings_follow_the_old_length_rule() -> None:
    registry = SecretRegistry()
    registry.add("adminpass")  # operator-chosen, not a user's: kept however word-like
    registry.replace(("credential", "p", "c"), ["ERROR", "adminpass"])
    assert registry.redact("ERROR adminpass") == f"ERROR {REDACTED}"


def _seed(api: ApiClient, project: str) -> None:
    api.post("/api/v1/workspaces", {"name": f"ws-{project}"})
    assert api.post("/api/v1/projects", {"name": project, "workspace": f"ws-{project}"}).status_code == 201


def _decrypt_everything(container: Container, project: str) -> None:
    """What the reconciler does each pass: open every credential and pipeline of the project."""
    with container.store.read() as tx:
        tx.credentials.list(project)
        tx.pipelines.list(project)


def _secret_text(id: str, value: str) -> dict[str, Any]:
    return {"id": id, "type": "secret-text", "data": {"secret": value}}


def test_a_project_admin_cannot_blank_common_words_from_the_logs(
    api: ApiClient, container: Container
) -> None:
    project = "p-" + uuid.uuid4().hex[:8]
    _seed(api, project)
    base = f"/api/v1/projects/{project}/credentials"
    for n, word in enumerate(["ERROR", "Exception", "WARNING", "Traceback", "jenkins"]):
        assert api.post(base, _secret_text(f"c{n}", word)).status_code == 201
    pipeline = {
        "name": "build",
        "jenkinsfile": "echo hi",
        "parameters": [{"name": "PW", "type": "password", "default": "INFO"}],
    }
    assert api.post(f"/api/v1/projects/{project}/pipelines", pipeline).status_code == 201
    _decrypt_everything(container, project)
    line = "ERROR Exception in jenkins: WARNING INFO Traceback"
    assert SECRETS.redact(line) == line


def test_credential_values_are_dropped_on_change_and_delete(api: ApiClient, container: Container) -> None:
    project = "p-" + uuid.uuid4().hex[:8]
    _seed(api, project)
    first, second = f"Tok3n-{uuid.uuid4().hex}", f"Tok3n-{uuid.uuid4().hex}"
    register_secret(first, second)
    base = f"/api/v1/projects/{project}/credentials"
    assert api.post(base, _secret_text("deploy", first)).status_code == 201
    assert SECRETS.redact(f"x {first} y") == f"x {REDACTED} y"
    assert api.put(f"{base}/deploy", {"type": "secret-text", "data": {"secret": second}}).status_code == 200
    _decrypt_everything(container, project)
    assert SECRETS.redact(f"{first} {second}") == f"{first} {REDACTED}"
    assert api.delete(f"{base}/deploy").status_code in (200, 202, 204)
    assert SECRETS.redact(second) == second


def test_password_defaults_are_dropped_on_change_and_delete(api: ApiClient, container: Container) -> None:
    project = "p-" + uuid.uuid4().hex[:8]
    _seed(api, project)
    first, second = f"Def4ult-{uuid.uuid4().hex}", f"Def4ult-{uuid.uuid4().hex}"
    register_secret(first, second)
    base = f"/api/v1/projects/{project}/pipelines"

    def body(default: str) -> dict[str, Any]:
        return {
            "jenkinsfile": "echo hi",
            "parameters": [{"name": "PW", "type": "password", "default": default}],
        }

    assert api.post(base, {"name": "build", **body(first)}).status_code == 201
    _decrypt_everything(container, project)
    assert SECRETS.redact(first) == REDACTED
    assert api.put(f"{base}/build", body(second)).status_code == 200
    _decrypt_everything(container, project)
    assert SECRETS.redact(f"{first} {second}") == f"{first} {REDACTED}"
    assert api.delete(f"{base}/build").status_code in (200, 202, 204)
    assert SECRETS.redact(second) == second


def test_deleting_a_project_drops_its_values(api: ApiClient, container: Container) -> None:
    project = "p-" + uuid.uuid4().hex[:8]
    _seed(api, project)
    value = f"Pr0ject-{uuid.uuid4().hex}"
    register_secret(value)
    assert api.post(f"/api/v1/projects/{project}/credentials", _secret_text("c", value)).status_code == 201
    _decrypt_everything(container, project)
    assert SECRETS.redact(value) == REDACTED
    assert api.delete(f"/api/v1/projects/{project}").status_code in (200, 202, 204)
    assert SECRETS.redact(value) == value
