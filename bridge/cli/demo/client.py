"""A small client of the bridge's public HTTP API, as a console or a chat bot would use it.

Only what the demo story needs: JSON calls with a bearer token, each failure turned into ``ApiError``
naming the call and the server's ``application/problem+json`` detail, and paged lists followed to
their end through the ``continue`` token.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

API = "/api/v1"


class ApiError(Exception):
    """A call answered with an error status (or not at all)."""

    def __init__(self, call: str, status: int | None, detail: str) -> None:
        self.call, self.status, self.detail = call, status, detail
        super().__init__(f"{call}: {status or 'no answer'} {detail}".rstrip())


def path(*parts: str | int) -> str:
    """``/api/v1/`` joined with each part quoted: ``path("projects", "p")``."""
    return API + "".join("/" + quote(str(p), safe="") for p in parts)


class BridgeClient:
    """One user's view of the API: ``base`` is the server's root URL, ``token`` the user's bearer token."""

    def __init__(self, base: str, token: str, *, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self._session.close()

    def url(self, api_path: str) -> str:
        return self.base + api_path

    def call(
        self,
        method: str,
        api_path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The JSON answer of one call; ``ApiError`` for any status of 400 and above."""
        name = f"{method} {api_path}"
        try:
            answer = self._session.request(
                method, self.url(api_path), json=body, params=params, timeout=self.timeout
            )
        except requests.RequestException as e:
            raise ApiError(name, None, str(e)) from None
        if answer.status_code >= 400:
            raise ApiError(name, answer.status_code, _detail(answer))
        if not answer.content:
            return None
        if answer.headers.get("Content-Type", "").startswith("text/"):
            return answer.text
        return answer.json()

    def get(self, api_path: str, **params: Any) -> Any:
        return self.call("GET", api_path, params=params or None)

    def post(self, api_path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("POST", api_path, body if body is not None else {})

    def patch(self, api_path: str, body: dict[str, Any]) -> Any:
        return self.call("PATCH", api_path, body)

    def items(self, api_path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paged list, page after page."""
        query: dict[str, Any] = dict(params)
        while True:
            page = self.get(api_path, **query)
            yield from page.get("items") or ()
            token = page.get("continue")
            if not token:
                return
            query["continue"] = token

    def text(self, api_path: str) -> str:
        """A text resource (a log)."""
        answer = self.call("GET", api_path)
        return answer if isinstance(answer, str) else ""


def _detail(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200].strip()
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)
    return str(body)[:200]
