"""Only a duplicate becomes 409; any other integrity error is a bug (500, logged), on both databases."""

from __future__ import annotations

import logging

import pytest

from bridge.domain.model import Project, Workspace
from bridge.errors import Conflict
from bridge.store import Store
from bridge.store.integrity import IntegrityBug


def test_a_duplicate_row_is_a_conflict(store: Store) -> None:
    with store.write() as tx:
        tx.workspaces.insert(Workspace(name="ws"))
    # a second writer that checked before the first committed
    with pytest.raises(Conflict, match="exists already"), store.write() as tx:
        tx.workspaces.insert(Workspace(name="ws"))


def test_a_foreign_key_violation_is_a_logged_bug_not_a_conflict(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bridge.store.integrity")
    # the service would have refused the unknown workspace first
    with pytest.raises(IntegrityBug) as caught, store.write() as tx:
        tx.projects.insert(Project(name="orphan", workspace="no-such-workspace"))
    assert not isinstance(caught.value, Conflict) and caught.value.status == 500
    [record] = [r for r in caplog.records if r.name == "bridge.store.integrity"]
    assert "not a duplicate" in record.getMessage()
    assert ("sqlite:787" in record.getMessage()) or ("postgresql:23503" in record.getMessage())
    assert "orphan" not in record.getMessage()  # the row's values stay out of the log


def test_deleting_a_row_still_referenced_is_a_bug_too(store: Store) -> None:
    with store.write() as tx:
        tx.workspaces.insert(Workspace(name="ws"))
        tx.projects.insert(Project(name="p", workspace="ws"))
    # the service checks for projects first (409 "still has projects")
    with pytest.raises(IntegrityBug), store.write() as tx:
        tx.workspaces.delete("ws")
