"""The request body, read once: one content-type rule, one JSON parse, one validated model per request.

Authorisation (``bridge.api.auth``) and the view read the same object: a route that places a project
into a workspace is authorised on the ``workspace`` of the very model the view then applies, so no
content type, encoding or shape can make the check see one body and the view another. A body that
cannot be read is refused (415 or 400) before anything is decided on it.
"""

from __future__ import annotations

import json
from typing import TypeVar

from flask import g, request
from pydantic import BaseModel
from werkzeug.exceptions import UnsupportedMediaType

from bridge.errors import InvalidRequest

M = TypeVar("M", bound=BaseModel)

#: The JSON media types the API reads: ``application/json`` and structured-syntax ``application/*+json``
#: (RFC 6839), e.g. ``application/merge-patch+json``. ``text/plain+json`` and the like are not JSON.
JSON_TYPE = "application/json"


def is_json_type(mimetype: str) -> bool:
    """The one content-type rule of the API (also werkzeug's ``Request.is_json``)."""
    mimetype = mimetype.lower()
    return mimetype == JSON_TYPE or (mimetype.startswith("application/") and mimetype.endswith("+json"))


def parsed_body(model: type[M], *, optional: bool = False) -> M:
    """The request body validated as ``model``; parsed on the first call, the same object afterwards.

    ``optional``: no body at all (no ``Content-Length``, or 0, and not chunked) is ``model()``."""
    cached = getattr(g, "bridge_body", None)
    if isinstance(cached, model):
        return cached
    if (
        optional
        and not request.content_length
        and "chunked" not in request.headers.get("Transfer-Encoding", "")
    ):
        body = model()
        g.bridge_body = body
        return body
    if not is_json_type(request.mimetype):
        raise UnsupportedMediaType(
            f"send the body as application/json (got {request.mimetype or 'nothing'!r})"
        )
    raw = request.get_data(cache=False)  # over max_content_length: 413 from werkzeug
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError, too deep, huge ints
        raise InvalidRequest(f"the body is not valid JSON: {type(e).__name__}") from None
    if not isinstance(document, dict):
        raise InvalidRequest("the body must be a JSON object")
    body = model.model_validate(document)
    g.bridge_body = body
    return body
