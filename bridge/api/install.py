"""Every routes module merged into one registry, installed on the Flask app with the OpenAPI document.

``install_api(app)`` merges every routes module's registry into one, installs it, and builds the
OpenAPI document once from that same registry.
"""

from __future__ import annotations

from flask import Flask

from bridge.api.openapi import build_document
from bridge.api.problems import register_error_handlers
from bridge.api.registry import Registry
from bridge.api.routes import (
    approvals,
    audit,
    clusters,
    credentials,
    members,
    pipelines,
    projects,
    resync,
    run_logs,
    runs,
    status,
    webhooks,
    workspaces,
)

MODULES = (
    workspaces,
    projects,
    credentials,
    pipelines,
    runs,
    approvals,
    run_logs,
    status,
    resync,
    members,
    audit,
    clusters,
    webhooks,
)


def build_registry() -> Registry:
    return Registry(routes=[r for m in MODULES for r in m.routes.routes])


def install_api(app: Flask) -> Registry:
    registry = build_registry()
    registry.install(app)
    register_error_handlers(app)
    app.extensions["bridge.registry"] = registry
    app.extensions["bridge.openapi"] = build_document(registry)
    return registry
