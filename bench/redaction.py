"""Redaction benchmark: per-record cost of ``SecretRegistry.redact`` with many registered secrets.

Registers ``--secrets`` random values (as a bridge with thousands of credentials would after a
reconciliation pass), then redacts typical log lines (no secret, one secret) and prints microseconds
per record; also the cost of registering all of them and of one changed credential.

    .venv/bin/python bench/redaction.py [--secrets 5000 --records 2000]
"""

from __future__ import annotations

import argparse
import secrets
import time

from bridge.log import SecretRegistry

LINE = (
    "GET /api/v1/projects/demo/pipelines/build/runs 200 12.3ms request_id=4f6c2a9e1b7d4e0f "
    "user=system:serviceaccount:ci:deployer"
)


def per_record_us(registry: SecretRegistry, text: str, records: int) -> float:
    start = time.perf_counter()
    for _ in range(records):
        registry.redact(text)
    return (time.perf_counter() - start) / records * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--secrets", type=int, default=5000)
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    registry = SecretRegistry()
    # the suffix keeps every value secret-like (bridge.log.secret_like) whatever the random part holds;
    # the random first characters keep the index buckets as small as real tokens make them
    values = [secrets.token_urlsafe(18) + "Q3x9" for _ in range(args.secrets)]
    start = time.perf_counter()
    for i, value in enumerate(values):
        registry.replace(("credential", "p", str(i)), [value])
    register_ms = (time.perf_counter() - start) * 1e3
    leaked = LINE + " upstream said " + values[-1]
    assert values[-1] not in registry.redact(leaked)
    clean = per_record_us(registry, LINE, args.records)
    dirty = per_record_us(registry, leaked, args.records)
    start = time.perf_counter()
    registry.replace(("credential", "p", "0"), [secrets.token_urlsafe(18) + "Q3x9"])
    change_us = (time.perf_counter() - start) * 1e6
    print(f"{args.secrets} secrets: {clean:.1f} us/record (no secret), {dirty:.1f} us/record (one secret)")
    print(f"registering {args.secrets} credentials: {register_ms:.1f} ms; one change: {change_us:.1f} us")


if __name__ == "__main__":
    main()
