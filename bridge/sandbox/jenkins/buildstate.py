"""Build-side state of one sandbox instance: the queue, builds, and the hand-off to the pipeline engine.

Queue items live as in ``hudson.model.Queue``: *waiting* during the quiet period, *blocked* while a job
with ``disableConcurrentBuilds`` is running, *left* once started or cancelled (kept readable). Starting
a build allocates its number, applies what the Declarative script says about the job (``parameters``,
``disableConcurrentBuilds`` take effect from this run on, as in Jenkins) and starts a ``PipelineRun``.
All methods expect the instance lock (``SandboxState.lock``) to be held unless they say otherwise.
"""

from __future__ import annotations

import functools
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from bridge.sandbox.jenkins import acl, buildstep, casclibs, identity, itemjson, nodes, runcredentials
from bridge.sandbox.jenkins.cascsonar import lookup as sonar_lookup
from bridge.sandbox.jenkins.credtypes import SecretCipher
from bridge.sandbox.jenkins.itemxml import NO_CONCURRENT, PARAMS_PROPERTY, save_job_properties
from bridge.sandbox.jenkins.model import Job, ParameterDefinition, SandboxState
from bridge.sandbox.jenkins.pipeline import (
    CredentialValue,
    Downstream,
    NodeLease,
    Pipeline,
    PipelineRun,
    RunContext,
    Simulation,
    compile_program,
)
from bridge.sandbox.jenkins.pipeline.context import KUBERNETES_CD_SYMBOLS
from bridge.sandbox.jenkins.pipeline.graph import now_ms
from bridge.sandbox.jenkins.scmread import program_for

SIMULATION = "pipeline.simulation"  # services key: a pipeline.Simulation (tests set a fast time scale)
QUIET_PERIOD_SECONDS = 5.0
LEFT_ITEM_TTL_MS = 300_000


@dataclass
class Cause:
    java_class: str
    short_description: str
    user_id: str | None = None
    user_name: str | None = None
    # UpstreamCause (the ``build`` step): the upstream build, and the user at the root of its chain
    upstream_project: str | None = None
    upstream_build: int | None = None
    upstream_user: str | None = None


@dataclass
class ParamValue:
    type: str  # e.g. StringParameterValue
    name: str
    value: Any


@dataclass(eq=False)
class QueueItem:
    id: int
    job: Job
    causes: list[Cause]
    parameters: list[ParamValue]
    in_queue_since: int
    buildable_at: int
    script: str | None = None  # replay: the script to run instead of the job's
    state: str = "waiting"  # waiting | blocked | left
    cancelled: bool = False
    build: Build | None = None
    left_at: int = 0


@dataclass(eq=False)
class Build:
    job: Job
    number: int
    queue_id: int
    timestamp: int
    causes: list[Cause]
    parameters: list[ParamValue]
    script: str
    run: PipelineRun
    description: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    identity: acl.Identity = acl.SYSTEM  # what authorize-project chose when the build started

    @property
    def result(self) -> str | None:
        return self.run.result

    @property
    def building(self) -> bool:
        return self.run.result is None

    @property
    def duration(self) -> int:
        return 0 if self.run.finished_ms is None else self.run.finished_ms - self.timestamp


def _typed_default(definition: ParameterDefinition) -> Any:
    if definition.type == "BooleanParameterDefinition":
        return definition.default == "true"
    return definition.default


def write_cause(run: PipelineRun, cause: Cause) -> None:
    """``Cause.print``: a user cause hyperlinks the user name (a console note in the raw log)."""
    prefix = "Started by user "
    if cause.user_name is not None and cause.short_description.startswith(prefix):
        run.console.cause(prefix, cause.user_name)
    else:
        run.console.write(cause.short_description)


