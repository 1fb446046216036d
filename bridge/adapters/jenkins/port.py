"""What the bridge needs from one Jenkins, as a Protocol (the real adapter and test fakes implement it).

Observation is shaped for few requests: one ``tree=`` query per folder returns the folder and every
item in it with its description, one per folder store returns every credential with its description.
Writes are single requests; none checks first (the reconciler already observed).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bridge.identity.attribution import Actor


@dataclass(frozen=True)
class ObservedItem:
    """A job, folder or credential as Jenkins lists it (``kind`` is ``_class`` or ``typeName``)."""

    name: str
    kind: str = ""
    description: str | None = None


@dataclass(frozen=True)
class ObservedFolder:
    kind: str
    description: str | None
    items: Mapping[str, ObservedItem] = field(default_factory=dict)

    @property
    def is_folder(self) -> bool:
        return self.kind == "" or self.kind.endswith(".Folder")


class RequestCounter:
    """Requests sent to Jenkins, by HTTP method (thread-safe); what the benchmark reports."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        #: Called after every request with (method, URL path, status or ``None`` when Jenkins could
        #: not be reached): the metrics (``bridge.metrics``) hook in here.
        self.observers: list[Callable[[str, str, int | None], None]] = []

    def add(self, method: str) -> None:
        with self._lock:
            self._counts[method.upper()] += 1

    def outcome(self, method: str, path: str, status: int | None) -> None:
        """Tell the observers how a counted request ended."""
        for observer in self.observers:
            observer(method, path, status)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    @property
    def writes(self) -> int:
        """Every request that is not a read (GET/HEAD)."""
        return sum(n for method, n in self.snapshot().items() if method not in ("GET", "HEAD"))

    @property
    def total(self) -> int:
        return sum(self.snapshot().values())


class JenkinsPort(Protocol):
    counter: RequestCounter

    def observe_folder(self, folder: str) -> ObservedFolder | None:
        """The folder and the items in it, or ``None`` if no item has that path."""
        ...

    def observe_credentials(self, folder: str) -> Mapping[str, ObservedItem]:
        """Credentials in the folder's store, by id."""
        ...

    def create_item(self, path: str, config: bytes) -> None:
        """Create a folder or job from config.xml (parent folder must exist)."""
        ...

    def item_config(self, path: str) -> bytes: ...

    def update_item(self, path: str, config: bytes) -> None: ...

    def delete_item(self, path: str) -> None:
        """Delete an item (a folder with everything in it); ``NotFound`` if it is not there."""
        ...

    def create_credential(self, folder: str, config: bytes) -> None: ...

    def update_credential(self, folder: str, credential_id: str, config: bytes) -> None: ...

    def delete_credential(self, folder: str, credential_id: str) -> None: ...

    def ping(self) -> str:
        """Who the bridge is authenticated as (raises when Jenkins is unreachable or refuses)."""
        ...


@dataclass(frozen=True)
class QueuedRun:
    """Where Jenkins queued a run: the queue item's absolute URL and number (the build comes later)."""

    url: str
    number: int


class RunPort(Protocol):
    """Runs and input decisions, each for a real user (``Actor``); see ``runs.py`` for the two modes.

    Every method raises the bridge's error vocabulary; an input the actor may not decide raises
    ``InputRefused`` (a ``Forbidden``), whichever side (the bridge or Jenkins) refused it.
    """

    def trigger_run(self, job_path: str, parameters: Mapping[str, str], actor: Actor) -> QueuedRun:
        """Queue a run of the job with these parameters (others keep their defaults)."""
        ...

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
        """Approve a pending ``input`` step, with values for its parameters (if it has any); ``earlier``
        approvers (when several were required) are noted on the run beside the actor."""
        ...

    def abort_input(self, job_path: str, build: int, input_id: str, actor: Actor) -> None:
        """Reject a pending ``input`` step (the run ends ABORTED, "Rejected by <user>")."""
        ...

    def expire_input(self, job_path: str, build: int, input_id: str, note: str) -> None:
        """Reject a pending input for nobody (it waited too long): the service account aborts it and
        ``note`` is appended to the run's description, in either mode."""
        ...

    def forget(self, user: str) -> bool:
        """The user lost their access to the bridge: drop their Jenkins identity, if the mode keeps one.

        ``False`` when Jenkins could not be told."""
        ...
