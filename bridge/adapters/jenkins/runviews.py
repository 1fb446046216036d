"""``JenkinsRunViews``: the ``RunViewPort`` over HTTP, with the service account's session.

Every read is one ``tree=``-limited request (see ``runport.py`` for what each returns); Stage View
(``wfapi``) gives the stage graph and the steps of a stage, as the references document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bridge.adapters.jenkins import paths
from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.runport import BuildInfo, Cause, InputStep, QueueState
from bridge.errors import NotFound, UpstreamError

BUILD_FIELDS = (
    "number,building,result,timestamp,duration,queueId,description,"
    "actions[causes[_class,shortDescription,userId],parameters[_class,name,value]]"
)
QUEUE_TREE = "cancelled,why,executable[number]"
LAST_BUILDS_TREE = "jobs[name,lastBuild[number]]"


INPUT_STEPS = "executions[id,input[id,message,ok,submitter,parameters[name,type,description]]]"


def _input_step(execution: Any) -> InputStep | None:
    if not isinstance(execution, Mapping) or not isinstance(execution.get("input"), Mapping):
        return None
    step = execution["input"]
    parameters = [
        {
            "name": str(p.get("name") or ""),
            "type": str(p.get("type") or ""),
            "description": str(p.get("description") or ""),
        }
        for p in step.get("parameters") or ()
        if isinstance(p, Mapping)
    ]
    return InputStep(
        id=str(execution.get("id") or step.get("id") or ""),
        message=str(step.get("message") or ""),
        ok=str(step.get("ok") or "Proceed"),
        submitter=str(step["submitter"]) if step.get("submitter") else None,
        parameters=parameters,
    )


def _build_info(data: Mapping[str, Any]) -> BuildInfo:
    causes: list[Cause] = []
    parameters: dict[str, str] = {}
    for action in data.get("actions") or ():
        if not isinstance(action, Mapping):
            continue
        for c in action.get("causes") or ():
            if isinstance(c, Mapping):
                user = c.get("userId")
                causes.append(
                    Cause(
                        str(c.get("_class", "")),
                        str(c.get("shortDescription", "")),
                        str(user) if user else None,
                    )
                )
        for p in action.get("parameters") or ():
            if isinstance(p, Mapping) and p.get("name") and "Password" not in str(p.get("_class", "")):
                value = p.get("value")
                parameters[str(p["name"])] = (
                    str(value).lower() if isinstance(value, bool) else str(value or "")
                )
    queue_id = data.get("queueId")
    return BuildInfo(
        number=int(data.get("number", 0)),
        building=bool(data.get("building")),
        result=str(data["result"]) if data.get("result") else None,
        timestamp_ms=int(data.get("timestamp") or 0),
        duration_ms=int(data.get("duration") or 0),
        queue_id=int(queue_id) if isinstance(queue_id, int) else None,
        causes=tuple(causes),
        parameters=parameters,
        description=data.get("description"),
    )


class JenkinsRunViews:
    def __init__(self, jenkins: JenkinsAdapter) -> None:
        self._jenkins = jenkins
        self.counter = jenkins.counter

    def queue_item(self, queue_id: int) -> QueueState | None:
        try:
            data = self._jenkins.get_json(f"queue/item/{queue_id}/api/json", tree=QUEUE_TREE)
        except NotFound:
            return None
        executable = data.get("executable")
        number = executable.get("number") if isinstance(executable, Mapping) else None
        return QueueState(
            number=int(number) if isinstance(number, int) else None,
            cancelled=bool(data.get("cancelled")),
            why=str(data["why"]) if data.get("why") else None,
        )

    def last_builds(self, folder: str) -> Mapping[str, int]:
        try:
            data = self._jenkins.get_json(paths.item(folder) + "api/json", tree=LAST_BUILDS_TREE)
        except NotFound:
            return {}
        out: dict[str, int] = {}
        for job in data.get("jobs") or ():
            last = job.get("lastBuild") if isinstance(job, Mapping) else None
            if isinstance(last, Mapping) and isinstance(last.get("number"), int):
                out[str(job.get("name"))] = int(last["number"])
        return out

    def builds(self, job_path: str) -> Sequence[BuildInfo]:
        data = self._jenkins.get_json(paths.item(job_path) + "api/json", tree=f"builds[{BUILD_FIELDS}]")
        return [_build_info(b) for b in data.get("builds") or () if isinstance(b, Mapping)]

    def build(self, job_path: str, number: int) -> BuildInfo:
        return _build_info(
            self._jenkins.get_json(paths.item(job_path) + f"{number}/api/json", tree=BUILD_FIELDS)
        )

    def describe(self, job_path: str, number: int) -> Mapping[str, Any]:
        return self._jenkins.get_json(paths.item(job_path) + f"{number}/wfapi/describe", fullStages="true")

    def pending_inputs(self, job_path: str, number: int) -> Sequence[Mapping[str, Any]]:
        data = self._jenkins.get_json_any(paths.item(job_path) + f"{number}/wfapi/pendingInputActions")
        if not isinstance(data, list):
            raise UpstreamError("Jenkins sent unexpected JSON for the pending inputs")
        return [a for a in data if isinstance(a, Mapping)]

    def input_steps(self, job_path: str, number: int) -> Sequence[InputStep]:
        """``N/input/api/json``; a run with no input action (404) or none pending has no steps."""
        try:
            data = self._jenkins.get_json(paths.item(job_path) + f"{number}/input/api/json", tree=INPUT_STEPS)
        except NotFound:
            return []
        return [step for e in data.get("executions") or () if (step := _input_step(e)) is not None]

    def stage(self, job_path: str, number: int, node_id: str) -> Mapping[str, Any]:
        if not node_id.isdigit():
            raise NotFound(f"no stage {node_id}")
        return self._jenkins.get_json(
            paths.item(job_path) + f"{number}/execution/node/{node_id}/wfapi/describe"
        )
