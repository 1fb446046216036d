"""Logs that grow while a build runs, and large ones: ``sh 'seq …'`` and ``sh 'yes … | head -n N'`` print
while the step runs (in slices over its simulated duration), ``progressiveText`` answers from any offset
with ``X-Text-Size`` and ``X-More-Data: true`` only while the run (or node) is active, and a large body
arrives chunked rather than built whole."""

from __future__ import annotations

import re
from typing import Any

import requests

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.pipeline import ShellRule
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import token_session
from tests.waiting import wait_until

_NOTE = re.compile(r"\x1b\[8mha:[A-Za-z0-9+/=]*\x1b\[0m")
GROWING = "pipeline { agent any\n stages { stage('count') { steps { sh 'seq 1 50' } } } }"


def _poll(s: requests.Session, url: str, start: int) -> tuple[str, int, bool]:
    r = s.get(url, params={"start": start})
    assert r.status_code == 200
    return r.text, int(r.headers["X-Text-Size"]), r.headers.get("X-More-Data") == "true"


def test_a_running_log_is_read_in_pieces_that_add_up(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j, ShellRule("seq", seconds=2.0), scale=1.0)
    create_job(j, "grow", GROWING)
    s = token_session(j)
    s.post(f"{j.url}job/grow/build", params={"delay": "0sec"})
    url = f"{j.url}job/grow/1/logText/progressiveText"
    wait_for(lambda: s.get(url).status_code == 200)
    pieces, offset, more, polls_with_more = [], 0, True, 0
    while more:
        text, offset, more = _poll(s, url, offset)
        pieces.append(text)
        polls_with_more += more
        if more:
            wait_until(lambda o=offset: _poll(s, url, o)[1] > o or not _poll(s, url, o)[2], what="growth")
    whole = s.get(url, params={"start": 0})
    assert "X-More-Data" not in whole.headers
    assert "".join(pieces) == whole.text
    assert int(whole.headers["X-Text-Size"]) == offset
    numbers = [line for line in whole.text.split("\r\n") if line.isdigit()]
    assert numbers == [str(n) for n in range(1, 51)]
    assert polls_with_more >= 3, "the log was read several times while it grew"
    assert _poll(s, url, offset) == ("", offset, False), "nothing more at the end"


def test_a_steps_log_grows_and_completes(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j, ShellRule("seq", seconds=2.0), scale=1.0)
    create_job(j, "grow", GROWING)
    s = token_session(j)
    s.post(f"{j.url}job/grow/build", params={"delay": "0sec"})
    base = f"{j.url}job/grow/1/"

    def sh_node() -> str | None:
        stages = s.get(base + "wfapi/describe").json()["stages"]
        if not stages:
            return None
        nodes = s.get(f"{base}execution/node/{stages[0]['id']}/wfapi/describe").json()["stageFlowNodes"]
        return next((n["id"] for n in nodes if n["name"] == "Shell Script"), None)

    node = wait_for(sh_node)
    url = f"{base}execution/node/{node}/log/logText/progressiveText"
    first, size, more = _poll(s, url, 0)
    assert more and first.count("\r\n") < 51, "read while the step is still printing"
    wait_until(lambda: not _poll(s, url, 0)[2], what="the step to end")
    rest, _end, more = _poll(s, url, size)
    assert not more
    assert [x for x in (first + rest).split("\r\n") if x.isdigit()] == [str(n) for n in range(1, 51)]


def test_a_large_log_is_streamed(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    line = "0123456789" * 10
    create_job(
        j,
        "big",
        "pipeline { agent any\n stages { stage('x') { steps { sh 'yes " + line + " | head -n 100000' } } } }",
    )
    s = token_session(j)
    s.post(f"{j.url}job/big/build", params={"delay": "0sec"})
    wait_for(lambda: s.get(f"{j.url}job/big/1/api/json").json()["result"] == "SUCCESS")
    r = s.get(f"{j.url}job/big/1/logText/progressiveText", params={"start": 0}, stream=True)
    assert r.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in r.headers
    count = total = 0
    for chunk in r.iter_lines():
        total += len(chunk) + 2
        count += chunk == line.encode()
    assert count == 100_000
    assert int(r.headers["X-Text-Size"]) > 100_000 * 101


def test_from_2_509_progressive_text_keeps_the_console_notes(sandbox_jenkins_factory: Any) -> None:
    old, new = sandbox_jenkins_factory(), sandbox_jenkins_factory(version="2.516.1")
    bodies = []
    for j in (old, new):
        fast(j)
        create_job(j, "notes", GROWING)
        s = token_session(j)
        s.post(f"{j.url}job/notes/build", params={"delay": "0sec"})
        wait_for(lambda j=j, s=s: s.get(f"{j.url}job/notes/1/api/json").json()["result"] == "SUCCESS")
        r = s.get(f"{j.url}job/notes/1/logText/progressiveText", params={"start": 0})
        assert s.get(f"{j.url}job/notes/1/consoleText").text.count("\x1b[8mha:") == 0
        bodies.append((r.text, int(r.headers["X-Text-Size"])))
    (plain, size_old), (raw, size_new) = bodies
    assert "\x1b[8mha:" not in plain and raw.count("\x1b[8mha:") >= 3
    assert len(raw.replace("\r\n", "\n").encode()) == size_new, "2.509+: the body is the stored bytes"
    assert _NOTE.sub("", raw) == plain and size_old == size_new
