"""The bounded pool of one Jenkins controller: projects side by side, each project's steps in order.

A project's actions depend on each other (its folder before its credentials and jobs, deletes
innermost first) and are applied in the plan's order on one thread; different projects do not
depend on each other, so up to ``workers`` of them are observed or applied at the same time. The
pool is per controller (one ``Provisioner`` per Jenkins), so one slow controller never holds up
another's bound. ``workers = 1`` is the sequential pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def in_order_per_group(
    groups: Mapping[str, Sequence[T]],
    step: Callable[[T], None],
    *,
    workers: int,
    done: Callable[[str], None] | None = None,
) -> None:
    """``step`` every item; a group's items in order on one thread, up to ``workers`` groups at once;
    ``done(group)`` after a group's last item (on its thread)."""

    def run(name: str, items: Sequence[T]) -> None:
        try:
            for item in items:
                step(item)
        finally:
            if done is not None:
                done(name)

    if workers <= 1 or len(groups) <= 1:
        for name, items in groups.items():
            run(name, items)
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(groups)), thread_name_prefix="reconcile") as pool:
        for future in [pool.submit(run, name, items) for name, items in groups.items()]:
            future.result()  # an unexpected error is raised here, as in a sequential pass


def bounded_map(call: Callable[[str], R], names: Iterable[str], *, workers: int) -> dict[str, R]:
    """``call`` each name, up to ``workers`` at once; results by name (exceptions raised)."""
    names = list(names)
    if workers <= 1 or len(names) <= 1:
        return {name: call(name) for name in names}
    with ThreadPoolExecutor(max_workers=min(workers, len(names)), thread_name_prefix="observe") as pool:
        futures = {name: pool.submit(call, name) for name in names}
        return {name: future.result() for name, future in futures.items()}


def grouped(items: Iterable[T], project: Callable[[T], str]) -> dict[str, list[T]]:
    """Items by project, keeping their order."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(project(item), []).append(item)
    return groups
