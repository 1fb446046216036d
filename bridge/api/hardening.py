"""Request size limit and security headers, for every response of the app.

The bridge serves JSON only, so the content security policy forbids everything; no response may be
framed or sniffed into another type, and API responses are never cached (they may describe secrets'
existence and carry per-user views).
"""

from __future__ import annotations

from flask import Flask, Response, request

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def install(app: Flask) -> None:
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        container = app.extensions.get("bridge")
        settings = getattr(container, "settings", None)
        app.config["MAX_CONTENT_LENGTH"] = settings.api.max_body_bytes if settings else 1024 * 1024

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in security_headers(secure=request.is_secure):
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def security_headers(*, secure: bool) -> list[tuple[str, str]]:
    """What every response carries (also the receiver's, answered outside Flask)."""
    out = list(HEADERS.items())
    if secure:
        out.append(("Strict-Transport-Security", "max-age=31536000"))
    return out
