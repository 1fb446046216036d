"""JenkinsAdapter: the JenkinsPort over HTTP, built on python-jenkins' session, auth and crumb handling.

python-jenkins (1.8.3) owns the ``requests`` session, basic auth and the CSRF crumb; this adapter
sends every request through its ``jenkins_request`` escape hatch and replaces the two places where
the library loses information: ``_request`` (transport errors become ``UpstreamUnavailable``, redirects
are not followed, every request is counted by method) and ``_response_handler`` (status → typed error,
see ``errors.py``). Its check-then-act helpers (``create_job``, ``upsert_job``) are not used: the
reconciler observes once and every write here is a single request.

Reads and idempotent writes are retried on ``UpstreamUnavailable`` with exponential backoff, bounded by
``retries``; a ``Retry-After`` from Jenkins is honoured up to ``max_backoff``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import jenkins
import requests

from bridge.adapters.jenkins import paths
from bridge.adapters.jenkins.errors import from_response, from_transport
from bridge.adapters.jenkins.port import ObservedFolder, ObservedItem, RequestCounter
from bridge.errors import Forbidden, NotFound, UpstreamError, UpstreamUnavailable

log = logging.getLogger(__name__)

XML = "application/xml; charset=utf-8"
FOLDER_TREE = "description,jobs[name,description]"
CREDENTIALS_TREE = "credentials[id,description,typeName]"


class _Client(jenkins.Jenkins):  # type: ignore[misc]  # untyped library
    """python-jenkins with typed errors, no redirects, crumbs for POST only, and request counting."""

    crumb: Any  # None: not fetched yet; False: Jenkins needs none; else the crumbIssuer answer

    def __init__(
        self, url: str, *, user: str | None, token: str | None, timeout: float, verify: bool
    ) -> None:
        super().__init__(url, username=user, password=token, timeout=timeout, retries=0)
        self._session.verify = verify
        self._session.headers["User-Agent"] = "jenkins-bridge"
        self.counter = RequestCounter()

    def _request(self, req: requests.Request, stream: bool | None = None) -> requests.Response:
        prepared = self._session.prepare_request(req)
        what = f"{req.method} {urlsplit(prepared.url or '').path}"
        self.counter.add(req.method or "GET")
        try:
            response: requests.Response = self._session.send(
                prepared, timeout=self.timeout, allow_redirects=False, stream=stream
            )
        except requests.RequestException as e:
            self.counter.outcome(req.method or "GET", urlsplit(prepared.url or "").path, None)
            raise from_transport(e, what=what) from e
        self.counter.outcome(req.method or "GET", urlsplit(prepared.url or "").path, response.status_code)
        return response

    def _response_handler(self, response: requests.Response) -> requests.Response:
        what = f"{response.request.method} {urlsplit(response.request.url or '').path}"
        error = from_response(response, what=what)
        if error is not None:
            raise error
        return response

    def maybe_add_crumb(self, req: requests.Request) -> None:
        if (req.method or "GET").upper() != "POST":
            return
        if self.crumb is None:
            try:
                answer = self.jenkins_request(
                    requests.Request("GET", self._build_url(paths.CRUMB)), add_crumb=False
                ).json()
                self.crumb = answer if isinstance(answer, dict) and "crumb" in answer else False
            except NotFound:
                self.crumb = False  # CSRF protection off
            except ValueError:
                self.crumb = False
        if self.crumb:
            req.headers[self.crumb["crumbRequestField"]] = self.crumb["crumb"]


class JenkinsAdapter:
    """One Jenkins, reached at ``url`` (prefix allowed: ``http://host/jenkins/``)."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 10.0,
        verify_tls: bool = True,
    ) -> None:
        self._client = _Client(url, user=user, token=token, timeout=timeout, verify=verify_tls)
        self._retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self.counter = self._client.counter
        self.user = user  # who Jenkins will record for this adapter's requests

    def __repr__(self) -> str:
        return f"JenkinsAdapter({self._client.server!r})"

    # -- observation ---------------------------------------------------------------------------

    def observe_folder(self, folder: str) -> ObservedFolder | None:
        try:
            data = self._json(paths.item(folder) + "api/json", tree=FOLDER_TREE)
        except NotFound:
            return None
        items = {
            str(job.get("name")): ObservedItem(
                name=str(job.get("name")), kind=str(job.get("_class", "")), description=job.get("description")
            )
            for job in data.get("jobs") or []
            if isinstance(job, dict) and job.get("name")
        }
        kind = str(data.get("_class", ""))
        if "jobs" not in data and not kind:
            kind = "unknown"  # an item without children is not a folder
        return ObservedFolder(kind=kind, description=data.get("description"), items=items)

    def observe_credentials(self, folder: str) -> Mapping[str, ObservedItem]:
        data = self._json(paths.folder_store(folder) + "api/json", tree=CREDENTIALS_TREE)
        return {
            str(c["id"]): ObservedItem(
                name=str(c["id"]), kind=str(c.get("typeName", "")), description=c.get("description")
            )
            for c in data.get("credentials") or []
            if isinstance(c, dict) and c.get("id")
        }

    def item_config(self, path: str) -> bytes:
        return self._send("GET", paths.config(path), idempotent=True).content

    def ping(self) -> str:
        return str(self._json(paths.WHOAMI).get("name", ""))

    # -- writes --------------------------------------------------------------------------------

    def create_item(self, path: str, config: bytes) -> None:
        parent, name = paths.parent_and_name(path)
        self._send("POST", paths.create_item(parent), params={"name": name}, xml=config)

    def update_item(self, path: str, config: bytes) -> None:
        self._send("POST", paths.config(path), xml=config, idempotent=True)

    def delete_item(self, path: str) -> None:
        self._send("POST", paths.delete(path), idempotent=True)

    def create_credential(self, folder: str, config: bytes) -> None:
        self._send("POST", paths.folder_store(folder) + "createCredentials", xml=config)

    def update_credential(self, folder: str, credential_id: str, config: bytes) -> None:
        self._send(
            "POST", paths.credential(folder, credential_id) + "config.xml", xml=config, idempotent=True
        )

    def delete_credential(self, folder: str, credential_id: str) -> None:
        self._send("DELETE", paths.credential(folder, credential_id) + "config.xml", idempotent=True)

    # -- primitives for the run side (``runs.py``) -------------------------------------------------

    def get_json(self, path: str, **params: str) -> dict[str, Any]:
        """``GET path`` (relative to the root URL) as a JSON object; retried when Jenkins is unavailable."""
        return self._json(path, **params)

    def post_form(
        self, path: str, form: Mapping[str, str] | None = None, *, idempotent: bool = False
    ) -> requests.Response:
        """``POST path`` with an ``application/x-www-form-urlencoded`` body (typed errors, no redirects)."""
        return self._send("POST", path, form=form or {}, idempotent=idempotent)

    # -- plumbing ------------------------------------------------------------------------------

    def _json(self, path: str, **params: str) -> dict[str, Any]:
        response = self._send("GET", path + "", params=params or None, idempotent=True)
        try:
            data = json.loads(response.content)
        except ValueError as e:
            raise UpstreamError(f"Jenkins sent invalid JSON for GET {path}") from e
        if not isinstance(data, dict):
            raise UpstreamError(f"Jenkins sent unexpected JSON for GET {path}")
        return data

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        xml: bytes | None = None,
        form: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> requests.Response:
        attempts = 1 + (self._retries if idempotent else 0)
        crumb_retried = False
        attempt = 0
        while True:
            request = requests.Request(
                method,
                self._client._build_url(path),
                params=dict(params or {}),
                data=xml if xml is not None else (dict(form) if form is not None else None),
                headers={"Content-Type": XML} if xml is not None else {},
            )
            try:
                response: requests.Response = self._client.jenkins_request(request)
                return response
            except Forbidden:
                # A crumb outlives a Jenkins restart in our cache but not in Jenkins: fetch a new one once.
                if method != "POST" or crumb_retried or not self._client.crumb:
                    raise
                crumb_retried = True
                self._client.crumb = None
            except UpstreamUnavailable as e:
                attempt += 1
                if attempt >= attempts:
                    raise
                delay = min(
                    e.retry_after if e.retry_after is not None else self._backoff * 2 ** (attempt - 1),
                    self._max_backoff,
                )
                log.info(
                    "Jenkins unavailable (%s); retry %d/%d in %.1fs", e.detail, attempt, attempts - 1, delay
                )
                time.sleep(delay)
