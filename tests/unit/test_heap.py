"""A long-running process freezes what it built (later collections skip it); every command freezes its
heap at exit, registered once however many commands run in one process."""

from __future__ import annotations

import gc

import pytest

from bridge.cli import heap


def test_freezing_the_built_heap_moves_it_out_of_the_collected_generations() -> None:
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        heap.freeze_built_heap()
        assert gc.get_freeze_count() > 1000  # the test session's modules and objects, at least
    finally:
        gc.unfreeze()


def test_the_exit_freeze_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    registered: list[object] = []
    monkeypatch.setattr(heap.atexit, "register", registered.append)
    monkeypatch.setattr(heap, "_registered", False)
    heap.freeze_at_exit()
    heap.freeze_at_exit()
    assert registered == [gc.freeze]
