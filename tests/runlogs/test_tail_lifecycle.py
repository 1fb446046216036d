"""The shared tail's life, against the sandbox Jenkins over HTTP: it is dropped (spool and all) once unused,
a run Jenkins does not have leaves no tail behind, and a complete log is not polled again."""

from __future__ import annotations

import os

import pytest

from bridge.adapters.jenkins.connection import JenkinsConnection
from bridge.adapters.jenkins.logs import JenkinsLogs
from bridge.errors import NotFound
from bridge.sandbox.jenkins import SandboxJenkins
from bridge.services.log_tail import LogTails
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import token_session
from tests.waiting import wait_until


@pytest.fixture
def logs(sandbox_jenkins: SandboxJenkins) -> JenkinsLogs:
    j = sandbox_jenkins
    fast(j)
    create_job(j, "t", "pipeline { agent any\n stages { stage('x') { steps { sh 'seq 1 10' } } } }")
    s = token_session(j)
    s.post(f"{j.url}job/t/build", params={"delay": "0sec"})
    wait_for(lambda: s.get(f"{j.url}job/t/1/api/json").json()["result"] == "SUCCESS")
    return JenkinsLogs(JenkinsConnection(j.url, user=j.admin_user, token=j.admin_token, retries=0))


def test_an_unused_tail_goes_away_with_its_spool(logs: JenkinsLogs) -> None:
    tails = LogTails(logs, interval=0.05, idle=0.3)
    tail = tails.get("t", 1)
    assert tail.first_mark(10)
    raw, final = wait_until(lambda: tail.latest()[1] and tail.latest(), what="the whole log")
    text = b"".join(tail.chunks_to(0, raw))
    assert final and [x for x in text.split(b"\n") if x.isdigit()] == [str(n).encode() for n in range(1, 11)]
    fd = tail._spool.fileno()
    wait_until(lambda: not tails._tails, what="the tail to be dropped")
    assert tail.stopped and tail._spool.closed
    with pytest.raises(OSError):
        os.fstat(fd)  # the spool's descriptor is closed (no file left behind: it never had a name)
    assert tail.polls == 1, "a complete log is read once"
    assert tails.get("t", 1) is not tail, "the next reader starts afresh"
    tails.close()


def test_a_run_jenkins_does_not_have_leaves_no_tail(logs: JenkinsLogs) -> None:
    tails = LogTails(logs, interval=0.05, idle=30)
    tail = tails.get("t", 9)
    assert not tail.first_mark(10)
    assert isinstance(tail.error, NotFound)
    wait_until(lambda: not tails._tails, what="the tail to be forgotten")
    tails.close()
