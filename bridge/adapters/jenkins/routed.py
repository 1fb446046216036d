"""The run, run-view, action and log ports of several controllers behind one port each: a request goes
to the controller holding the project named by its item path's first segment (``project/pipeline``).

``route`` answers the controller of a project (the composition root reads its placement from the
store); a project no controller serves is a 409 saying so. A queue id means nothing across
controllers, so ``queue_item`` is never routed: the run follower reads each controller's own views.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bridge.adapters.jenkins.coalesce import CachedRunViews
from bridge.adapters.jenkins.port import QueuedRun, RequestCounter, RunPort
from bridge.adapters.jenkins.runport import BuildInfo, InputStep, QueueState, RunActionPort, RunViewPort
from bridge.errors import Conflict

if TYPE_CHECKING:
    from bridge.adapters.jenkins.logs import LogPage, LogPort, RunState, StageSteps
    from bridge.identity.attribution import Actor

T = TypeVar("T")
#: project → the controller holding its folder (``None``: none serves its cluster).
Route = Callable[[str], str | None]


class _Routed(Generic[T]):
    def __init__(self, ports: Mapping[str, T], route: Route) -> None:
        self.ports, self.route = dict(ports), route

    def _to(self, path: str) -> T:
        project = path.split("/", 1)[0]
        name = self.route(project)
        if name is None or name not in self.ports:
            raise Conflict(f"project {project!r} is placed on a cluster that no Jenkins controller serves")
        return self.ports[name]


class RoutedRuns(_Routed[RunPort], RunPort):
    def trigger_run(self, job_path: str, parameters: Mapping[str, str], actor: Actor) -> QueuedRun:
        return self._to(job_path).trigger_run(job_path, parameters, actor)

    def proceed_input(
        self,
        job_path: str,
        build: int,
        input_id: str,
        parameters: Mapping[str, str],
        actor: Actor,
        *,
        earlier: Sequence[str] = (),
    ) -> None:
        self._to(job_path).proceed_input(job_path, build, input_id, parameters, actor, earlier=earlier)

    def abort_input(self, job_path: str, build: int, input_id: str, actor: Actor) -> None:
        self._to(job_path).abort_input(job_path, build, input_id, actor)

    def expire_input(self, job_path: str, build: int, input_id: str, note: str) -> None:
        self._to(job_path).expire_input(job_path, build, input_id, note)

    def forget(self, user: str) -> bool:
        """Every controller forgets the user (each may hold a token of theirs)."""
        return all([port.forget(user) for port in self.ports.values()])


class RoutedViews(_Routed[CachedRunViews], RunViewPort):
    """Run views (each controller's ``CachedRunViews``), with the cache's ``changed``."""

    def queue_item(self, queue_id: int) -> QueueState | None:
        raise NotImplementedError("queue ids are per controller: read that controller's views")

    def last_builds(self, folder: str) -> Mapping[str, int]:
        return self._to(folder).last_builds(folder)

    def builds(self, job_path: str) -> Sequence[BuildInfo]:
        return self._to(job_path).builds(job_path)

    def build(self, job_path: str, number: int) -> BuildInfo:
        return self._to(job_path).build(job_path, number)

    def describe(self, job_path: str, number: int) -> Mapping[str, Any]:
        return self._to(job_path).describe(job_path, number)

    def pending_inputs(self, job_path: str, number: int) -> Sequence[Mapping[str, Any]]:
        return self._to(job_path).pending_inputs(job_path, number)

    def input_steps(self, job_path: str, number: int) -> Sequence[InputStep]:
        return self._to(job_path).input_steps(job_path, number)

    def stage(self, job_path: str, number: int, node_id: str) -> Mapping[str, Any]:
        return self._to(job_path).stage(job_path, number, node_id)

    def changed(self, job_path: str, number: int) -> None:
        self._to(job_path).changed(job_path, number)


class RoutedActions(_Routed[RunActionPort], RunActionPort):
    def stop(self, job_path: str, number: int, actor: Actor) -> None:
        self._to(job_path).stop(job_path, number, actor)

    def replay(self, job_path: str, number: int, script: str, actor: Actor) -> None:
        self._to(job_path).replay(job_path, number, script, actor)


class RoutedLogs(_Routed["LogPort"]):
    """Logs of the controller holding each run; ``counter``: the default controller's."""

    def __init__(
        self, ports: Mapping[str, LogPort], route: Route, counter: RequestCounter | None = None
    ) -> None:
        super().__init__(ports, route)
        self.counter = counter

    def run_log(self, job_path: str, build: int, start: int = 0) -> LogPage:
        return self._to(job_path).run_log(job_path, build, start)

    def node_log(self, job_path: str, build: int, node: str, start: int = 0) -> LogPage:
        return self._to(job_path).node_log(job_path, build, node, start)

    def stage_steps(self, job_path: str, build: int, stage: str) -> StageSteps:
        return self._to(job_path).stage_steps(job_path, build, stage)

    def run_state(self, job_path: str, build: int) -> RunState:
        return self._to(job_path).run_state(job_path, build)
