"""Approval events: the SSE stream (``/api/v1/approvals/stream``) and the project's signed notification
webhook, received by a real local HTTP server that verifies the signature over the raw body."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bridge.adapters.notify.post import post
from bridge.bootstrap import Container
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.services.approval_jobs import ApprovalJobs
from bridge.services.approval_notify import Notifier
from bridge.settings import Settings
from tests.e2e.approvals_support import (
    PIPE,
    PROJECT,
    Story,
    add_pipeline,
    attribution,
    declare_story,
    gate,
    sandbox_jenkins,
    settings,
)
from tests.e2e.conftest import P
from tests.fixtures.app import ApiClient
from tests.fixtures.leaks import register_secret

__all__ = ["attribution", "sandbox_jenkins", "settings"]  # fixtures, used by name
SECRET = "notify-hmac-s3cret-0123456789"


class Receiver:
    """A chat bot's endpoint: keeps each POST's headers and raw body; answers ``statuses`` in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.statuses = statuses
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((dict(self.headers.items()), raw))
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/approvals"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def verified(self) -> list[dict[str, Any]]:
        """Each body whose signature checks out (the receiver's side of the contract)."""
        out = []
        for headers, raw in self.got:
            expected = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            if hmac.compare_digest(headers.get("X-Bridge-Signature-256", ""), expected):
                out.append(json.loads(raw))
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver([503])  # the first delivery fails: it is retried
    yield r
    r.close()


@pytest.fixture
def story(api: ApiClient, container: Container, settings: Settings, sandbox_jenkins: SandboxJenkins) -> Story:
    return declare_story(api, container, settings, sandbox_jenkins, jenkinsfile=gate())


def _events(stream: Iterator[bytes], count: int) -> list[tuple[str, dict[str, Any]]]:
    """The next ``count`` events of an SSE stream (comments and the retry line skipped)."""
    out: list[tuple[str, dict[str, Any]]] = []
    buffer = b""
    while len(out) < count:
        buffer += next(stream)
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().splitlines() if ": " in line)
            if "event" in fields:
                out.append((fields["event"], json.loads(fields["data"])))
    return out


@pytest.mark.parametrize("attribution", ["parameter"])
def test_the_stream_tells_waiting_and_approved_to_those_who_may_see_the_project(
    story: Story, api: ApiClient
) -> None:
    assert api.post(P, {"name": "hidden", "workspace": "devops-multicluster"}).status_code == 201
    for user, role in (("carol", "admin"), ("alice", "operator")):  # not bob
        assert api.post(f"{P}/hidden/members", {"subject": user, "role": role}).status_code == 200
    hidden = add_pipeline(story, "gate", gate(), project="hidden")
    response = story.people["bob"].get("/api/v1/approvals/stream")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    stream = iter(response.response)
    try:
        other = story.start("alice", hidden)
        story.wait_input(other, "Ship", hidden)  # an event bob's stream must not carry
        number = story.start("alice")
        story.wait_input(number, "Ship")
        assert (
            story.people["bob"]
            .post(f"{PIPE}/runs/{number}/inputs/Ship/approve", {"comment": "go"})
            .status_code
            == 200
        )
        events = _events(stream, 2)
    finally:
        response.close()  # gives the stream slot back
    assert [kind for kind, _ in events] == ["waiting", "approved"]
    waiting, approved = (body for _, body in events)
    assert (waiting["project"], waiting["run"], waiting["input"], waiting["started_by"]) == (
        PROJECT,
        number,
        "Ship",
        "alice",
    )
    assert (approved["user"], approved["comment"], approved["state"]) == ("bob", "go", "approved")
    assert (
        story.people["bob"].get("/api/v1/approvals/stream", headers={"Last-Event-ID": "x"}).status_code == 400
    )


@pytest.mark.parametrize("attribution", ["parameter"])
def test_a_signed_notification_reaches_the_receiver_and_a_failed_one_is_retried(
    story: Story, api: ApiClient, receiver: Receiver
) -> None:
    register_secret(SECRET)
    hook = {"url": receiver.url, "secret": SECRET}
    r = story.people["carol"].patch(f"{P}/{PROJECT}", {"approval_notification": hook})
    assert r.status_code == 200, r.json
    assert r.json["approval_notification"] == {"url": receiver.url, "secret_set": True}
    assert SECRET not in json.dumps(api.get(f"{P}/{PROJECT}").json)
    assert SECRET not in json.dumps(api.get(P).json)
    bad = story.people["carol"].patch(f"{P}/{PROJECT}", {"approval_notification": {"url": "ftp://x"}})
    assert bad.status_code == 400

    number = story.start("alice")
    story.wait_input(number, "Ship")  # the worker recorded it: a "waiting" event, queued for delivery
    assert len(receiver.got) == 1  # answered 503: not delivered, retried later
    story.jobs.run()
    assert len(receiver.got) == 1  # not due again yet
    later = datetime.now(UTC) + timedelta(minutes=5)
    retry = ApprovalJobs(story.jobs.service, Notifier(story.container.store, post, clock=lambda: later))
    assert retry.run().notified == 1
    assert [(b["event"], b["input"], b["run"], b["started_by"]) for b in receiver.verified()] == [
        ("waiting", "Ship", number, "alice")
    ] * 2
    headers = receiver.got[-1][0]
    assert headers["X-Bridge-Event"] == "waiting" and headers["Content-Type"] == "application/json"
    assert receiver.got[0][1] == receiver.got[1][1], "a retry sends the same bytes"
    assert retry.run().notified == 0  # delivered once

    assert story.people["bob"].post(f"{PIPE}/runs/{number}/inputs/Ship/approve").status_code == 200
    story.jobs.run()
    assert [(b["event"], b["user"]) for b in receiver.verified()[2:]] == [("approved", "bob")]

    # a body changed on the way no longer verifies
    headers, raw = receiver.got[-1]
    receiver.got.append((headers, raw.replace(b"bob", b"eve")))
    assert len(receiver.verified()) == 3

    # the URL removed: no more deliveries
    assert story.people["carol"].patch(f"{P}/{PROJECT}", {"approval_notification": None}).status_code == 200
    assert api.get(f"{P}/{PROJECT}").json["approval_notification"] is None
    second = story.start("alice")
    story.wait_input(second, "Ship")
    story.jobs.run()
    assert len(receiver.got) == 4
