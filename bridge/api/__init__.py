"""The HTTP API: ``/api/v1`` resources, health endpoints and the OpenAPI document.

``install_api(app)`` merges every routes module's registry into one, installs it, and builds the
OpenAPI document once from that same registry (``install.py``). Importing this package loads nothing
else, so a command that only needs the request models (``apply -f``) does not load Flask and every route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from bridge.api.registry import Registry


def build_registry() -> Registry:
    from bridge.api.install import build_registry as build

    return build()


def install_api(app: Flask) -> Registry:
    from bridge.api.install import install_api as install

    return install(app)
