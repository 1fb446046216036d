"""``hudson.model.Api``: every object that serves ``api/json`` also serves ``api/python`` and ``api/xml``.

A route registered for ``…/api/json`` matches the three flavours (``routing.RouteTable``); its handler
exports the bean once (``pages.json_response``) and ``serve`` writes that model in the flavour the URL
names, with Stapler's content types and ``Api.setHeaders``' headers:

* ``api/json``: ``?jsonp=f`` is 403 "jsonp forbidden…" unless a ``SecureRequester`` permits it, then
  ``f(…)`` as ``text/javascript``;
* ``?pretty`` (any value, ``req.hasParameter``) indents JSON and Python; XML is never indented;
* ``api/xml`` with ``xpath``/``exclude``/``wrapper``: ``apixml.select``.

The only ``SecureRequester`` is Jenkins' default: it permits when security is off (never, here) or with
the system property ``hudson.model.Api.INSECURE=true``.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.wrappers import Request, Response

from bridge.sandbox.jenkins import apixml, writers
from bridge.sandbox.jenkins.errors import Forbidden

FLAVOUR_RE = re.compile(r"(?:^|/)api/(json|python|xml)\Z")
INSECURE = "hudson.model.Api.INSECURE"

CONTENT_TYPES = {
    "json": "application/json;charset=UTF-8",
    "jsonp": "text/javascript;charset=UTF-8",
    "python": "text/x-python;charset=UTF-8",
    "xml": "application/xml;charset=UTF-8",
    "text": "text/plain;charset=UTF-8",
}
PRIMITIVE_FORBIDDEN = "primitive XPath result sets forbidden; implement jenkins.security.SecureRequester"
JSONP_FORBIDDEN = "jsonp forbidden; implement jenkins.security.SecureRequester"
API_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "deny"}


def flavour_of(rest: str) -> str | None:
    """``json``, ``python`` or ``xml`` when the path below the item is an ``api/…`` export."""
    m = FLAVOUR_RE.search(rest.rstrip("/"))
    return m.group(1) if m else None


def permit(system_properties: dict[str, str]) -> bool:
    """``SecureRequester$Default.permit``: ``SystemProperties.getBoolean(INSECURE)``."""
    return system_properties.get(INSECURE, "").strip().lower() == "true"


def response(body: str, kind: str, status: int = 200) -> Response:
    """``kind`` names the content type; ``none``: a servlet body written without one (no header)."""
    resp = Response(body, status=status, content_type=CONTENT_TYPES.get(kind), headers=API_HEADERS)
    if kind == "none":
        del resp.headers["Content-Type"]
    return resp


def serve(request: Request, data: Any, flavour: str, system_properties: dict[str, str]) -> Response:
    """Write one exported model as the requested flavour (``Api.doJson``/``doPython``/``doXml``)."""
    args = request.args
    pretty = "pretty" in args
    if flavour == "python":
        return response(writers.write_python(data, pretty=pretty), "python")
    if flavour == "xml":
        excludes = args.getlist("exclude")
        xpath = args.get("xpath")
        if xpath is None and not excludes:
            return response(writers.write_xml(data), "xml")
        result = apixml.select(writers.write_xml(data), xpath, excludes, args.get("wrapper"))
        if result.primitive and not permit(system_properties):
            raise Forbidden(PRIMITIVE_FORBIDDEN)
        return response(result.body, result.kind, result.status)
    pad = args.get("jsonp")
    if pad is None:
        return response(writers.write_json(data, pretty=pretty), "json")
    if not permit(system_properties):
        raise Forbidden(JSONP_FORBIDDEN)
    return response(f"{pad}({writers.write_json(data, pretty=pretty)})", "jsonp")
