"""The Flask application factory. Importing this module does nothing; ``create_app`` builds it all.

``create_app()`` with no arguments reads settings from the environment and builds the container
(store opened and migrated); tests pass their own ``settings`` or a ready ``container``.
"""

from __future__ import annotations

import os

from flask import Flask, Response, g, request

from bridge.bootstrap import Container, build_container
from bridge.log import REQUEST_ID
from bridge.settings import Settings


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    if container is None:
        container = build_container(settings or Settings.load(os.environ))
    settings = container.settings
    app = Flask("bridge")
    app.config["MAX_CONTENT_LENGTH"] = settings.api.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = False  # console clients add trailing slashes
    app.extensions["bridge"] = container
    from bridge.api.receiver import Receiver

    # push deliveries are answered before Flask (bridge.api.receiver); everything else goes on to it
    if container.webhooks is not None:
        app.wsgi_app = Receiver(  # type: ignore[method-assign]
            container.webhooks,
            settings.webhooks,
            app.wsgi_app,
            access_log=settings.log.requests,
            metrics=container.metrics,
        )
    if settings.api.trusted_proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.api.trusted_proxy_hops  # the client address of audit entries, and https
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from bridge.api import install_api
    from bridge.api.access import request_id

    install_api(app)
    from bridge.api import telemetry

    telemetry.install(app, access_log=settings.log.requests)

    @app.before_request
    def _request_id() -> None:
        # the caller's when well-formed (one rule, in ``access``), else a fresh one; bound for logging
        g.request_id_binding = REQUEST_ID.set(request_id(request))

    @app.teardown_request
    def _unbind_request_id(_error: BaseException | None) -> None:
        binding = g.pop("request_id_binding", None)
        if binding is not None:
            REQUEST_ID.reset(binding)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["X-Request-Id"] = getattr(g, "request_id", "")
        return response  # security headers and caching: bridge.api.hardening

    return app
