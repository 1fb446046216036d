"""Authentication, sessions and CSRF crumbs, as Jenkins' filters apply them before any URL is resolved.

Order (as in Jenkins): ``BasicHeaderProcessor`` (a wrong user/secret is a 401 whatever the URL) →
``CrumbFilter`` (any POST needs a crumb bound to the session cookie, unless authenticated with an
API token) → ``Jenkins.getTarget`` (anonymous may read only a few paths: 403 otherwise).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading

from werkzeug.wrappers import Request, Response

from bridge.sandbox.jenkins.context import Principal
from bridge.sandbox.jenkins.errors import BadCredentials, NoValidCrumb
from bridge.sandbox.jenkins.model import SandboxState

CRUMB_FIELD = "Jenkins-Crumb"


def authenticate(request: Request, state: SandboxState) -> Principal:
    """``Authorization: Basic`` with an API token or the password; no header is anonymous."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return Principal(None)
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BadCredentials("") from None
    user_id, sep, secret = decoded.partition(":")
    if not sep:
        raise BadCredentials(user_id)
    with state.lock:
        user = state.user_by_id(user_id)
        if user is None:
            raise BadCredentials(user_id)
        if any(hmac.compare_digest(secret, t) for t in user.tokens):
            return Principal(user, via_api_token=True)
        if user.password is not None and hmac.compare_digest(secret, user.password):
            return Principal(user)
    raise BadCredentials(user_id)


class Sessions:
    """HTTP sessions of one server lifetime (a restart forgets them, so old crumbs stop working)."""

    def __init__(self, salt: str) -> None:
        self._salt = salt
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self.cookie_name = "JSESSIONID." + hashlib.sha256(salt.encode()).hexdigest()[:8]

    def current(self, request: Request) -> str | None:
        sid = request.cookies.get(self.cookie_name)
        with self._lock:
            return sid if sid in self._ids else None

    def open(self, request: Request) -> tuple[str, bool]:
        """``req.getSession()``: the existing session id, or a new one (second item True)."""
        sid = self.current(request)
        if sid is not None:
            return sid, False
        sid = secrets.token_hex(16)
        with self._lock:
            self._ids.add(sid)
        return sid, True

    def set_cookie(self, response: Response, sid: str, context_path: str) -> None:
        response.set_cookie(self.cookie_name, sid, path=context_path or "/", httponly=True)

    def crumb(self, principal: Principal, session_id: str) -> str:
        """``DefaultCrumbIssuer.issueCrumb``: SHA-256 of ``user;session`` then the instance salt."""
        digest = hashlib.sha256(f"{principal.id};{session_id}".encode())
        digest.update(self._salt.encode())
        return digest.hexdigest()

    def check_crumb(self, request: Request, principal: Principal) -> None:
        """``CrumbFilter``: only POST is checked; API-token requests are exempt."""
        if request.method != "POST" or principal.via_api_token:
            return
        sent = request.headers.get(CRUMB_FIELD) or request.args.get(CRUMB_FIELD)
        if sent is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            sent = request.form.get(CRUMB_FIELD)
        sid = self.current(request)
        if sent is None or sid is None or not hmac.compare_digest(sent, self.crumb(principal, sid)):
            raise NoValidCrumb()
