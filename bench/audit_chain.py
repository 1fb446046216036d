"""Audit log benchmark: cost of a hash-chained append, and of ``audit verify``.

Appends ``--rows`` entries one transaction each (as API writes do), then verifies the whole chain, and
prints milliseconds per append and rows verified per second. SQLite in a temporary directory by
default; ``--url`` names another database (e.g. a PostgreSQL scratch database: it must be empty).

    .venv/bin/python bench/audit_chain.py [--rows 2000] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bridge.audit import integrity
from bridge.audit.log import AuditEntry, AuditLog, Outcome
from bridge.store import migrate
from bridge.store.engine import make_engine


def entry(n: int) -> AuditEntry:
    return AuditEntry(
        at=datetime.now(UTC),
        actor="bench",
        actor_source="api-token",
        address="10.0.0.1",
        method="POST",
        path=f"/api/v1/projects/p{n}",
        action="project.create",
        outcome=Outcome.SUCCESS,
        status=201,
        request_id=f"bench-{n}",
        project=f"p{n}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate.upgrade(engine)
        log = AuditLog(engine)
        start = time.perf_counter()
        for n in range(args.rows):
            log.append(entry(n))
        append_ms = (time.perf_counter() - start) / args.rows * 1e3
        start = time.perf_counter()
        verdict = integrity.verify(engine)
        verify_s = time.perf_counter() - start
        engine.dispose()
    print(f"{engine.dialect.name}: {append_ms:.2f} ms per chained append ({args.rows} rows)")
    print(f"verify: {verdict.rows / verify_s:.0f} rows/s; chain ok: {verdict.ok}")
    if not verdict.ok or verdict.rows != args.rows:
        sys.exit(1)


if __name__ == "__main__":
    main()
