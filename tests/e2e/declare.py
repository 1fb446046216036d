"""A sample project declared through the API: every credential type and both pipeline definitions."""

from __future__ import annotations

from typing import Any

from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects"
CREDENTIALS: dict[str, tuple[str, dict[str, str]]] = {
    "git": ("basic-auth", {"username": "bot", "password": "e2e-pw-basic-1"}),
    "token": ("secret-text", {"secret": "e2e-secret-text-2"}),
    "ssh": (
        "ssh-auth",
        {"username": "git", "private_key": "-----BEGIN e2e KEY-----", "passphrase": "e2e-passphrase-3"},
    ),
    "file": ("secret-file", {"filename": "f.txt", "content": "e2e-file-content-4"}),
    "rohan": ("kubeconfig", {"content": "apiVersion: v1 # e2e-kube-5"}),
}
PASSWORD_DEFAULT = "e2e-pw-param-6"
SECRETS = [
    v for _, data in CREDENTIALS.values() for k, v in data.items() if k not in ("username", "filename")
] + [PASSWORD_DEFAULT]
JENKINSFILE = "pipeline { agent any\n stages { stage('a') {\n steps { echo \"</script> & ]]> done\" } } } }"
BUILD: dict[str, Any] = {
    "name": "build",
    "description": "builds & tests",
    "jenkinsfile": JENKINSFILE,
    "parameters": [
        {"name": "TAG", "default": "latest", "description": "image tag"},
        {"name": "ENV", "type": "choice", "choices": ["dev", "prod"]},
        {"name": "DRY", "type": "boolean", "default": True},
        {"name": "NOTES", "type": "text", "default": "line 1\nline 2"},
        {"name": "DEPLOY_PW", "type": "password", "default": PASSWORD_DEFAULT},
    ],
    "discarder": {"days": 7, "builds": 20},
    "concurrent": False,
    "cron": "H 2 * * *",
}
APP: dict[str, Any] = {
    "name": "app",
    "scm": {
        "url": "https://git.example.com/o/app.git",
        "branch": "release",
        "credential": "git",
        "script_path": "ci/Jenkinsfile",
    },
}


def declare(api: ApiClient, project: str = "demo") -> None:
    register_secret(*SECRETS)
    if api.get("/api/v1/workspaces/ws").status_code == 404:
        assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    r = api.post(P, {"name": project, "workspace": "ws", "description": "Demo & <friends>"})
    assert r.status_code == 201, r.json
    for cid, (kind, data) in CREDENTIALS.items():
        r = api.post(f"{P}/{project}/credentials", {"id": cid, "type": kind, "data": data})
        assert r.status_code == 201, r.json
    for body in (BUILD, APP):
        r = api.post(f"{P}/{project}/pipelines", body)
        assert r.status_code == 201, r.json
