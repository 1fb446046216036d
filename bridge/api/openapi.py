"""The OpenAPI 3.1 document, generated from the route registry and the pydantic models.

Pydantic emits JSON Schema 2020-12, the dialect of OpenAPI 3.1, so component schemas are used as they
come; only ``$ref``s are pointed at ``#/components/schemas``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from bridge import __version__
from bridge.api.auth import PUBLIC, is_signed
from bridge.api.registry import CONDITIONAL_METHODS, RULE_PARAM, Registry, Route

REF = "#/components/schemas/{model}"
ERROR_TEXT = {
    400: "Invalid request (per-field errors in `errors`)",
    401: "Missing or invalid bearer token",
    403: "Not allowed",
    404: "Not found",
    409: "Conflict (duplicate, still in use, or not synced yet)",
    412: "If-Match names a stale resource_version (or a weak tag, which never matches)",
    413: "Body too large",
    415: "Body is not JSON",
    429: "Too many deliveries from this address (see Retry-After)",
    502: "Jenkins answered in a way the bridge cannot use",
    503: "Jenkins cannot be reached now (see Retry-After)",
}


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None = None
    errors: list[dict[str, str]] | None = None


def build_document(registry: Registry) -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (Problem, "serialization")
    ]
    for r in registry.routes:
        models += [(m, "validation") for m in (r.request, r.query) if m is not None]
        if r.response is not None:
            models.append((r.response, "serialization"))
    unique = list(dict.fromkeys(models))
    refs, defs = models_json_schema(unique, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for r in registry.routes:
        path = RULE_PARAM.sub(r"{\1}", r.path)
        paths.setdefault(path, {})[r.method.lower()] = _operation(r, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "jenkins-bridge",
            "version": __version__,
            "description": "DevOps projects, pipelines and credentials, kept in step with Jenkins.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "webhookSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Hub-Signature-256",
                    "description": "The provider's signature of the raw body with the pipeline's webhook "
                    "secret (X-Hub-Signature-256, X-Gitea-Signature, X-Gogs-Signature, X-Hub-Signature "
                    "sha256 for Bitbucket) or GitLab's X-Gitlab-Token",
                },
            },
        },
    }


def _operation(r: Route, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": r.operation_id,
        "summary": r.summary,
        "tags": [r.tag],
        "x-permission": r.permission,
        "parameters": [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in r.path_params
        ],
    }
    if r.query is not None:
        schema = r.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            op["parameters"].append(
                {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            )
    if r.request is not None:
        op["requestBody"] = {
            "required": not r.body_optional,
            "content": {"application/json": {"schema": refs[(r.request, "validation")]}},
        }
    success: dict[str, Any] = {"description": "OK" if r.status < 300 else "Accepted"}
    if r.response is not None:
        success["content"] = {"application/json": {"schema": refs[(r.response, "serialization")]}}
    elif r.media_type is not None:
        success["content"] = {r.media_type: {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(r.status): success}
    errors = set(r.errors)
    if is_signed(r.permission):
        op["security"] = [{"webhookSignature": []}]
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
        errors |= {400, 401, 413, 429}
    elif r.permission != PUBLIC:
        op["security"] = [{"bearer": []}]
        errors |= {401, 403}
    if r.request is not None or r.query is not None:
        errors |= {400}
    if r.request is not None:
        errors |= {413, 415}
    if r.method in CONDITIONAL_METHODS:
        errors |= {412}
    problem = {"application/problem+json": {"schema": refs[(Problem, "serialization")]}}
    for code in sorted(errors):
        responses[str(code)] = {"description": ERROR_TEXT[code], "content": problem}
    op["responses"] = responses
    if not op["parameters"]:
        del op["parameters"]
    return op