class BuildService:
    """Queue and builds of one instance; reach it with ``service(state, services)``."""

    def __init__(self, state: SandboxState, services: dict[str, Any]) -> None:
        self.state = state
        self.services = services
        self.items: dict[int, QueueItem] = {}
        self._ids = itertools.count(1)
        self._timers: list[threading.Timer] = []
        self._waiters: dict[int, list[Any]] = {}  # queue item id() -> wake-ups of `build` steps
        self.stopped = False

    @property
    def simulation(self) -> Simulation:
        sim = self.services.get(SIMULATION)
        return sim if isinstance(sim, Simulation) else Simulation()

    # -- queue -----------------------------------------------------------------------------------------
    def schedule(
        self,
        job: Job,
        *,
        causes: list[Cause],
        parameters: list[ParamValue],
        delay_seconds: float | None = None,
        script: str | None = None,
    ) -> tuple[QueueItem, bool]:
        """Queue a build; an identical pending request returns the existing item (``created`` False)."""
        self._expire_left()
        for item in self.items.values():
            if item.job is job and item.state != "left" and item.parameters == parameters and script is None:
                return item, False
        quiet = QUIET_PERIOD_SECONDS if delay_seconds is None else delay_seconds
        now = now_ms()
        item = QueueItem(
            id=next(self._ids),
            job=job,
            causes=causes,
            parameters=parameters,
            in_queue_since=now,
            buildable_at=now + int(quiet * 1000 * self.simulation.time_scale),
            script=script,
        )
        self.items[item.id] = item
        job.queue.append(item)
        self._arm(item)
        return item, True

    def _arm(self, item: QueueItem) -> None:
        delay = max(0.0, (item.buildable_at - now_ms()) / 1000)
        timer = threading.Timer(delay, self._tick)
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()]
        self._timers.append(timer)
        timer.start()

    def _tick(self) -> None:
        with self.state.lock:
            if not self.stopped:
                self.maintain()

    def maintain(self) -> None:
        """Start every due item whose job may run now; the rest wait (quiet period) or are blocked."""
        now = now_ms()
        for item in sorted(self.items.values(), key=lambda i: i.id):
            if item.state == "left" or item.buildable_at > now:
                continue
            job = item.job
            if not job.concurrent_build and any(b.building for b in job.builds.values()):
                item.state = "blocked"
                continue
            self._start(item)

    def cancel(self, item: QueueItem) -> bool:
        if item.state == "left":
            return False
        self._leave(item)
        item.cancelled = True
        return True

    def _leave(self, item: QueueItem) -> None:
        item.state = "left"
        item.left_at = now_ms()
        if item in item.job.queue:
            item.job.queue.remove(item)

    def _expire_left(self) -> None:
        limit = now_ms() - LEFT_ITEM_TTL_MS
        for item_id in [i.id for i in self.items.values() if i.state == "left" and i.left_at < limit]:
            del self.items[item_id]

    # -- builds ----------------------------------------------------------------------------------------
    def _start(self, item: QueueItem) -> None:
        job = item.job
        number = job.next_build_number
        job.next_build_number += 1
        script, program, obtained = program_for(job, item.script, compile_program)
        if isinstance(program, Pipeline):
            self._apply_declarative_properties(job, program, SecretCipher(self.state.instance_salt))
        previous = max(
            (b for b in job.builds.values() if not b.building), key=lambda b: b.number, default=None
        )
        who = identity.authenticate(self.state, job, item.causes)
        context = self.context(
            job,
            {
                "identity": None if who.is_system else who.name,
                "build_number": number,
                "build_url": f"{self.services.get('root_url', '')}{job.url_path}{number}/",
                "jenkins_url": self.services.get("root_url", ""),
                "parameters": {p.name: p.value for p in item.parameters},
                "parameter_defaults": {
                    d.name: _typed_default(d) for d in job.parameters if d.default is not None
                },
                "previous_result": previous.result if previous else None,
                "causes": [c.java_class.rsplit("$", 1)[-1].rsplit(".", 1)[-1] for c in item.causes],
            },
        )
        run = PipelineRun(
            program=program,
            source=script,
            context=context,
            simulation=self.simulation,
            on_finish=self._finished,
        )
        build = Build(job, number, item.id, now_ms(), item.causes, item.parameters, script, run, identity=who)
        job.builds[number] = build
        item.build = build
        self._leave(item)
        for cause in item.causes:
            write_cause(run, cause)
        for line in obtained:
            run.console.write(line)
        run.on_checkpoint = self._checkpoint
        run.start()
        self._checkpoint(run)

    def context(self, job: Job, saved: dict[str, Any]) -> RunContext:
        """A run's context from its plain (saveable) fields; ``RunContext.saved`` gives them back."""
        name = saved.get("identity")
        who = acl.SYSTEM if name is None else acl.identity_of_user(self.state, name)
        number = saved["build_number"]
        config = self.state.extensions.get("casc")
        sonar = tuple(self.services.get("sonar_installations") or ()) + (config.sonar if config else ())
        libraries, library_error = casclibs.retrieve(
            config.libraries if config is not None else (), self.services.get("mounts") or {}
        )
        return RunContext(
            plugin_symbols=KUBERNETES_CD_SYMBOLS if self.services.get("kubernetes_cd", True) else frozenset(),
            libraries=libraries,
            library_error=library_error,
            sonar=functools.partial(sonar_lookup, sonar, functools.partial(self._resolve, job, who)),
            sonar_installations=len(sonar),
            sonar_scanner=bool(self.services.get("sonar_scanner")),
            job_full_name=job.full_name,
            credentials=functools.partial(self._resolve, job, who),
            allocate=functools.partial(self._allocate, job, number, who),
            trigger=functools.partial(self._trigger, job, number, who),
            user_id=name,
            build_number=saved["build_number"],
            build_url=saved["build_url"],
            jenkins_url=saved["jenkins_url"],
            parameters=dict(saved["parameters"]),
            parameter_defaults=dict(saved["parameter_defaults"]),
            previous_result=saved["previous_result"],
            causes=tuple(saved["causes"]),
        )

    def _resolve(self, job: Job, who: acl.Identity, credentials_id: str) -> CredentialValue | None:
        with self.state.lock:
            return runcredentials.find_for_run(self.state, job, who, credentials_id)

    def _allocate(
        self, job: Job, number: int, who: acl.Identity, label: str | None, wake: Any
    ) -> NodeLease | str:
        # Called from the run's wait predicate, which holds the run's condition: never take the
        # instance lock here (request handlers take it before a run's condition).
        build = job.builds.get(number)
        return nodes.executors(self.state, self.services).allocate(build, who, label, wake)

    def _trigger(
        self,
        job: Job,
        number: int,
        who: acl.Identity,
        name: str,
        parameters: list[tuple[str, object]],
        wake: Any,
    ) -> Downstream:
        """``BuildTriggerStepExecution.start`` as ``who`` (see ``buildstep``), then schedule."""
        with self.state.lock:
            target = buildstep.resolve_target(self.state, who, name, job)
            upstream = job.builds.get(number)
            cause = Cause(**buildstep.upstream_cause(job, number, upstream.causes if upstream else []))
            values = [ParamValue(*v) for v in buildstep.parameter_values(target, parameters, _typed_default)]
            queued, _ = self.schedule(target, causes=[cause], parameters=values)
            self._waiters.setdefault(id(queued), []).append(wake)
        display = itemjson.full_display_name(target)

        def state() -> tuple[int | None, str | None]:
            # read without the instance lock: the caller holds the upstream run's condition
            build = queued.build
            if build is None:
                return None, "ABORTED" if queued.cancelled else None
            return build.number, build.result

        return Downstream(display, state)

    @staticmethod
    def _apply_declarative_properties(job: Job, program: Pipeline, cipher: SecretCipher) -> None:
        # pipeline-model-definition Utils.getParametersToApply: the Jenkinsfile's parameters, then the
        # job's other ones except those an earlier Jenkinsfile declared (DeclarativeJobPropertyTrackerAction).
        declared = [p.name for p in program.parameters]
        tracked = set(job.engine.get("declarative_parameters", ()))
        saves = bool(program.parameters or tracked or program.disable_concurrent_builds)
        if program.parameters or tracked:
            job.parameters = [
                ParameterDefinition(
                    type=p.type,
                    name=p.name,
                    description=p.description,
                    default=("true" if p.default else "false") if isinstance(p.default, bool) else p.default,
                    choices=list(p.choices),
                )
                for p in program.parameters
            ] + [p for p in job.parameters if p.name not in declared and p.name not in tracked]
            job.engine["declarative_parameters"] = declared
            if PARAMS_PROPERTY not in job.properties:
                job.properties.append(PARAMS_PROPERTY)
        if program.disable_concurrent_builds:
            job.concurrent_build = False
            if NO_CONCURRENT not in job.properties:
                job.properties.append(NO_CONCURRENT)
        if saves:  # the properties step saves the job (XmlFile): config.xml shows them from now on
            job.config_posted = False
            save_job_properties(job, cipher)

    def _finished(self, run: PipelineRun) -> None:
        with self.state.lock:
            if self.stopped:
                return
            self.maintain()
            wakes = [
                w
                for item in self.items.values()
                if item.build is not None and item.build.run is run
                for w in self._waiters.pop(id(item), [])
            ]
        for wake in wakes:
            wake()
        self._checkpoint(run)

    def _checkpoint(self, run: PipelineRun) -> None:
        """With ``state_dir``: save when a build starts, pauses at an input and ends (``build.xml``)."""
        persist = self.services.get("persist")
        if callable(persist) and not self.stopped:
            persist()

    def stop(self) -> None:
        """Controller shutdown: no more scheduling; running builds are suspended, to resume after a start."""
        with self.state.lock:
            self.stopped = True
            for timer in self._timers:
                timer.cancel()
            running = [b for job in _jobs(self.state) for b in job.builds.values() if b.building]
        for build in running:
            build.run.suspend()
        for build in running:
            build.run.join(5)


def _jobs(state: SandboxState) -> list[Job]:
    return [i for i in state.root.walk() if isinstance(i, Job)]


def service(state: SandboxState, services: dict[str, Any]) -> BuildService:
    """The instance's BuildService, created on first use (call with the lock held)."""
    found = state.extensions.get("builds")
    if not isinstance(found, BuildService):
        found = BuildService(state, services)
        state.extensions["builds"] = found
    return found
