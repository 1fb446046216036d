"""The log as Server-Sent Events: followed until the run ends, resumable with ``Last-Event-ID``, with
heartbeats; one shared Jenkins poll per build however many readers; and 50 open streams leave the
ordinary API answering (the production server model: request threads plus stream slots)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from tests.runlogs.conftest import VERSIONS, Served, log_requests, sse_events
from tests.waiting import wait_until

NUMBERS = [str(n) for n in range(1, 61)]


def _numbers(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.isdigit()]


def _follow(
    response: requests.Response, stop_after_numbers: int | None = None
) -> tuple[str, str | None, Any]:
    """Read events: (text, last id, end event data or None). Stops at ``end`` or once enough numbers
    arrived and the last event carried an id (a place to resume from)."""
    text, last_id = "", None
    for event_id, kind, data in sse_events(response):
        if kind == "log":
            text += data["text"]
            last_id = event_id or last_id
            enough = stop_after_numbers is not None and len(_numbers(text)) >= stop_after_numbers
            if enough and event_id is not None:
                return text, last_id, None
        elif kind == "end":
            return text, event_id, data
    raise AssertionError("the stream ended without an end event")


@pytest.mark.parametrize("jenkins_version", VERSIONS, indirect=True)
def test_the_stream_follows_the_run_and_resumes_where_it_left(served: Served) -> None:
    build = served.start_run()
    url = served.run_url(build) + "/log/stream"
    with served.http.get(url, stream=True) as first:
        assert first.status_code == 200
        assert first.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        before, last_id, end = _follow(first, stop_after_numbers=5)
    assert end is None and last_id is not None
    assert not served.finished(build), "disconnected while the run was still writing"
    with served.http.get(url, stream=True, headers={"Last-Event-ID": last_id}) as second:
        after, final_id, end = _follow(second)
    assert end == {"result": "SUCCESS", "status": "succeeded"}
    whole = served.http.get(served.run_url(build) + "/log")
    assert before + after == whole.text, "resumed exactly: nothing lost, nothing repeated"
    assert final_id == whole.headers["X-Text-Size"]
    assert _numbers(before + after) == NUMBERS
    with served.http.get(url, stream=True, headers={"Last-Event-ID": final_id}) as done:
        assert _follow(done) == ("", final_id, end), "resuming at the end: only the end event"
    bad = served.http.get(url, headers={"Last-Event-ID": "soon"})
    assert bad.status_code == 400 and bad.headers["Content-Type"] == "application/problem+json"


def test_heartbeats_while_nothing_is_written(served: Served) -> None:
    build = served.start_run()
    with served.http.get(served.run_url(build) + "/log/stream", stream=True) as r:
        kinds = []
        for _id, kind, _data in sse_events(r):
            kinds.append(kind)
            if kind == "end":
                break
    assert "comment" in kinds, "heartbeats (every 0.5 s here) while the step prints nothing"
    assert kinds.index("comment") < kinds.index("end")


def test_fifty_streams_share_one_poll_and_the_api_still_answers(served: Served) -> None:
    build = served.start_run()
    url = served.run_url(build) + "/log/stream"
    logs = served.stack.container.run_logs
    assert logs is not None
    opened = threading.Barrier(51)
    results: list[str] = []

    def reader() -> str:
        with requests.get(url, headers=dict(served.http.headers), stream=True, timeout=60) as r:
            assert r.status_code == 200, r.text
            opened.wait(30)
            text, _id, end = _follow(r)
            assert end is not None and end["status"] == "succeeded"
            return text

    with ThreadPoolExecutor(max_workers=50) as pool:
        futures = [pool.submit(reader) for _ in range(50)]
        opened.wait(30)  # 50 streams are open now
        assert not served.finished(build)
        one_more = served.http.get(url)
        assert one_more.status_code == 503 and "Retry-After" in one_more.headers, "slots are bounded"
        latencies = []
        for path in ("/api/v1/projects", "/api/v1/projects/demo/pipelines", "/api/v1/whoami", "/healthz") * 5:
            t0 = time.perf_counter()
            r = served.http.get(served.url + path, timeout=30)
            latencies.append(time.perf_counter() - t0)
            assert r.status_code == 200, (path, r.text)
        latencies.sort()
        print(  # for the record, not asserted
            f"\n{len(latencies)} ordinary calls with 50 open streams: p50 "
            f"{latencies[len(latencies) // 2] * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
        )
        results = [f.result(timeout=60) for f in futures]
    whole = served.http.get(served.run_url(build) + "/log").text
    assert all(text == whole for text in results), "every reader got the whole log"
    counter = log_requests(served.stack)
    (tail_polls,) = {t.polls for t in logs.tails._tails.values()} or {None}
    assert tail_polls is not None, "one tail served every reader"
    # every Jenkins request of the log side: the tail's polls, one state read at the end, this test's
    # final whole-log read and the 503 reader's nothing
    assert counter == {"log": tail_polls + 1, "log_state": 1}, counter
    wait_until(lambda: served.http.get(url, stream=True).status_code == 200, what="slots freed")


def test_a_stream_rides_out_a_jenkins_outage(served: Served) -> None:
    build = served.start_run()
    url = served.run_url(build) + "/log/stream"
    sandbox = served.stack.sandbox
    with served.http.get(url, stream=True) as r:
        events = sse_events(r)
        text, kinds = "", []
        for _id, kind, data in events:
            text += data["text"] if kind == "log" else ""
            if _numbers(text):
                break
        sandbox.outage()
        try:
            during = served.http.get(served.run_url(build) + "/log")
            assert during.status_code == 503 and during.headers["Content-Type"] == "application/problem+json"
            for _id, kind, _data in events:
                kinds.append(kind)
                if kinds.count("comment") >= 2:
                    break  # the stream stays open, heartbeating, while Jenkins is away
        finally:
            sandbox.recover()
        for _id, kind, data in events:
            if kind == "log":
                text += data["text"]
            if kind == "end":
                assert data["status"] == "succeeded"
                break
    assert text == served.http.get(served.run_url(build) + "/log").text


def test_streams_never_read_give_their_slot_back(served: Served) -> None:
    build = served.start_run()
    wait_until(lambda: served.finished(build), what="the run to end")
    url = served.run_url(build) + "/log/stream"
    for _ in range(60):  # more than the 50 slots: each HEAD's unread stream is closed by the server
        r = served.http.head(url)
        assert r.status_code == 200 and r.content == b""
    for path in ("/log", "/log?start=0"):
        for _ in range(30):
            assert served.http.head(served.run_url(build) + path).status_code == 200
    with served.http.get(url, stream=True) as r:
        assert r.status_code == 200
        assert _follow(r)[2] == {"result": "SUCCESS", "status": "succeeded"}
