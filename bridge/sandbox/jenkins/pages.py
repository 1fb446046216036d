"""Response builders: JSON and XML as ``hudson.model.Api`` sends them, HTML pages, redirects, errors."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from typing import Any

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins import api, writers
from bridge.sandbox.jenkins.errors import (
    AccessDenied,
    AnonymousDenied,
    BadCredentials,
    DuplicateCredential,
    Failure,
    ItemForbidden,
    MethodNotAllowed,
    SandboxError,
)


class Exported(Response):
    """An exported model written as ``api/json``; ``model`` is kept so that ``api.serve`` can write the
    same model as ``api/python`` or ``api/xml`` (one export, three flavours)."""

    def __init__(self, data: Any, *, pretty: bool, status: int) -> None:
        body = writers.write_json(data, pretty=pretty)
        super().__init__(body, status=status, content_type=api.CONTENT_TYPES["json"], headers=api.API_HEADERS)
        self.model = data


def json_response(data: Any, *, pretty: bool = False, status: int = 200) -> Exported:
    """JSON as Stapler writes it (``JSONDataWriter``); on an ``api/…`` route, in the URL's flavour."""
    return Exported(data, pretty=pretty, status=status)


XSTREAM_DECLARATION = "<?xml version='1.1' encoding='UTF-8'?>\n"  # XmlFile.write (2.479.3)
TRANSFORM_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'  # JDK identity Transformer, no newline


def xml_response(root: ET.Element, *, declaration: bool = True, posted: bool = False) -> Response:
    """XML as the stored file holds it.

    Jenkins 2.479.3's ``AbstractItem.writeConfigDotXml`` copies ``config.xml`` from disk as is. A file
    Jenkins saved itself (``XmlFile.write``) starts with the single-quoted XML 1.1 declaration; a file
    stored from a client's XML (``createItem`` with a body, POST ``config.xml``: ``XMLUtils.safeTransform``)
    carries the JDK transformer's double-quoted 1.0 declaration with no line break (``posted``). Only from
    2.568 (SECURITY-3744) is GET re-serialised with ``XStream2.toXMLUTF8``'s double-quoted 1.1 declaration.
    """
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    if declaration:
        body = (TRANSFORM_DECLARATION if posted else XSTREAM_DECLARATION) + body
    return Response(body, content_type="application/xml;charset=utf-8")


def page(title: str, text: str = "", *, status: int = 200) -> Response:
    """A minimal HTML page, standing in for the Jelly views (clients only need the status)."""
    body = (
        f"<!DOCTYPE html><html><head><title>{html.escape(title)} [Jenkins]</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    return Response(body, status=status, content_type="text/html;charset=utf-8")


def empty(status: int = 200) -> Response:
    return Response(b"", status=status)


def redirect(location: str, status: int = 302) -> Response:
    return Response(b"", status=status, headers={"Location": location})


def header_safe(message: str) -> str:
    """Jetty writes header values as ISO-8859-1; other characters (typographic quotes) arrive as spaces."""
    return "".join(c if ord(c) < 256 and c.isprintable() else " " for c in message)


def error_response(error: SandboxError) -> Response:
    """Render an error the way Jenkins does for that kind of failure."""
    if isinstance(error, Failure):
        resp = page("Error", error.detail, status=400)
        resp.headers["X-Error"] = header_safe(error.detail)
        return resp
    if isinstance(error, BadCredentials):
        resp = page("Unauthorized", error.detail, status=401)
        resp.headers["WWW-Authenticate"] = 'Basic realm="Jenkins"'
        return resp
    if isinstance(error, AnonymousDenied):
        resp = page("Authentication required", "You are authenticated as: anonymous", status=403)
        return resp
    if isinstance(error, AccessDenied):
        resp = page("Access Denied", error.detail, status=403)
        resp.headers["X-You-Are-Authenticated-As"] = error.user_id
        resp.headers["X-You-Are-In-Group-Disabled"] = (
            "JENKINS-39402: use -Dhudson.security.AccessDeniedException2.REPORT_GROUP_HEADERS=true"
            " or use /whoAmI to diagnose"
        )
        resp.headers["X-Required-Permission"] = error.permission
        from bridge.sandbox.jenkins.acl import implied_by_chain

        implied = implied_by_chain(error.permission)[1:] or ["hudson.model.Hudson.Administer"]
        for permission in implied:
            resp.headers.add("X-Permission-Implied-By", permission)
        return resp
    if isinstance(error, ItemForbidden):
        return page("Access Denied", error.detail, status=403)
    if isinstance(error, DuplicateCredential):
        return empty(409)
    if isinstance(error, MethodNotAllowed):
        resp = page("Method Not Allowed", "This URL requires POST", status=405)
        resp.headers["Allow"] = "POST"
        return resp
    if error.status == 404:
        return page("Not Found", error.detail, status=404)
    if error.status >= 500:
        return page("Oops!", f"A problem occurred while processing the request: {error.detail}", status=500)
    return page(error.title, error.detail, status=error.status)
