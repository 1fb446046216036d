"""What reconciliation needs from the store, as a port.

The store (``bridge.store``) implements ``DesiredState``; reconcilers and the worker depend only on
this Protocol, so they can be unit-tested with a plain in-memory implementation.

Keys are the domain's one key type, ``Ref`` (``bridge/domain/refs.py``): ``Ref(Kind.PROJECT, "demo")``,
``Ref(Kind.PIPELINE, "demo", "build")``, ``Ref(Kind.CREDENTIAL, "demo", "rohan")``. A project key
covers its folder only; a full pass walks every project.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence, Set
from dataclasses import dataclass
from typing import Protocol

from bridge.domain.model import Credential, Pipeline, Project, SyncState
from bridge.domain.refs import Kind, Ref
from bridge.identity.tenancy import Member

__all__ = ["DesiredState", "Kind", "Ref", "Tombstone"]


@dataclass(frozen=True)
class Tombstone:
    """A deleted object still to be removed from Jenkins (deletes never block on Jenkins)."""

    key: Ref
    jenkins: str = "default"


class DesiredState(Protocol):
    def projects(self) -> Sequence[Project]:
        """Every live project."""
        ...

    def project(self, name: str) -> Project | None: ...

    def credentials(self, project: str) -> Sequence[Credential]:
        """Live credentials of a project, with secret data decrypted (never log them)."""
        ...

    def pipelines(self, project: str) -> Sequence[Pipeline]: ...

    def members(self, project: str) -> Sequence[Member]:
        """The role bindings on the project and on its workspace (what its Jenkins folder grants)."""
        ...

    def tombstones(self) -> Sequence[Tombstone]: ...

    def forget_tombstone(self, tombstone: Tombstone) -> None:
        """Called after Jenkins no longer has the object."""
        ...

    def record_sync(self, key: Ref, state: SyncState) -> None:
        """Store the outcome of applying one object (shown by the API as its sync state)."""
        ...

    def record_syncs(self, states: Sequence[tuple[Ref, SyncState]]) -> None:
        """Several outcomes at once (one transaction), each as ``record_sync`` would store it."""
        ...

    def take_dirty(self, limit: int = 100) -> Sequence[Ref]:
        """Keys written through the API since they were last taken; each key appears once (merged)."""
        ...

    def owned(self, projects: Collection[str], *, jenkins: str = "default") -> Set[Ref]:
        """Items in these projects the bridge created in the controller ``jenkins`` (or saw carrying
        its marker there).

        A ledger that survives restarts. The marker in Jenkins stays the source of truth; the ledger
        only lets the bridge recognise its own item after someone stripped the marker.
        """
        ...

    def record_owned(
        self, *, add: Iterable[Ref] = (), remove: Iterable[Ref] = (), jenkins: str = "default"
    ) -> None:
        """Update the controller's ledger in one transaction (removals first)."""
        ...
