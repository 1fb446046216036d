"""Two workspaces with one project each, and users holding roles in only one of them.

``ada`` is admin of ``proj-a`` (through group ``team-a``), ``vera`` its viewer, ``wanda`` admin of
workspace ``ws-b``, ``nobody`` holds nothing. Tests import the ``tenants`` fixture from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from bridge.bootstrap import Container
from bridge.identity.token_store import TokenStore
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects"
W = "/api/v1/workspaces"


@dataclass
class Tenants:
    admin: ApiClient
    tokens: dict[str, str]
    app: Flask

    def as_(self, who: str) -> ApiClient:
        return ApiClient(self.app.test_client(), token=self.tokens[who])


@pytest.fixture
def tenants(api: ApiClient, app: Flask, container: Container) -> Tenants:
    for ws in ("ws-a", "ws-b"):
        assert api.post(W, {"name": ws}).status_code == 201
    for project, ws in (("proj-a", "ws-a"), ("proj-b", "ws-b")):
        assert api.post(P, {"name": project, "workspace": ws}).status_code == 201
        r = api.post(f"{P}/{project}/pipelines", {"name": "build", "jenkinsfile": "pipeline {}"})
        assert r.status_code == 201, r.json
    r = api.post(
        f"{P}/proj-b/credentials", {"id": "b-cred", "type": "secret-text", "data": {"secret": "b" * 20}}
    )
    assert r.status_code == 201, r.json
    register_secret("b" * 20)
    for member in (
        {"subject": "vera", "role": "viewer"},
        {"subject": "team-a", "kind": "group", "role": "admin"},
    ):
        assert api.post(f"{P}/proj-a/members", member).status_code == 200
    assert api.post(f"{P}/proj-b/members", {"subject": "bob", "role": "admin"}).status_code == 200
    assert api.post(f"{W}/ws-b/members", {"subject": "wanda", "role": "admin"}).status_code == 200
    store = TokenStore(container.store.engine)
    tokens = {}
    for user, groups in (("vera", ()), ("ada", ("team-a",)), ("wanda", ()), ("nobody", ())):
        tokens[user] = store.create(user=user, groups=groups, created_by="test").token
        register_secret(tokens[user])
    return Tenants(admin=api, tokens=tokens, app=app)
