"""Builds and the queue across restarts (``state_dir``): the ``builds`` section of the state file.

Saved per job: every build (number, result, timestamps, causes, parameters, script, log, flow graph, input
decisions) and what Declarative set on the job (parameter definitions, properties); saved for the queue:
every item, left ones included, and the next queue id. ``nextBuildNumber`` is saved with the items.

On start the builds come back: finished ones as they were, running ones resumed the way a Pipeline resumes
after a controller restart (``pipeline.resume``) — a build paused at ``input`` is still paused and can be
approved. Waiting queue items are re-armed. On stop (with ``state_dir``) running builds are suspended, not
aborted, so the saved state is what the next start resumes.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from typing import Any

from bridge.sandbox.jenkins import persistence
from bridge.sandbox.jenkins.buildstate import (
    Build,
    BuildService,
    Cause,
    ParamValue,
    QueueItem,
    service,
)
from bridge.sandbox.jenkins.credtypes import SecretCipher
from bridge.sandbox.jenkins.model import Job, ParameterDefinition, SandboxState
from bridge.sandbox.jenkins.pipeline import CompileErrors, compile_program
from bridge.sandbox.jenkins.pipeline.resume import restore, snapshot

SECTION = "builds"
PASSWORD_VALUE = "PasswordParameterValue"
PASSWORD_DEFINITION = "PasswordParameterDefinition"
SAVED = "builds.saved"  # state.extensions key: loaded data waiting for on_start


def dump(state: SandboxState) -> dict[str, Any]:
    cipher = SecretCipher(state.instance_salt)
    builds = state.extensions.get("builds")
    jobs = {job.full_name: _job_record(job, cipher) for job in _jobs(state)}
    queue: list[dict[str, Any]] = []
    next_id = 1
    if isinstance(builds, BuildService):
        queue = [_item_record(i, cipher) for i in sorted(builds.items.values(), key=lambda i: i.id)]
        next_id = next(builds._ids)
        builds._ids = itertools.count(next_id)
    return {"jobs": jobs, "queue": queue, "next_queue_id": next_id}


def load(state: SandboxState, data: Any) -> None:
    state.extensions[SAVED] = data  # restored in on_start, once the services (time scale…) are known


def resume_saved(state: SandboxState, services: dict[str, Any]) -> None:
    data = state.extensions.pop(SAVED, None)
    if not isinstance(data, dict):
        return
    cipher = SecretCipher(state.instance_salt)
    with state.lock:
        builds = service(state, services)
        for name, record in data["jobs"].items():
            job = state.find_item(name)
            if isinstance(job, Job):
                _restore_job(builds, job, record, cipher)
        for record in data["queue"]:
            _restore_item(builds, state, record, cipher)
        builds._ids = itertools.count(data["next_queue_id"])


def suspend_running(state: SandboxState) -> None:
    builds = state.extensions.get("builds")
    if isinstance(builds, BuildService):
        builds.stop()


persistence.register_section(SECTION, dump, load)


# -- records -------------------------------------------------------------------------------------------
def _params_out(values: list[ParamValue], cipher: SecretCipher) -> list[dict[str, Any]]:
    """Password parameter values are kept encrypted, as Jenkins keeps ``PasswordParameterValue``."""
    out = []
    for value in values:
        record = dataclasses.asdict(value)
        if value.type == PASSWORD_VALUE:
            record["value"] = cipher.encrypt(str(value.value))
        out.append(record)
    return out


def _params_in(records: list[dict[str, Any]], cipher: SecretCipher) -> list[ParamValue]:
    values = [ParamValue(**r) for r in records]
    for value in values:
        if value.type == PASSWORD_VALUE:
            value.value = cipher.reveal(str(value.value))
    return values


def _definition_out(definition: ParameterDefinition, cipher: SecretCipher) -> dict[str, Any]:
    record = dataclasses.asdict(definition)
    if definition.type == PASSWORD_DEFINITION and definition.default is not None:
        record["default"] = cipher.encrypt(definition.default)
    return record


def _definition_in(record: dict[str, Any], cipher: SecretCipher) -> ParameterDefinition:
    definition = ParameterDefinition(**record)
    if definition.type == PASSWORD_DEFINITION and definition.default is not None:
        definition.default = cipher.reveal(definition.default)
    return definition


def _job_record(job: Job, cipher: SecretCipher) -> dict[str, Any]:
    return {
        "parameters": [_definition_out(p, cipher) for p in job.parameters],
        "properties": list(job.properties),
        "concurrent_build": job.concurrent_build,
        "engine": {k: v for k, v in job.engine.items() if _jsonable(v)},
        "builds": [_build_record(b, cipher) for b in sorted(job.builds.values(), key=lambda b: b.number)],
    }


def _build_record(build: Build, cipher: SecretCipher) -> dict[str, Any]:
    return {
        "number": build.number,
        "queue_id": build.queue_id,
        "timestamp": build.timestamp,
        "causes": [dataclasses.asdict(c) for c in build.causes],
        "parameters": _params_out(build.parameters, cipher),
        "script": build.script,
        "description": build.description,
        "extra": {k: v for k, v in build.extra.items() if _jsonable(v)},
        "context": _context_record(build, cipher),
        "run": snapshot(build.run),
    }


def _context_record(build: Build, cipher: SecretCipher) -> dict[str, Any]:
    context = build.run.context
    hidden = {v.name for v in build.parameters if v.type == PASSWORD_VALUE}
    hidden |= {d.name for d in build.job.parameters if d.type == PASSWORD_DEFINITION}
    parameters = {k: cipher.encrypt(str(v)) if k in hidden else v for k, v in context.parameters.items()}
    defaults = {
        k: cipher.encrypt(str(v)) if k in hidden else v for k, v in context.parameter_defaults.items()
    }
    return {
        "build_number": context.build_number,
        "build_url": context.build_url,
        "jenkins_url": context.jenkins_url,
        "parameters": parameters,
        "parameter_defaults": defaults,
        "hidden": sorted(hidden),
        "previous_result": context.previous_result,
        "causes": list(context.causes),
        "identity": context.user_id,
    }


def _item_record(item: QueueItem, cipher: SecretCipher) -> dict[str, Any]:
    return {
        "id": item.id,
        "job": item.job.full_name,
        "causes": [dataclasses.asdict(c) for c in item.causes],
        "parameters": _params_out(item.parameters, cipher),
        "in_queue_since": item.in_queue_since,
        "buildable_at": item.buildable_at,
        "script": item.script,
        "state": item.state,
        "cancelled": item.cancelled,
        "build": item.build.number if item.build is not None else None,
        "left_at": item.left_at,
    }


# -- restoring -----------------------------------------------------------------------------------------
def _restore_job(builds: BuildService, job: Job, record: dict[str, Any], cipher: SecretCipher) -> None:
    job.parameters = [_definition_in(p, cipher) for p in record["parameters"]]
    job.properties = list(record["properties"])
    job.concurrent_build = record["concurrent_build"]
    job.engine.update(record["engine"])
    for saved in record["builds"]:
        running = saved["run"]["result"] is None
        parameters = _params_in(saved["parameters"], cipher)
        context = dict(saved["context"])
        hidden = set(context.get("hidden", ()))
        for key in ("parameters", "parameter_defaults"):
            context[key] = {k: cipher.reveal(v) if k in hidden else v for k, v in context[key].items()}
        run = restore(
            saved["run"],
            program=compile_program(saved["script"]) if running else CompileErrors([]),
            source=saved["script"],
            context=builds.context(job, context),
            simulation=builds.simulation,
            on_finish=builds._finished,
        )
        run.on_checkpoint = builds._checkpoint
        build = Build(
            job=job,
            number=saved["number"],
            queue_id=saved["queue_id"],
            timestamp=saved["timestamp"],
            causes=[Cause(**c) for c in saved["causes"]],
            parameters=parameters,
            script=saved["script"],
            run=run,
            description=saved["description"],
            extra=dict(saved["extra"]),
        )
        job.builds[build.number] = build


def _restore_item(
    builds: BuildService, state: SandboxState, record: dict[str, Any], cipher: SecretCipher
) -> None:
    job = state.find_item(record["job"])
    if not isinstance(job, Job):
        return
    item = QueueItem(
        id=record["id"],
        job=job,
        causes=[Cause(**c) for c in record["causes"]],
        parameters=_params_in(record["parameters"], cipher),
        in_queue_since=record["in_queue_since"],
        buildable_at=record["buildable_at"],
        script=record["script"],
        state=record["state"],
        cancelled=record["cancelled"],
        build=job.builds.get(record["build"]) if record["build"] is not None else None,
        left_at=record["left_at"],
    )
    builds.items[item.id] = item
    if item.state != "left":
        job.queue.append(item)
        builds._arm(item)


def _jobs(state: SandboxState) -> list[Job]:
    return [i for i in state.root.walk() if isinstance(i, Job)]


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True
