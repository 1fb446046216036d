"""``JenkinsRunActions``: stop and replay a run for a real user, through the attribution modes.

``user-token``: the request is sent as the user (Jenkins records "Aborted by alice", the replay's
``UserIdCause``, and applies its own Job/Cancel and Run/Replay permissions to the user). ``parameter``:
the service account acts and a line naming the user is appended to the run's description (for a
replay, the run index notes it on the new run once the worker has found it: Jenkins answers a replay
with a redirect to the job, not with a queue item).

Replay is ``POST N/replay/run`` with ``json={"mainScript": …}`` (workflow-cps ``ReplayAction``): the new
run is compiled like any other, in the Groovy sandbox when the job's definition is sandboxed (every
job the bridge renders is), and keeps the original run's parameters.
"""

from __future__ import annotations

import json

from bridge.adapters.jenkins import paths
from bridge.adapters.jenkins.runs import JenkinsRuns
from bridge.identity.attribution import Actor


def action_note(verb: str, actor: Actor) -> str:
    suffix = f" (request {actor.request_id})" if actor.request_id else ""
    return f"{verb} by {actor.user} via jenkins-bridge{suffix}"


class JenkinsRunActions:
    def __init__(self, runs: JenkinsRuns) -> None:
        self._runs = runs

    def stop(self, job_path: str, number: int, actor: Actor) -> None:
        url = paths.item(job_path) + f"{number}/stop"
        self._runs.act(actor, lambda jenkins: jenkins.post_form(url))
        if self._runs.mode == "parameter":
            self._runs.note(job_path, number, action_note("Stopped", actor))

    def replay(self, job_path: str, number: int, script: str, actor: Actor) -> None:
        url = paths.item(job_path) + f"{number}/replay/run"
        form = {"json": json.dumps({"mainScript": script})}
        self._runs.act(actor, lambda jenkins: jenkins.post_form(url, form))

    def note(self, job_path: str, number: int, text: str) -> None:
        if self._runs.mode == "parameter":
            self._runs.note(job_path, number, text)
