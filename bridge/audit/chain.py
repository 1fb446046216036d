"""The hash chain over audit rows: each row stores a SHA-256 over its own content and the previous
row's hash, so a changed, removed or inserted row breaks every link after it (``audit verify``).

Pure functions over plain values, shared by the writer (``bridge.audit.log``), the verifier and the
migration that chains rows written before the chain existed. The hashed document is canonical JSON
(sorted keys, UTC times with microseconds), so the same row hashes the same on SQLite and PostgreSQL.
Changing what is hashed means a new ``VERSION`` and a migration that re-chains: old hashes must verify.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

VERSION = 1
#: ``prev_hash`` of the very first row (nothing before it, nothing pruned).
GENESIS = "0" * 64
#: The columns the hash covers: every column but the row id (the chain itself fixes the order) and the
#: two hash columns.
FIELDS = (
    "at",
    "actor",
    "actor_source",
    "token_id",
    "address",
    "method",
    "path",
    "action",
    "project",
    "outcome",
    "status",
    "request_id",
)


def canonical_time(value: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC; a naive value (SQLite) is taken as UTC."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(values: Mapping[str, object], prev_hash: str) -> str:
    """The hash a row with these column values must store, following the row whose hash is
    ``prev_hash``."""
    document: dict[str, object] = {"v": VERSION, "prev": prev_hash}
    for name in FIELDS:
        value = values.get(name)
        document[name] = canonical_time(value) if isinstance(value, datetime) else value
    text = json.dumps(document, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
