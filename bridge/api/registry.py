"""A small route registry: each route declares method, path, permission, request/query/response models
and status in one decorator. The registry installs the Flask rules, runs authentication and
authorisation for every route in one place (``bridge.api.auth``), parses and validates the request,
shapes the response, and is the single source of the OpenAPI document (``bridge.api.openapi``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from flask import Flask, Response, current_app, g, request
from pydantic import BaseModel
from werkzeug.routing import BaseConverter

from bridge.api import auditing, auth
from bridge.api.body import parsed_body
from bridge.bootstrap import Container
from bridge.errors import InvalidRequest, PreconditionFailed
from bridge.identity.principal import Principal
from bridge.services.pipelines import RESERVED_NAMES
from bridge.store.engine import observing

View = Callable[..., BaseModel | tuple[BaseModel, int] | Response | None]
F = TypeVar("F", bound=View)
M = TypeVar("M", bound=BaseModel)

#: A Flask rule variable, with an optional converter: ``<project>``, ``<any(user,group):kind>``.
RULE_PARAM = re.compile(r"<(?:[^<>:]+:)?(\w+)>")
_ETAG = re.compile(r'(W/)?"?(\d{1,18})"?')
#: Methods whose ``If-Match`` is evaluated. On GET/HEAD (and POST, which creates) it is ignored:
#: a malformed or stale header must not turn a read into an error.
CONDITIONAL_METHODS = frozenset({"PUT", "PATCH", "DELETE"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ItemName(BaseConverter):
    """``<item:pipeline>``: one path segment that is not a reserved name, so ``…/pipelines/validate`` is the
    action only (its ``Allow`` lists POST alone) and never also the item ``validate``."""

    regex = "(?!(?:" + "|".join(sorted(RESERVED_NAMES)) + r")$)[^/]+"
    part_isolating = True


@dataclass(frozen=True)
class Route:
    method: str
    #: Flask rule: ``/api/v1/projects/<project>``.
    path: str
    #: None: the route is answered before Flask (``bridge.api.receiver``) and only documented here.
    view: View | None
    permission: str
    summary: str
    tag: str
    request: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    #: The body may be left out (an empty body is the request model with its defaults).
    body_optional: bool = False
    #: What a successful answer is, when it is not the JSON ``response`` model (a log, an event stream):
    #: the view then returns the Flask ``Response`` itself.
    media_type: str | None = None
    #: The OpenAPI ``operationId`` of a route without a view.
    operation: str | None = None

    @property
    def path_params(self) -> list[str]:
        return RULE_PARAM.findall(self.path)

    @property
    def operation_id(self) -> str:
        return self.view.__name__ if self.view is not None else str(self.operation)

    @property
    def endpoint(self) -> str:
        return f"{self.tag}.{self.operation_id}"


@dataclass(frozen=True)
class Call:
    """What a view receives besides path parameters."""

    container: Container
    principal: Principal
    body: BaseModel | None
    query: BaseModel | None
    #: From ``If-Match``: the ``resource_version`` the client last read, if it sent one.
    expected_version: int | None

    def body_as(self, model: type[M]) -> M:
        assert isinstance(self.body, model)
        return self.body

    def query_as(self, model: type[M]) -> M:
        assert isinstance(self.query, model)
        return self.query


@dataclass
class Registry:
    routes: list[Route] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        permission: str,
        summary: str,
        tag: str,
        request: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        body_optional: bool = False,
        media_type: str | None = None,
    ) -> Callable[[F], F]:
        def decorate(view: F) -> F:
            self.routes.append(
                Route(
                    method=method.upper(),
                    path=path,
                    view=view,
                    permission=permission,
                    summary=summary,
                    tag=tag,
                    request=request,
                    query=query,
                    response=response,
                    status=status,
                    errors=errors,
                    body_optional=body_optional,
                    media_type=media_type,
                )
            )
            return view

        return decorate

    def documented(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        permission: str,
        summary: str,
        tag: str,
        response: type[BaseModel],
        status: int,
        errors: tuple[int, ...] = (),
    ) -> None:
        """A route answered outside Flask (``bridge.api.receiver``): documented, not installed."""
        self.routes.append(
            Route(
                method=method.upper(),
                path=path,
                view=None,
                operation=operation,
                permission=permission,
                summary=summary,
                tag=tag,
                response=response,
                status=status,
                errors=errors,
            )
        )

    def install(self, app: Flask) -> None:
        auth.install(app)
        app.url_map.converters.setdefault("item", ItemName)
        for route in self.routes:
            if route.view is None:
                continue
            app.add_url_rule(
                route.path, endpoint=route.endpoint, view_func=_handler(route), methods=[route.method]
            )


def _handler(route: Route) -> Callable[..., Response]:
    view = route.view
    assert view is not None, "documented-only routes are not installed"

    def handle(**params: str) -> Response:
        container: Container = current_app.extensions["bridge"]
        principal = auth.authenticate(request, container, route.permission)
        auth.authorize(container, principal, route.permission, params, body=route.request)
        g.principal = principal
        call = Call(
            container=container,
            principal=principal,
            body=parsed_body(route.request, optional=route.body_optional) if route.request else None,
            query=route.query.model_validate(request.args.to_dict()) if route.query else None,
            expected_version=_if_match() if route.method in CONDITIONAL_METHODS else None,
        )
        if route.method in SAFE_METHODS or auth.is_signed(route.permission):
            # deliveries are not users' writes: their own table is their record (no audit entry)
            result = view(call, **params)
        else:  # the success entry commits with the change (bridge.api.auditing)
            with observing(auditing.recorder(request, principal, status=route.status)):
                result = view(call, **params)
        if isinstance(result, Response):  # a text or streamed answer shaped by the view
            return result
        status = route.status
        if isinstance(result, tuple):  # a view whose status depends on the outcome (readiness)
            result, status = result
        if result is None:
            return Response(status=status)
        response = Response(
            json.dumps(result.model_dump(mode="json", by_alias=True), ensure_ascii=False),
            status=status,
            mimetype="application/json",
        )
        version = getattr(result, "resource_version", None)
        if isinstance(version, int):
            response.headers["ETag"] = f'"{version}"'
        return response

    handle.__name__ = route.endpoint
    return handle


def _if_match() -> int | None:
    """The version ``If-Match`` names. It uses strong comparison (RFC 9110 §13.1.1), and a weak tag
    (``W/"3"``) never matches strongly: 412 whatever the current version."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    m = _ETAG.fullmatch(header.strip())
    if not m:
        raise InvalidRequest("If-Match must be a resource_version as returned in the ETag header")
    if m.group(1):
        raise PreconditionFailed(
            "If-Match uses strong comparison and a weak entity tag never matches; send the ETag as returned"
        )
    return int(m.group(2))
