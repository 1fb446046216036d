"""The WSGI application: filters in Jenkins' order, then dispatch through the route table.

Endpoint modules are listed in ``ROUTE_MODULES``; each defines ``register(routes)`` and may define
``on_start(services)`` / ``on_stop(services)`` (background threads).
"""

from __future__ import annotations

import importlib
import logging
import secrets
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from bridge.sandbox.jenkins import acl, api, pages
from bridge.sandbox.jenkins.context import Principal, RequestContext
from bridge.sandbox.jenkins.errors import AnonymousDenied, ItemForbidden, ItemNotFound, SandboxError
from bridge.sandbox.jenkins.faults import Faults
from bridge.sandbox.jenkins.model import SandboxState
from bridge.sandbox.jenkins.routing import Route, RouteTable, kind_of, resolve_item
from bridge.sandbox.jenkins.security import Sessions, authenticate

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

ROUTE_MODULES = (
    "root",
    "items",
    "credentials",
    "linter",
    # build side (pipeline engine)
    "builds",
    "queue",
    "logs",
    "wfapi",
    "inputs",
    "replay",
    "usertokens",
    "runactions",
)

MUTATING = frozenset({"POST", "PUT", "DELETE"})


def load_modules(names: Iterable[str] = ROUTE_MODULES) -> list[ModuleType]:
    return [importlib.import_module(f"bridge.sandbox.jenkins.{name}") for name in names]


class JenkinsApp:
    """One sandbox Jenkins as a WSGI callable (state shared with its ``SandboxJenkins``)."""

    def __init__(
        self,
        state: SandboxState,
        *,
        context_path: str,
        version: str,
        faults: Faults,
        services: dict[str, Any],
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.state = state
        self.context_path = context_path.rstrip("/")
        self.version = version
        self.faults = faults
        self.services = services
        self.on_change = on_change
        self.sessions = Sessions(state.instance_salt)
        self.session_hash = secrets.token_hex(4)  # X-Jenkins-Session: new at every (re)start
        self.unhandled_errors = 0
        self.routes = RouteTable()
        self.modules = load_modules()
        for module in self.modules:
            module.register(self.routes)
        services["sessions"] = self.sessions  # replaced at every (re)start

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        try:
            response = self._dispatch(request)
        except SandboxError as e:
            response = pages.error_response(e)
        except Exception:  # an emulator bug: never a traceback on the wire, but counted and logged
            self.unhandled_errors += 1
            log.exception("sandbox jenkins: unhandled error on %s %s", request.method, request.path)
            response = pages.page("Oops!", "A problem occurred while processing the request.", status=500)
        response.headers["X-Jenkins"] = self.version
        response.headers["X-Jenkins-Session"] = self.session_hash
        response.headers["X-Hudson"] = "1.395"
        return response

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        if self.context_path:
            if path != self.context_path and not path.startswith(self.context_path + "/"):
                return pages.page("Not Found", status=404)
            path = path[len(self.context_path) :]
        rel = path.lstrip("/")
        injected = self.faults.before_request(rel, request.method)
        if injected is not None:
            fault = pages.page("Service Unavailable", "injected fault", status=injected.status)
            if injected.retry_after is not None:
                fault.headers["Retry-After"] = str(injected.retry_after)
            return fault

        principal = authenticate(request, self.state)
        route: Route | None = None
        groups: dict[str, str] = {}
        failure: SandboxError | None = None
        with self.state.lock:
            try:
                item, rest = resolve_item(self.state.root, rel)
                route, groups = self.routes.select(kind_of(item), rest, request.method)
            except SandboxError as e:
                failure = e
        if route is None or route.crumb:
            self.sessions.check_crumb(request, principal)
        if principal.is_anonymous and (route is None or not route.anonymous):
            raise AnonymousDenied()
        if failure is not None:
            raise failure
        assert route is not None
        ctx = self._context(request, principal, item, rest)
        with self.state.lock:
            _check_visible(ctx)
        response = route.handler(ctx, groups)
        if route.exported:
            response = self._flavour(request, rest, response)
        if self.on_change and request.method in MUTATING and response.status_code < 400:
            self.on_change()
        return response

    def _flavour(self, request: Request, rest: str, response: Response) -> Response:
        """``api/python``, ``api/xml``, ``?pretty`` and ``?jsonp`` from the one exported model."""
        flavour = api.flavour_of(rest)
        if flavour is None or response.status_code >= 300:
            return response
        if not isinstance(response, pages.Exported):
            raise TypeError(f"the api/json route for {rest} does not answer with pages.json_response")
        args = request.args
        if flavour == "json" and "pretty" not in args and "jsonp" not in args:
            return response
        properties = self.services.get("system_properties") or {}
        served = api.serve(request, response.model, flavour, properties)
        for name, value in response.headers.items():  # what the handler set (a session cookie...)
            if name.lower() not in ("content-type", "content-length") and name not in served.headers:
                served.headers.add(name, value)
        return served

    def _context(self, request: Request, principal: Principal, item: Any, rest: str) -> RequestContext:
        return RequestContext(
            request=request,
            state=self.state,
            principal=principal,
            item=item,
            rest=rest,
            host_url=_host_url(request.environ),
            context_path=self.context_path,
            version=self.version,
            services=self.services,
        )


def _check_visible(ctx: RequestContext) -> None:
    """``Jenkins.getItem`` / ``AbstractFolder.getItem`` on every segment: without Job/Read an item does
    not exist (404); with Job/Discover only it is a 403 "Please log in to access …" (§2.4)."""
    chain = [ctx.item, *ctx.item.ancestors()]
    for item in reversed(chain):
        if item.parent is None or acl.visible(ctx.state, ctx.identity, item):
            continue
        if acl.discoverable(ctx.state, ctx.identity, item):
            top = item.parent.is_root
            text = (
                f"Please login to access job {item.name}" if top else f"Please log in to access {item.name}"
            )
            raise ItemForbidden(text)
        raise ItemNotFound()


def _host_url(environ: WSGIEnvironment) -> str:
    """``scheme://host[:port]`` as the client addressed us (what Stapler makes redirects absolute with)."""
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ['wsgi.url_scheme']}://{host}"
