"""The ceiling under ``bench/webhooks.py``: the same closed-loop senders against an app that does nothing.

Serves an empty app (reads the body, answers 202 ``{}``) in its own process, on ``serve``'s server
(waitress, ``--threads``) or on ``receive``'s (uvicorn with uvloop and httptools, ``--server loop``), and
sends the GitHub push sample from ``--senders`` concurrent senders with persistent connections, exactly
as ``bench/webhooks.py`` does. What it prints is the acknowledgement latency of the HTTP server alone on
this machine: the bridge's receiver cannot answer faster than this, so compare its p50/p99 with the
bridge's at the same load and at the same time (the machine's speed drifts).

    .venv/bin/python bench/webhook_ceiling.py [--deliveries 2000] [--senders 50] [--threads 16]
                                              [--server threads|loop]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "webhooks" / "samples" / "github-push.json"


def empty_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("202 Accepted", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]


async def empty_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": b"{}"})


def serve_loop(port: int, _threads: int) -> None:
    import uvicorn

    uvicorn.run(
        empty_asgi,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="error",
    )


def serve(port: int, threads: int) -> None:
    import logging

    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N" under load
    waitress.serve(empty_app, host="127.0.0.1", port=port, threads=threads, _quiet=True)


def sender(port: int, n: int, body: bytes, latencies: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n):
        start = time.perf_counter()
        conn.request("POST", "/webhooks/github", body=body, headers={"Content-Type": "application/json"})
        conn.getresponse().read()
        latencies.append(time.perf_counter() - start)
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--server", choices=("threads", "loop"), default="threads")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    target = serve_loop if args.server == "loop" else serve
    server = multiprocessing.Process(target=target, args=(port, args.threads), daemon=True)
    server.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the empty server did not start") from None
            time.sleep(0.1)
    body = SAMPLE.read_bytes()
    latencies: list[float] = []
    each = args.deliveries // args.senders
    threads = [
        threading.Thread(target=sender, args=(port, each, body, latencies)) for _ in range(args.senders)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    server.terminate()
    ordered = sorted(latencies)
    where = (
        "empty ASGI app on uvicorn (uvloop, httptools)"
        if args.server == "loop"
        else f"empty WSGI app on waitress ({args.threads} threads)"
    )

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1e3

    print(
        f"{where}, {args.senders} senders: "
        f"{len(ordered) / wall:.0f} answers/s; ack ms p50 {pct(50):.1f}  p90 {pct(90):.1f}  "
        f"p99 {pct(99):.1f}  max {ordered[-1] * 1e3:.1f}"
    )


if __name__ == "__main__":
    main()
