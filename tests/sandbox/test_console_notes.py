"""Console notes: the stored log carries them (``ESC[8mha:…ESC[0m`` before every ``[Pipeline]`` line and
around the user in "Started by user"), ``consoleText`` and ``progressiveText`` never show them
(``AnnotatedLargeText.writeLogTo`` → ``PlainTextConsoleOutputStream``), and offsets count stored bytes."""

from __future__ import annotations

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.model import Job
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import token_session


def test_plain_text_outputs_have_no_notes_but_offsets_count_them(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    create_job(j, "n", "pipeline { agent any; stages { stage('a') { steps { echo 'hello'; sh 'make' } } } }")
    s = token_session(j)
    s.post(f"{j.url}job/n/build", params={"delay": "0sec"})
    base = f"{j.url}job/n/1/"
    wait_for(lambda: s.get(base + "api/json").json()["result"])
    job = j.state.find_item("n")
    assert isinstance(job, Job)
    raw = job.builds[1].run.console.raw()
    assert raw.count(b"\x1b[8mha:") == raw.count(b"[Pipeline] ") + 1  # + the user link
    assert raw.startswith(b"Started by user \x1b[8mha:")

    text = s.get(base + "consoleText").text
    assert "\x1b" not in text and text.startswith("Started by user admin\n[Pipeline] Start of Pipeline\n")
    whole = s.get(base + "logText/progressiveText", params={"start": 0})
    assert whole.text.replace("\r\n", "\n") == text
    assert int(whole.headers["X-Text-Size"]) == len(raw) > len(text.encode())

    # A client following X-Text-Size reads every line exactly once, however it splits the log.
    middle = raw.index(b"[Pipeline] echo")
    first = s.get(base + "logText/progressiveText", params={"start": 0}).text
    rest = s.get(base + "logText/progressiveText", params={"start": middle}).text
    assert rest.replace("\r\n", "\n") == text[text.index("[Pipeline] echo") :]
    assert first.replace("\r\n", "\n") == text
