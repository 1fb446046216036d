"""Password parameters: the default is secret — never returned, sealed at rest, never logged, kept
across updates that cannot send it back, and handed to the reconciler in clear."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bridge.bootstrap import Container
from bridge.domain.model import Parameter, ParameterType
from bridge.store.tables import pipelines
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

P = "/api/v1/projects/demo/pipelines"
SECRET = "pw-default-S3cr3t-9f2c"
OTHER = "pw-default-Other-77aa"


def _body(default: Any = SECRET) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {"name": "TAG", "default": "latest"},
        {"name": "DEPLOY_PW", "type": "password", "description": "deploy password"},
    ]
    if default is not ...:
        parameters[1]["default"] = default
    return {"name": "build", "jenkinsfile": "echo hi", "parameters": parameters}


def _seed(api: ApiClient) -> None:
    register_secret(SECRET, OTHER)
    assert api.post("/api/v1/workspaces", {"name": "ws"}).status_code == 201
    assert api.post("/api/v1/projects", {"name": "demo", "workspace": "ws"}).status_code == 201


def _stored_default(container: Container) -> str | bool | None:
    # what the store hands the reconciler (desired.pipelines holds this one back: Jenkins is unreachable
    # here, so its Jenkinsfile is not validated yet)
    pipeline = container.pipelines.get("demo", "build").obj
    return {p.name: p.default for p in pipeline.parameters}["DEPLOY_PW"]


def test_the_default_is_never_returned(api: ApiClient) -> None:
    _seed(api)
    created = api.post(P, _body())
    assert created.status_code == 201
    params = {p["name"]: p for p in created.json["parameters"]}
    assert params["DEPLOY_PW"]["default"] is None and params["DEPLOY_PW"]["default_set"] is True
    assert params["TAG"]["default"] == "latest" and params["TAG"]["default_set"] is True
    api.get(P)
    api.get(f"{P}/build")
    api.patch(f"{P}/build", {"description": "changed"})
    api.put(f"{P}/build", {k: v for k, v in _body().items() if k != "name"})
    assert len(api.responses) >= 7
    for response in api.responses:
        assert SECRET not in response.get_data(as_text=True)


def test_the_default_is_sealed_at_rest(api: ApiClient, container: Container) -> None:
    _seed(api)
    api.post(P, _body())
    with container.store.engine.connect() as conn:
        spec = conn.execute(select(pipelines.c.spec)).scalar_one()
    raw = json.dumps(spec)
    assert SECRET not in raw
    (password,) = [p for p in spec["parameters"] if p["type"] == "password"]
    assert password["default"] is None and password["sealed_default"].startswith("gAAAA")  # a Fernet token
    assert _stored_default(container) == SECRET  # the reconciler gets it in clear


def test_updates_keep_the_default_unless_it_is_replaced_or_cleared(
    api: ApiClient, container: Container
) -> None:
    _seed(api)
    api.post(P, _body())
    parameters = api.get(f"{P}/build").json["parameters"]
    sent_back = [{k: v for k, v in p.items() if k != "default_set"} for p in parameters]
    assert api.patch(f"{P}/build", {"parameters": sent_back}).status_code == 200  # default null: kept
    assert _stored_default(container) == SECRET
    without = _body(default=...)["parameters"]
    assert api.patch(f"{P}/build", {"parameters": without}).status_code == 200  # omitted: kept
    assert _stored_default(container) == SECRET
    assert api.patch(f"{P}/build", {"parameters": _body(OTHER)["parameters"]}).status_code == 200
    assert _stored_default(container) == OTHER
    r = api.patch(f"{P}/build", {"parameters": _body("")["parameters"]})
    assert (
        r.status_code == 200
        and {p["name"]: p for p in r.json["parameters"]}["DEPLOY_PW"]["default_set"] is False
    )
    assert _stored_default(container) == ""


def test_a_renamed_or_retyped_parameter_does_not_inherit_the_secret(
    api: ApiClient, container: Container
) -> None:
    _seed(api)
    api.post(P, _body())
    renamed = [{"name": "OTHER_PW", "type": "password"}]
    api.patch(f"{P}/build", {"parameters": renamed})
    pipeline = container.pipelines.get("demo", "build").obj
    assert pipeline.parameters[0].default is None
    api.patch(f"{P}/build", {"parameters": _body()["parameters"]})
    retyped = [{"name": "DEPLOY_PW", "type": "string"}]
    api.patch(f"{P}/build", {"parameters": retyped})
    pipeline = container.pipelines.get("demo", "build").obj
    assert pipeline.parameters[0].default is None


def test_repr_masks_the_default() -> None:
    secret = Parameter(name="PW", type=ParameterType.PASSWORD, default=SECRET)
    plain = Parameter(name="TAG", default="latest")
    assert SECRET not in repr(secret) and "***" in repr(secret)
    assert "latest" in repr(plain)
