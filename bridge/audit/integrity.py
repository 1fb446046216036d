"""Checking the audit chain (``audit verify``) and retiring old rows (``audit prune``).

Pruning is the one way rows leave the log, and it is itself recorded: in one transaction, holding the
chain lock, it checks the chain of the rows it removes, writes them to a JSON-lines archive (when
asked), records a checkpoint (``audit_checkpoints``: last row removed, its hash, how many, the
archive's SHA-256, who), deletes exactly the rows that checkpoint covers (the delete trigger refuses
any other) and appends an ``audit.prune`` entry to the chain. Only a prefix of the log (in id order)
is removed, so the rows left still form one chain, starting from the checkpoint's hash.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select

from bridge.audit.chain import FIELDS, GENESIS, canonical_time, row_hash
from bridge.audit.log import AuditEntry, append_in, lock_chain
from bridge.identity.tables import audit_checkpoints, audit_log, writing
from bridge.store.records import utc as as_utc

BATCH = 1000


class ChainBroken(Exception):
    """The chain does not verify; ``row`` names the first row that fails."""

    def __init__(self, row: int | None, reason: str) -> None:
        super().__init__(f"row {row}: {reason}" if row is not None else reason)
        self.row, self.reason = row, reason


@dataclass(frozen=True)
class Verdict:
    rows: int
    #: Hash of the newest row checked: record it elsewhere to detect later removal of newer rows.
    head: str
    first_bad: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class Pruned:
    rows: int
    through_id: int | None
    archive_sha256: str | None


class _Chain:
    """Walks rows in chain order, raising ``ChainBroken`` at the first that does not verify."""

    def __init__(self, start: str, after_id: int | None = None) -> None:
        self.expected, self.after_id, self.rows = start, after_id, 0

    def check(self, row: Mapping[Any, Any]) -> None:
        rid = row.get("id")
        if self.after_id is not None and isinstance(rid, int) and rid <= self.after_id:
            raise ChainBroken(rid, f"is still present though pruned (checkpoint through row {self.after_id})")
        if row.get("prev_hash") != self.expected:
            raise ChainBroken(
                rid, "does not follow the row before it (a row was removed, inserted or reordered)"
            )
        if row.get("hash") != row_hash(dict(row), str(row.get("prev_hash"))):
            raise ChainBroken(rid, "does not match its hash (the row was changed)")
        self.expected = str(row["hash"])
        self.rows += 1


def verify(engine: Engine) -> Verdict:
    """Check every row of the log, oldest first, from the newest checkpoint (or the genesis)."""
    options: dict[str, object] = {}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "REPEATABLE READ"  # one snapshot for checkpoint and rows
    with engine.connect().execution_options(**options) as conn, conn.begin():
        checkpoint = conn.execute(
            select(audit_checkpoints).order_by(audit_checkpoints.c.id.desc()).limit(1)
        ).first()
        chain = _Chain(
            checkpoint.through_hash if checkpoint else GENESIS,
            checkpoint.through_id if checkpoint else None,
        )
        try:
            rows = select(audit_log).order_by(audit_log.c.id).execution_options(yield_per=BATCH)
            for row in conn.execute(rows):
                chain.check(row._mapping)
        except ChainBroken as e:
            return Verdict(rows=chain.rows, head=chain.expected, first_bad=e.row, reason=e.reason)
    return Verdict(rows=chain.rows, head=chain.expected)


def verify_archive(lines: Iterable[str]) -> Verdict:
    """Check an archive written by ``prune``: each row's hash, and the links between its rows."""
    chain: _Chain | None = None
    try:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise ChainBroken(None, f"line {number} is not JSON") from None
            if not isinstance(row, dict):
                raise ChainBroken(None, f"line {number} is not a JSON object")
            chain = chain or _Chain(str(row.get("prev_hash")))
            chain.check(row)
    except ChainBroken as e:
        return Verdict(rows=chain.rows if chain else 0, head="", first_bad=e.row, reason=e.reason)
    return Verdict(rows=chain.rows if chain else 0, head=chain.expected if chain else GENESIS)


def archive_line(row: Mapping[Any, Any]) -> str:
    document: dict[str, object] = {"id": row["id"]}
    for name in (*FIELDS, "prev_hash", "hash"):
        value = row[name]
        document[name] = canonical_time(value) if isinstance(value, datetime) else value
    return json.dumps(document, sort_keys=True, ensure_ascii=False)


def prune(engine: Engine, *, before: datetime, entry: AuditEntry, archive: Path | None = None) -> Pruned:
    """Remove the oldest rows, up to the first written at or after ``before``; ``entry`` (action
    ``audit.prune``) is appended in the same transaction. Refuses (``ChainBroken``) when the rows to
    remove do not verify: they are evidence, and an archive of a broken chain would hide that."""
    cutoff = as_utc(before)
    with writing(engine) as conn, conn.begin():
        lock_chain(conn)
        first_kept = conn.execute(select(func.min(audit_log.c.id)).where(audit_log.c.at >= cutoff)).scalar()
        checkpoint = conn.execute(
            select(audit_checkpoints).order_by(audit_checkpoints.c.id.desc()).limit(1)
        ).first()
        chain = _Chain(checkpoint.through_hash if checkpoint else GENESIS)
        query = select(audit_log).order_by(audit_log.c.id)
        if first_kept is not None:
            query = query.where(audit_log.c.id < first_kept)
        rows = conn.execute(query.execution_options(yield_per=BATCH))
        through: tuple[int, str] | None = None
        digest: str | None = None
        with _archive(archive) as sink:
            for row in rows:
                chain.check(row._mapping)
                through = (row.id, row.hash)
                sink.write(archive_line(row._mapping) + "\n")
            digest = sink.digest()
        if through is None:
            return Pruned(rows=0, through_id=None, archive_sha256=digest)
        conn.execute(
            audit_checkpoints.insert().values(
                through_id=through[0],
                through_hash=through[1],
                rows=chain.rows,
                before=cutoff,
                archive_sha256=digest if archive is not None else None,
                at=as_utc(entry.at),
                actor=entry.actor[:253],
            )
        )
        conn.execute(delete(audit_log).where(audit_log.c.id <= through[0]))
        append_in(conn, entry)
    return Pruned(rows=chain.rows, through_id=through[0], archive_sha256=digest if archive else None)


class _Sink:
    def __init__(self, file: Any | None) -> None:
        self._file, self._sha = file, hashlib.sha256()

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self._sha.update(data)
        if self._file is not None:
            self._file.write(data)

    def digest(self) -> str:
        return self._sha.hexdigest()


@contextmanager
def _archive(path: Path | None) -> Iterator[_Sink]:
    """The archive file, created exclusively (never overwrites), 0600, synced before the rows go;
    removed again when writing it fails."""
    if path is None:
        yield _Sink(None)
        return
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        try:
            yield _Sink(file)
            file.flush()
            os.fsync(file.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def iter_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as f:
        yield from f
