"""Pagination of every list endpoint: ``?limit=`` and an opaque ``?continue=`` token.

Each list has one stated order: by name (workspaces, projects, pipelines, members by kind then
subject, credentials by id) or newest first (the audit log). A page is read with a keyset query
("rows after the last key returned") of ``limit + 1`` rows, so a page costs the same wherever it is
in the list, and an item created or deleted between two pages never makes another one appear twice
or go missing. The token carries the list it belongs to (route, path parameters, filters) and the
last key returned, encoded; clients must treat it as opaque. It holds nothing the client has not
already been shown, and every page is filtered by the caller's access like the first one, so a
forged token can only start a page somewhere else in a list the caller may read anyway. A token
that is malformed or belongs to another list is a 400.

Lists whose rows are filtered after the query (projects and workspaces by the caller's grants)
read further batches until the page is full or the rows run out.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bridge.api.schemas.common import PageQuery
from bridge.errors import InvalidRequest

T = TypeVar("T")
#: The position of an item in its list's order: its name, (kind, subject), or its id.
Key = tuple[str | int, ...]
Fetch = Callable[[Key | None, int], Sequence[T]]

TOKEN_VERSION = 1


@dataclass(frozen=True)
class Pager:
    """One page request: which list, how many items, and where the previous page stopped."""

    list_id: str
    limit: int
    after: Key | None

    @classmethod
    def of(cls, query: PageQuery, list_id: str, shape: tuple[type, ...]) -> Pager:
        """``shape`` is the type of each part of the list's key: ``(str,)``, ``(str, str)``, ``(int,)``."""
        after = None if query.continue_ is None else decode(query.continue_, list_id, shape)
        return cls(list_id=list_id, limit=query.limit, after=after)

    def page(
        self, fetch: Fetch[T], key: Callable[[T], Key], keep: Callable[[T], bool] | None = None
    ) -> tuple[list[T], str | None]:
        """The items of this page and the token of the next one (``None`` on the last page).

        ``fetch(after, n)`` returns at most ``n`` items strictly after ``after`` in the list's order;
        ``keep`` drops items the caller may not see (further batches fill the page).
        """
        out: list[T] = []
        after = self.after
        batch_size = self.limit + 1
        while True:
            batch = fetch(after, batch_size)
            for item in batch:
                if keep is None or keep(item):
                    out.append(item)
                    if len(out) > self.limit:
                        return out[: self.limit], encode(self.list_id, key(out[self.limit - 1]))
            if len(batch) < batch_size:
                return out, None
            after = key(batch[-1])


def encode(list_id: str, after: Key) -> str:
    raw = json.dumps({"v": TOKEN_VERSION, "l": list_id, "k": list(after)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, list_id: str, shape: tuple[type, ...]) -> Key:
    bad = InvalidRequest(
        "the continue token is not valid for this list (it comes from another list, another filter, "
        "or was changed): read the first page again without it",
        errors=[{"field": "continue", "message": "not a continue token of this list"}],
    )
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        doc = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        raise bad from None
    if not isinstance(doc, dict) or doc.get("v") != TOKEN_VERSION or doc.get("l") != list_id:
        raise bad
    parts = doc.get("k")
    if not isinstance(parts, list) or len(parts) != len(shape):
        raise bad
    for part, kind in zip(parts, shape, strict=True):
        if type(part) is not kind:  # bool is not int here
            raise bad
    return tuple(parts)


def name_of(after: Key | None) -> str | None:
    """The name in a one-part key (lists ordered by name)."""
    return None if after is None else str(after[0])


def list_id(*parts: object) -> str:
    """Names one list: the route and every path parameter and filter that selects its rows."""
    return json.dumps(list(parts), separators=(",", ":"), default=str)
