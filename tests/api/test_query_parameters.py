"""Query strings: unknown parameters (cache busters) are ignored, known ones still validated."""

from __future__ import annotations

import pytest

from bridge.api.schemas.members import AuditQueryIn
from bridge.api.schemas.projects import ProjectQuery
from tests.fixtures.app import ApiClient


@pytest.mark.parametrize("path", ["/api/v1/projects", "/api/v1/audit"])
def test_cache_buster_is_ignored(api: ApiClient, path: str) -> None:
    plain = api.get(path)
    busted = api.get(path + "?_=1712345678901")
    assert plain.status_code == busted.status_code == 200
    assert busted.json == plain.json


def test_known_parameters_still_filter_next_to_unknown_ones(api: ApiClient) -> None:
    assert api.post("/api/v1/workspaces", {"name": "ws", "clusters": ["host"]}).status_code == 201
    assert (
        api.post("/api/v1/projects", {"name": "demo", "workspace": "ws", "cluster": "host"}).status_code
        == 201
    )
    assert len(api.get("/api/v1/projects?workspace=ws&_=1").json["items"]) == 1
    assert api.get("/api/v1/projects?workspace=other&_=1").json["items"] == []


@pytest.mark.parametrize(
    "query", ["limit=0&_=1", "limit=abc", "since=12345&_=x", "before=-1", "user=" + "u" * 300]
)
def test_known_parameters_are_still_validated(api: ApiClient, query: str) -> None:
    r = api.get("/api/v1/audit?" + query)
    assert r.status_code == 400


def test_query_models_ignore_unknown_fields() -> None:
    assert ProjectQuery.model_validate({"_": "1", "workspace": "ws"}).workspace == "ws"
    assert AuditQueryIn.model_validate({"callback": "x"}).limit == 100
    assert "_" not in ProjectQuery.model_validate({"_": "1"}).model_dump()
