"""The WSGI application: authentication as SonarQube does it, the endpoints, the error envelope.

Authentication (``UserSessionInitializer`` / ``BasicAuthentication``): a user token as the Basic user with
an empty password, or ``Authorization: Bearer <token>``; anything else on ``/api/*`` (no credentials with
"force user authentication" on, an unknown token) is 401 with an empty body. Errors are
``{"errors":[{"msg": ...}]}`` with 400, 403 or 404.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from bridge.sandbox.sonarqube import shapes
from bridge.sandbox.sonarqube.metrics import METRICS
from bridge.sandbox.sonarqube.state import Account, Analysis, SonarState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

VERSION = "2025.1.0.102418"
MAX_PAGE_SIZE = 500


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _required(req: Request, name: str, *aliases: str) -> str:
    for key in (name, *aliases):
        value = req.values.get(key)
        if value:
            return value
    raise ApiError(400, f"The '{name}' parameter is missing")


def _token_of(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user if not password else None  # login + password users are not modelled


class SonarApp:
    def __init__(self, state: SonarState) -> None:
        self.state = state
        self.requests: list[str] = []  # "METHOD path", for tests counting calls
        self.routes: dict[tuple[str, str], Callable[[Request, Account], Response]] = {
            ("POST", "/api/ce/submit"): self.submit,
            ("GET", "/api/ce/task"): self.task,
            ("GET", "/api/qualitygates/project_status"): self.project_status,
            ("GET", "/api/measures/component"): self.measures,
            ("GET", "/api/issues/search"): self.issues,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        req = Request(environ)
        self.requests.append(f"{req.method} {req.path}")
        return self.dispatch(req)(environ, start_response)

    def dispatch(self, req: Request) -> Response:
        if req.path == "/api/server/version":
            return Response(VERSION, content_type="text/plain")
        account = self.state.tokens.get(_token_of(req.headers.get("Authorization", "")) or "")
        if req.path.startswith("/api/") and account is None:
            return Response(b"", status=401)
        handler = self.routes.get((req.method, req.path))
        try:
            if handler is None or account is None:
                if any(path == req.path for _, path in self.routes):
                    raise ApiError(405, f"HTTP method {req.method} is not supported")
                raise ApiError(404, f"Unknown url : {req.path}")
            self.state.settle()
            with self.state.lock:
                return handler(req, account)
        except ApiError as e:
            return _json({"errors": [{"msg": e.message}]}, e.status)

    # -- endpoints ---------------------------------------------------------------------------------
    def submit(self, req: Request, account: Account) -> Response:
        key = _required(req, "projectKey")
        task = self.state.submit(key, req.values.get("projectName") or key, account.login)
        return _json({"taskId": task.id, "projectId": task.project.uuid})

    def task(self, req: Request, account: Account) -> Response:
        task_id = _required(req, "id")
        task = self.state.tasks.get(task_id)
        if task is None:
            raise ApiError(404, f"No activity found for task '{task_id}'")
        return _json(shapes.task(task, self.state.clock()))

    def _browse(self, account: Account) -> None:
        if not account.browse:
            raise ApiError(403, "Insufficient privileges")

    def project_status(self, req: Request, account: Account) -> Response:
        given = {k: req.values[k] for k in ("analysisId", "projectId", "projectKey") if req.values.get(k)}
        if len(given) != 1:
            raise ApiError(400, "Either 'analysisId', 'projectId' or 'projectKey' must be provided")
        if req.values.get("branch") and req.values.get("pullRequest"):
            raise ApiError(400, "Either 'branch' or 'pullRequest' can be provided, not both")
        analysis: Analysis | None
        if "analysisId" in given:
            analysis = self.state.analyses.get(given["analysisId"])
            if analysis is None:
                raise ApiError(404, f"Analysis with id '{given['analysisId']}' is not found")
        else:
            key = given.get("projectKey") or next(
                (p.key for p in self.state.projects.values() if p.uuid == given["projectId"]), ""
            )
            if key not in self.state.projects:
                raise ApiError(404, f"Project '{given.popitem()[1]}' not found")
            analysis = self.state.latest.get(key)
            if analysis is None:
                self._browse(account)
                return _json(
                    {"projectStatus": {"status": "NONE", "ignoredConditions": False, "conditions": []}}
                )
        self._browse(account)
        return _json(shapes.project_status(analysis))

    def _current(self, key: str) -> Analysis:
        analysis = self.state.latest.get(key)
        if analysis is None:
            raise ApiError(404, f"Component key '{key}' not found")
        return analysis

    def measures(self, req: Request, account: Account) -> Response:
        key = _required(req, "component")
        keys = [k.strip() for k in _required(req, "metricKeys").split(",") if k.strip()]
        unknown = [k for k in keys if k not in METRICS]
        if unknown:
            raise ApiError(404, f"The following metric keys are not found: {', '.join(unknown)}")
        analysis = self._current(key)
        self._browse(account)
        additional = {f.strip() for f in (req.values.get("additionalFields") or "").split(",")}
        return _json(shapes.measures(analysis, keys, additional))

    def issues(self, req: Request, account: Account) -> Response:
        page, size = _int(req, "p", 1), _int(req, "ps", 100)
        if size > MAX_PAGE_SIZE:
            raise ApiError(400, f"'ps' value ({size}) must be less than {MAX_PAGE_SIZE}")
        if page < 1 or size < 1:
            raise ApiError(400, "'p' and 'ps' must be greater than 0")
        self._browse(account)
        wanted = req.values.get("components") or req.values.get("componentKeys") or ""
        keys = [k for k in wanted.split(",") if k] or list(self.state.latest)
        types = set(_csv(req, "types") or shapes.TYPES)
        severities = set(_csv(req, "severities") or shapes.SEVERITIES)
        if req.values.get("resolved") == "true":
            found: list[tuple[Analysis, Any]] = []  # the sandbox never resolves issues
        else:
            found = [
                (a, i)
                for a in (self.state.latest[k] for k in keys if k in self.state.latest)
                for i in a.profile.issues
                if i.type in types and i.severity in severities
            ]
        sort = req.values.get("s")
        if sort == "FILE_LINE":
            found.sort(key=lambda ai: (ai[1].path, ai[1].line), reverse=req.values.get("asc") == "false")
        elif sort == "SEVERITY":
            found.sort(
                key=lambda ai: shapes.SEVERITIES.index(ai[1].severity),
                reverse=req.values.get("asc") == "false",
            )
        shown = found[(page - 1) * size : page * size]
        issues = [shapes.issue(a, i, _issue_key(a, i)) for a, i in shown]
        paths = dict.fromkeys((a.project.key, i.path) for a, i in shown)
        components = [shapes.file_component(k, p) for k, p in paths]
        projects = {a.project.key: a.project for a, _ in shown}
        components += [
            {"key": p.key, "enabled": True, "qualifier": "TRK", "name": p.name, "longName": p.name}
            for p in projects.values()
        ]
        fields = set(_csv(req, "additionalFields"))
        body: dict[str, Any] = {
            "total": len(found),
            "p": page,
            "ps": size,
            "paging": {"pageIndex": page, "pageSize": size, "total": len(found)},
            "effortTotal": sum(i.effort_minutes for _, i in found),
            "issues": issues,
            "components": components,
        }
        if fields & {"_all", "rules"}:
            body["rules"] = [shapes.rule(r) for r in dict.fromkeys(i.rule for _, i in shown)]
        if fields & {"_all", "users"}:
            body["users"] = []
        if fields & {"_all", "languages"}:
            body["languages"] = [{"key": "java", "name": "Java"}]
        facets = [f for f in _csv(req, "facets") if f in ("severities", "types")]
        body["facets"] = [
            shapes.facet(f, shapes.SEVERITIES if f == "severities" else shapes.TYPES, [i for _, i in found])
            for f in facets
        ]
        return _json(body)


def _issue_key(a: Analysis, i: Any) -> str:
    """Stable across analyses: the same finding keeps its key."""
    digest = hashlib.sha256(f"{a.project.key}|{i.rule}|{i.path}|{i.line}".encode()).digest()
    return "AZ" + base64.urlsafe_b64encode(digest).decode()[:18]


def _csv(req: Request, name: str) -> list[str]:
    return [v.strip() for v in (req.values.get(name) or "").split(",") if v.strip()]


def _int(req: Request, name: str, default: int) -> int:
    raw = req.values.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"The '{name}' parameter cannot be parsed as an integer value: {raw}") from None
