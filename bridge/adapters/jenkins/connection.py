"""``JenkinsConnection``: the one HTTP connection to one named Jenkins controller.

Built once per controller in the composition root (``bootstrap.build_connections``) and shared by every
port that talks to that Jenkins: provisioning (``client.py``), runs and approvals (``runs.py``), the
user tokens (``usertokens.py``), the Declarative linter, build identities and the readiness probe.

A plain ``requests.Session`` (connection pooling, basic auth with the API token, TLS verification):

* **crumbs** (CSRF): fetched once from ``crumbIssuer/api/json`` before the first POST, cached, sent with
  every POST; a 404 there means CSRF protection is off. A 403 to a POST while a crumb is cached (Jenkins
  restarted, or the session it was bound to expired: "No valid crumb was included in the request") drops
  the crumb and sends the request once more with a new one;
* **retries** for idempotent requests only (reads, config updates, deletes) on ``UpstreamUnavailable``,
  with exponential backoff bounded by ``max_backoff``, honouring ``Retry-After``;
* **typed errors** by status (``errors.py``): 404 ``NotFound``, 409 ``Conflict``, 401 ``BadCredentials``,
  403 ``Forbidden``, 429/502/503/504 ``UpstreamUnavailable(retry_after=…)``; redirects are never followed;
* **counters**: every request sent, by HTTP method and by operation (what the caller named it).

``as_user`` opens a connection authenticated as another Jenkins user (an API token minted for them)
that counts into the same counters, so one controller's traffic is one set of numbers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from bridge.adapters.jenkins import paths
from bridge.adapters.jenkins.errors import from_response, from_transport
from bridge.adapters.jenkins.port import RequestCounter
from bridge.errors import Forbidden, NotFound, UpstreamError, UpstreamUnavailable

log = logging.getLogger(__name__)

XML = "application/xml; charset=utf-8"
_NO_CRUMB: dict[str, str] = {}  # Jenkins needs none (crumbIssuer answered 404)


class OperationCounter:
    """Requests by operation name (``observe``, ``create_item``, ``lint``, ``run``, …); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, operation: str) -> None:
        with self._lock:
            self._counts[operation] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class JenkinsConnection:
    """One Jenkins controller, reached at ``url`` (a prefix is allowed: ``http://host/jenkins/``)."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "default",
        user: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        verify_tls: bool = True,
        pool_size: int = 10,
        sleep: Callable[[float], None] = time.sleep,
        counter: RequestCounter | None = None,
        operations: OperationCounter | None = None,
    ) -> None:
        self.name = name
        self.url = url if url.endswith("/") else url + "/"
        self.user = user
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.verify_tls = verify_tls
        self.counter = counter or RequestCounter()
        self.operations = operations or OperationCounter()
        self._token = token
        self._sleep = sleep
        self._pool_size = pool_size
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=pool_size)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        # The environment's proxy and CA bundle settings (HTTP(S)_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE...)
        # are read once for this controller's URL, the only host the session talks to: requests would
        # otherwise scan os.environ on every request, a large share of a small request's client time.
        environment = self._session.merge_environment_settings(self.url, {}, None, verify_tls, None)
        self._session.trust_env = False
        self._session.proxies = environment["proxies"]
        self._session.verify = environment["verify"]
        self._session.headers["User-Agent"] = "jenkins-bridge"
        if user is not None and token is not None:
            self._session.auth = (user, token)
        self._crumb_lock = threading.Lock()
        self._crumb: dict[str, str] | None = None  # None: not fetched yet

    def __repr__(self) -> str:
        return f"JenkinsConnection({self.name!r}, {self.url!r})"

    def as_user(self, user: str, token: str) -> JenkinsConnection:
        """The same controller, authenticated as ``user``; counted in this connection's counters."""
        return JenkinsConnection(
            self.url,
            name=self.name,
            user=user,
            token=token,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
            max_backoff=self.max_backoff,
            verify_tls=self.verify_tls,
            pool_size=2,
            sleep=self._sleep,
            counter=self.counter,
            operations=self.operations,
        )

    def close(self) -> None:
        self._session.close()

    # -- requests --------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        xml: bytes | None = None,
        form: Mapping[str, str] | None = None,
        idempotent: bool = False,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request (``path`` relative to the root URL); the error vocabulary on failure.

        ``stream``: the body is left unread (``iter_content`` it, then ``close`` the response, read or
        not, so the pooled connection is given back)."""
        attempts = 1 + (self.retries if idempotent else 0)
        attempt = 0
        crumb_renewed = False
        while True:
            try:
                return self._once(method, path, operation, params, xml, form, stream)
            except Forbidden:
                # A crumb outlives a Jenkins restart in our cache but not in Jenkins: fetch a new one once.
                if method != "POST" or crumb_renewed or not self._drop_crumb():
                    raise
                crumb_renewed = True
            except UpstreamUnavailable as e:
                attempt += 1
                if attempt >= attempts:
                    raise
                delay = min(
                    e.retry_after if e.retry_after is not None else self.backoff * 2 ** (attempt - 1),
                    self.max_backoff,
                )
                log.info(
                    "Jenkins %s unavailable (%s); retry %d/%d in %.1fs",
                    self.name,
                    e.detail,
                    attempt,
                    attempts - 1,
                    delay,
                )
                self._sleep(delay)

    def get_json(self, path: str, *, operation: str = "read", **params: str) -> dict[str, Any]:
        """``GET path`` as a JSON object (retried when Jenkins is unavailable)."""
        response = self.request("GET", path, operation=operation, params=params or None, idempotent=True)
        try:
            data = response.json()
        except ValueError as e:
            raise UpstreamError(f"Jenkins sent invalid JSON for GET {path}") from e
        if not isinstance(data, dict):
            raise UpstreamError(f"Jenkins sent unexpected JSON for GET {path}")
        return data

    def get_stream(self, path: str, *, operation: str = "stream", **params: str) -> requests.Response:
        """``GET path`` with its body left unread (retried like reads); the caller closes the response."""
        return self.request(
            "GET", path, operation=operation, params=params or None, idempotent=True, stream=True
        )

    def _once(
        self,
        method: str,
        path: str,
        operation: str,
        params: Mapping[str, str] | None,
        xml: bytes | None,
        form: Mapping[str, str] | None,
        stream: bool = False,
    ) -> requests.Response:
        headers: dict[str, str] = {}
        if xml is not None:
            headers["Content-Type"] = XML
        if method == "POST":
            headers.update(self._crumb_header())
        data: bytes | dict[str, str] | None = xml if xml is not None else (dict(form) if form else None)
        return self._send(method, path, operation, params=params, data=data, headers=headers, stream=stream)

    def _send(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, str] | None = None,
        data: bytes | dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        url = self.url + path.lstrip("/")
        what = f"{method} {urlsplit(url).path}"
        self.counter.add(method)
        self.operations.add(operation)
        try:
            response = self._session.request(
                method,
                url,
                params=dict(params) if params else None,
                data=data,
                headers=dict(headers or {}),
                timeout=self.timeout,
                allow_redirects=False,
                stream=stream,
            )
        except requests.RequestException as e:
            self.counter.outcome(method, urlsplit(url).path, None)
            raise from_transport(e, what=what) from e
        self.counter.outcome(method, urlsplit(url).path, response.status_code)
        error = from_response(response, what=what)
        if error is not None:
            response.close()  # a streamed error body is not read: give the connection back
            raise error
        return response

    # -- crumbs ----------------------------------------------------------------------------------

    def _crumb_header(self) -> dict[str, str]:
        with self._crumb_lock:
            if self._crumb is None:
                self._crumb = self._fetch_crumb()
            return dict(self._crumb)

    def _fetch_crumb(self) -> dict[str, str]:
        try:
            answer = self._send("GET", paths.CRUMB, "crumb").json()
        except NotFound:
            return _NO_CRUMB  # CSRF protection off
        except ValueError:
            return _NO_CRUMB
        if isinstance(answer, dict) and answer.get("crumb") and answer.get("crumbRequestField"):
            return {str(answer["crumbRequestField"]): str(answer["crumb"])}
        return _NO_CRUMB

    def _drop_crumb(self) -> bool:
        """Forget the cached crumb; ``True`` when there was one (so a new one may help)."""
        with self._crumb_lock:
            had = bool(self._crumb)
            self._crumb = None
            return had
