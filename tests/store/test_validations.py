"""Stored Jenkinsfile verdicts on both databases: held back from the reconciler, released by the worker,
gone with their pipeline (or its project)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bridge.domain.model import Pipeline, Project, ScmSource, Workspace
from bridge.domain.validation import LintError, Validation, ValidationStatus
from bridge.errors import Forbidden, UpstreamError, UpstreamUnavailable
from bridge.reconcile.ports import Kind, Ref
from bridge.services.jenkinsfiles import Jenkinsfiles
from bridge.services.pipelines import PipelineService
from bridge.services.projects import ProjectService
from bridge.services.workspaces import WorkspaceService
from bridge.store import Store, StoreDesiredState
from bridge.store.tables import pipeline_validations

GOOD, BAD = "pipeline { good }", "pipeline { bad }"
KEY = Ref(Kind.PIPELINE, "demo", "p")


class Linter:
    """Judges by content; ``down`` makes it unreachable."""

    def __init__(self) -> None:
        self.down = False
        self.asked: list[str] = []

    def validate_jenkinsfile(self, text: str) -> Validation:
        self.asked.append(text)
        if self.down:
            raise UpstreamUnavailable("down")
        if text == BAD:
            return Validation(ValidationStatus.INVALID, errors=(LintError("Missing", 1, 1),))
        return Validation(ValidationStatus.VALID)


def _setup(store: Store) -> tuple[PipelineService, Linter]:
    WorkspaceService(store).create(Workspace(name="ws"))
    ProjectService(store).create(Project(name="demo", workspace="ws"))
    linter = Linter()
    return PipelineService(store, Jenkinsfiles(linter)), linter


def _rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(pipeline_validations)).scalar_one())


def test_an_invalid_jenkinsfile_is_stored_but_not_desired(store: Store) -> None:
    pipelines, _ = _setup(store)
    created = pipelines.create(Pipeline(project="demo", name="p", jenkinsfile=BAD))
    assert created.validation is not None and created.validation.status is ValidationStatus.INVALID
    assert created.validation.errors == (LintError("Missing", 1, 1),)
    assert created.sync is not None and "1 error" in (created.sync.message or "")
    assert StoreDesiredState(store).pipelines("demo") == []
    fixed = pipelines.update("demo", "p", jenkinsfile=GOOD)
    assert fixed.validation is not None and fixed.validation.status is ValidationStatus.VALID
    assert [p.name for p in StoreDesiredState(store).pipelines("demo")] == ["p"]


def test_unchanged_jenkinsfiles_are_not_asked_again(store: Store) -> None:
    pipelines, linter = _setup(store)
    pipelines.create(Pipeline(project="demo", name="p", jenkinsfile=GOOD))
    pipelines.update("demo", "p", description="other")
    assert linter.asked == [GOOD]


def test_pending_is_released_by_the_worker_and_queued(store: Store) -> None:
    pipelines, linter = _setup(store)
    desired = StoreDesiredState(store)
    linter.down = True
    created = pipelines.create(Pipeline(project="demo", name="p", jenkinsfile=GOOD))
    assert created.validation is not None and created.validation.status is ValidationStatus.PENDING
    assert desired.pipelines("demo") == []
    desired.take_dirty()
    assert desired.pending_jenkinsfiles() == [(KEY, GOOD)]
    assert desired.record_validation(KEY, GOOD, Validation(ValidationStatus.VALID))
    assert desired.take_dirty() == [KEY]  # the next pass syncs it
    assert desired.pending_jenkinsfiles() == []
    assert not desired.record_validation(KEY, GOOD, Validation(ValidationStatus.INVALID))  # settled already
    assert [p.name for p in desired.pipelines("demo")] == ["p"]


def test_verdicts_go_with_their_pipeline_project_or_jenkinsfile(store: Store) -> None:
    pipelines, _ = _setup(store)
    pipelines.create(Pipeline(project="demo", name="p", jenkinsfile=BAD))
    pipelines.create(Pipeline(project="demo", name="q", jenkinsfile=GOOD))
    pipelines.create(Pipeline(project="demo", name="r", jenkinsfile=GOOD))
    assert _rows(store) == 3
    switched = pipelines.update(
        "demo", "r", jenkinsfile=None, scm=ScmSource(url="https://git.example.com/r.git")
    )
    assert switched.validation is None and _rows(store) == 2
    pipelines.delete("demo", "p")
    assert _rows(store) == 1
    ProjectService(store).delete("demo")
    assert _rows(store) == 0


class Refusing:
    def validate_jenkinsfile(self, text: str) -> Validation:
        raise Forbidden("Jenkins says no to the bridge's own account")


def test_jenkins_refusing_the_bridge_is_an_upstream_error_not_the_callers(store: Store) -> None:
    _setup(store)
    pipelines = PipelineService(store, Jenkinsfiles(Refusing()))
    with pytest.raises(UpstreamError) as raised:
        pipelines.validate("demo", GOOD)
    assert raised.value.status == 502
    created = pipelines.create(Pipeline(project="demo", name="p", jenkinsfile=GOOD))
    assert created.validation is not None and created.validation.status is ValidationStatus.PENDING
