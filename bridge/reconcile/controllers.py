"""A pass over several Jenkins controllers: one ``Provisioner`` (and bounded pool) per controller.

Each controller's provisioner reconciles the projects placed on it (``Placement.controller``) and the
tombstones meant for it; the controllers run side by side, one thread each, so a slow or unreachable
controller never holds another up. Their results are merged into one ``PassResult`` (the worker's
backoff and resync answers see one pass).

**Moves.** A project placed on another cluster may move to another controller. Its folder is created
on the new controller by that controller's pass; the folder on the old one goes only afterwards: once
the new folder is synced (its sync state, in the store), each controller whose ownership ledger still
holds the folder of a project placed elsewhere deletes it, if it is ours (marker or ledger), with
everything in it. Pipelines and credentials are store rows, so nothing is lost: the new folder gets
them all. A new controller that cannot be reached leaves the old folder where it is.

``held`` and ``guard`` (leases, several workers: ``leases.py``): only the controllers this worker holds
are reconciled, each under its guard so that a hand-over waits for the pass.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from bridge.domain.model import Project
from bridge.domain.plan import PROJECT, Ref
from bridge.reconcile.outcome import PassResult
from bridge.reconcile.ports import DesiredState
from bridge.reconcile.provision import Provisioner
from bridge.reconcile.runsync import RunFollower

log = logging.getLogger(__name__)

#: project → the controller holding its folder (``None``: no Jenkins serves its cluster).
Placed = Callable[[Project], str | None]
#: Of these projects, the ones whose folder is synced where they are placed now.
Arrived = Callable[[Collection[str]], Collection[str]]
#: Work on a controller (True: this worker may; a lease hand-over waits for it: ``leases.py``).
Guard = Callable[[str], contextlib.AbstractContextManager[bool]]


def _always(controller: str) -> contextlib.AbstractContextManager[bool]:
    return contextlib.nullcontext(True)


class ControllerPasses:
    def __init__(
        self,
        provisioners: Mapping[str, Provisioner],
        *,
        desired: DesiredState,
        placed: Placed,
        arrived: Arrived,
        held: Callable[[], Collection[str]] | None = None,
        guard: Guard = _always,
    ) -> None:
        self.provisioners = dict(provisioners)
        self._desired, self._placed, self._arrived = desired, placed, arrived
        self.held, self.guard = held, guard
        self._moves_checked = float("-inf")

    def due_moves(self, *, every: float = 5.0, now: Callable[[], float] = time.monotonic) -> set[str]:
        """Projects whose old folder a controller of this worker still holds while the new one is
        synced (at most every ``every`` seconds): a poll takes them, so a move finishes even when
        another worker created the new folder (leases)."""
        if now() - self._moves_checked < every:
            return set()
        self._moves_checked = now()
        projects = self._desired.projects()
        return {project for name in self.active() for project in self._moved_from(name, projects)}

    def _moved_from(self, controller: str, projects: Sequence[Project]) -> set[str]:
        """Of ``projects``, those placed elsewhere whose folder ``controller``'s ledger still holds
        while their new folder is synced."""
        elsewhere = [p.name for p in projects if self._placed(p) not in (None, controller)]
        if not elsewhere:
            return set()
        owned = self._desired.owned(elsewhere, jenkins=controller)
        left = {r.project for r in owned if r.kind == PROJECT}
        return set(self._arrived(left)) if left else set()

    def active(self) -> dict[str, Provisioner]:
        """The controllers this worker reconciles now (all of them without leases)."""
        held = None if self.held is None else set(self.held())
        return {n: p for n, p in self.provisioners.items() if held is None or n in held}

    def invalidate(self, keys: Iterable[Ref]) -> None:
        keys = list(keys)
        for provisioner in self.provisioners.values():
            provisioner.invalidate(keys)

    def run(
        self, projects: Iterable[str] | None = None, *, dry_run: bool = False, deep: bool | None = None
    ) -> PassResult:
        wanted = None if projects is None else sorted(set(projects))
        active = self.active()

        def one(name: str) -> PassResult:
            with self.guard(name) as ok:
                return active[name].run(wanted, dry_run=dry_run, deep=deep) if ok else PassResult()

        if len(active) <= 1:
            results = [one(name) for name in active]
        else:
            with ThreadPoolExecutor(max_workers=len(active), thread_name_prefix="controller") as pool:
                results = list(pool.map(one, list(active)))
        if not dry_run:
            results += self._finish_moves(active, wanted)
        return merge(results, dry_run=dry_run)

    def _finish_moves(self, active: Mapping[str, Provisioner], wanted: list[str] | None) -> list[PassResult]:
        """Delete the old folders of projects that moved and are synced where they are now."""
        every = [p for p in self._desired.projects() if wanted is None or p.name in wanted]
        results: list[PassResult] = []
        for name, provisioner in active.items():
            leaving = sorted(self._moved_from(name, every))
            if leaving:
                log.info("moved projects leave controller %s: %s", name, ", ".join(leaving))
                with self.guard(name) as ok:
                    if ok:
                        results.append(provisioner.run(leaving, leaving=leaving))
        return results


def merge(results: Iterable[PassResult], *, dry_run: bool = False) -> PassResult:
    """The controllers' results as one pass's."""
    merged = PassResult(dry_run=dry_run)
    for r in results:
        merged.actions += r.actions
        merged.applied += r.applied
        merged.errors.update(r.errors)
        merged.retry |= r.retry
        for project, after in r.retry_after.items():
            merged.retry_after[project] = max(merged.retry_after.get(project, 0.0), after)
    return merged


class ControllerFollowers:
    """The run index's worker side over several controllers: one ``RunFollower`` each (a queue id
    means something on its own controller only), each following the runs of its projects."""

    def __init__(
        self,
        followers: Mapping[str, RunFollower],
        held: Callable[[], Collection[str]] | None = None,
        guard: Guard = _always,
    ) -> None:
        self.followers = dict(followers)
        self.held, self.guard = held, guard

    def _each(self, job: Callable[[RunFollower], int]) -> int:
        held = None if self.held is None else set(self.held())
        done = 0
        for name, follower in self.followers.items():
            if held is None or name in held:
                with self.guard(name) as ok:
                    done += job(follower) if ok else 0
        return done

    def follow(self) -> int:
        return self._each(RunFollower.follow)

    def discover(self) -> int:
        return self._each(RunFollower.discover)
