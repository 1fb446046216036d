"""What the run index and the run views need from Jenkins (reads), and the shapes they come back in.

``RunViewPort`` is implemented over HTTP by ``runviews.JenkinsRunViews`` and wrapped by
``coalesce.CachedRunViews`` (one Jenkins request per run and resource per refresh interval, however
many readers). ``RunActionPort`` stops and replays runs for a real user (``runactions.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bridge.identity.attribution import Actor


@dataclass(frozen=True)
class Cause:
    kind: str  # the cause's ``_class``
    description: str = ""
    user: str | None = None


@dataclass(frozen=True)
class BuildInfo:
    """A build as Jenkins lists it (``api/json``): enough to index it."""

    number: int
    building: bool
    result: str | None
    timestamp_ms: int
    duration_ms: int
    queue_id: int | None = None
    causes: Sequence[Cause] = ()
    #: Parameter values by name; password values are left out (Jenkins sends none anyway).
    parameters: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None


@dataclass(frozen=True)
class QueueState:
    """A queue item: its build number once it left the queue, or that it was cancelled."""

    number: int | None = None
    cancelled: bool = False
    why: str | None = None


@dataclass(frozen=True)
class InputStep:
    """A pending ``input`` step as ``N/input/api/json`` exports it (``InputStep`` of an execution)."""

    id: str
    message: str
    ok: str = "Proceed"
    #: comma-separated user ids and groups; ``None``: anyone who may build the job
    submitter: str | None = None
    #: each ``{"name", "type", "description"}``
    parameters: Sequence[Mapping[str, str]] = ()


class RunViewPort(Protocol):
    def queue_item(self, queue_id: int) -> QueueState | None:
        """``None``: Jenkins no longer knows the item (it forgets left items after a few minutes)."""
        ...

    def last_builds(self, folder: str) -> Mapping[str, int]:
        """Each job of the folder with the number of its newest build (jobs without builds left out)."""
        ...

    def builds(self, job_path: str) -> Sequence[BuildInfo]:
        """The job's builds Jenkins still keeps (its newest 100), newest first."""
        ...

    def build(self, job_path: str, number: int) -> BuildInfo:
        """One build (``NotFound`` when discarded or never there)."""
        ...

    def describe(self, job_path: str, number: int) -> Mapping[str, Any]:
        """Stage View's ``wfapi/describe?fullStages=true`` of the build."""
        ...

    def pending_inputs(self, job_path: str, number: int) -> Sequence[Mapping[str, Any]]:
        """Stage View's ``wfapi/pendingInputActions`` of the build."""
        ...

    def input_steps(self, job_path: str, number: int) -> Sequence[InputStep]:
        """The build's pending ``input`` steps with their submitter lists (empty when none waits)."""
        ...

    def stage(self, job_path: str, number: int, node_id: str) -> Mapping[str, Any]:
        """Stage View's ``execution/node/ID/wfapi/describe`` of a stage: its steps (at most 100)."""
        ...


class RunActionPort(Protocol):
    def stop(self, job_path: str, number: int, actor: Actor) -> None:
        """Abort a running build (``stop``), recorded in Jenkins as the actor's doing."""
        ...

    def replay(self, job_path: str, number: int, script: str, actor: Actor) -> None:
        """Replay a build with a changed main script (``replay/run``); Jenkins gives no queue item."""
        ...
