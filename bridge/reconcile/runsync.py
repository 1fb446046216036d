"""The run index's worker side: follow queued runs, refresh active ones, discover the rest, apply retention.

``follow`` (every second or so): the rows whose ``next_refresh_at`` has come. A queued run's queue item
is read until Jenkins gives it a build number (or cancels it); an active run's build (and, while it
runs, its Stage View graph) is read through the same cache the API reads through; the next refresh
backs off while nothing changes (``domain.runs.refresh_delay``). A finished run is written with its
final graph and never read from Jenkins again.

``discover`` (every ``run_discover_interval``): one request per project folder gives each job's newest
build number; only a job with builds the index lacks is listed (its newest 100 builds). New builds are
matched to the rows the API wrote (same queue item; a replay the API asked for), or indexed with the
trigger their causes tell (cron, replay, started in Jenkins). Then the pipeline's build discarder is
applied to the index (``domain.runs.expired``): what Jenkins throws away, the index forgets.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from bridge.adapters.jenkins.runport import BuildInfo, RunViewPort
from bridge.domain.model import Pipeline
from bridge.domain.rungraph import graph_of
from bridge.domain.runs import Run, expired
from bridge.errors import BridgeError, NotFound, UpstreamUnavailable
from bridge.services.runindex import advance, finished_by_queue, observed, trigger_of
from bridge.store import Store, Tx
from bridge.store.runs import RunFilter

log = logging.getLogger(__name__)

_ANY = RunFilter()

#: Called after a replay the API asked for was found as a build: (job path, number, note) in Jenkins.
Noter = Callable[[str, int, str], None]


class RunFollower:
    def __init__(
        self,
        store: Store,
        views: RunViewPort,
        *,
        first: float = 2.0,
        most: float = 30.0,
        note: Noter | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        owns: Callable[[], Collection[str]] | None = None,
    ) -> None:
        """``owns``: the projects on this follower's controller (``None``: every project)."""
        self.store, self.views, self.first, self.most, self.clock = store, views, first, most, clock
        self.note = note
        self.owns = owns
        self._lock = threading.Lock()

    # -- follow --------------------------------------------------------------------------------

    def follow(self) -> int:
        """Refresh every run that is due; the number refreshed."""
        with self._lock:
            with self.store.read() as tx:
                due = tx.runs.due(self.clock())
            if self.owns is not None and due:
                mine = set(self.owns())
                due = [r for r in due if r.project in mine]
            done = 0
            for run in due:
                try:
                    self._refresh(run)
                    done += 1
                except UpstreamUnavailable as e:
                    log.info("Jenkins unavailable while following runs: %s", e.detail)
                    self._later(run)
                    break
                except BridgeError as e:
                    log.warning(
                        "could not refresh run %s/%s #%s: %s", run.project, run.pipeline, run.number, e.detail
                    )
                    self._later(run)
            return done

    def _later(self, run: Run) -> None:
        self._save(run, advance(run, run, self.clock(), first=self.first, most=self.most))

    def _save(self, before: Run, after: Run) -> None:
        with self.store.write() as tx:
            current = tx.runs.by_id(before.id or 0)
            if current is not None:
                tx.runs.save(after.with_(id=current.id))

    def _refresh(self, run: Run) -> None:
        path = f"{run.project}/{run.pipeline}"
        now = self.clock()
        if run.number is None:
            if run.queue_id is None:  # a replay: discovery matches it to its build
                self._save(run, run.with_(next_refresh_at=None))
                return
            state = self.views.queue_item(run.queue_id)
            if state is None or state.cancelled:
                if state is None and self._claim_by_queue(run):
                    return
                self._save(run, finished_by_queue(run, now, "cancelled" if state else "forgotten by Jenkins"))
                return
            if state.number is None:
                self._save(run, advance(run, run, now, first=self.first, most=self.most))
                return
            run_with_number = run.with_(number=state.number)
            self._update_build(run, run_with_number, path)
            return
        self._update_build(run, run, path)

    def _claim_by_queue(self, run: Run) -> bool:
        """Jenkins forgot the queue item (it keeps left items a few minutes): find the build by queue id."""
        path = f"{run.project}/{run.pipeline}"
        for build in self.views.builds(path):
            if build.queue_id == run.queue_id:
                self._update_build(run, run.with_(number=build.number), path)
                return True
        return False

    def _update_build(self, before: Run, run: Run, path: str) -> None:
        assert run.number is not None
        try:
            build = self.views.build(path, run.number)
        except NotFound:
            self._save(before, finished_by_queue(run, self.clock(), "discarded by Jenkins"))
            return
        self._save(before, self._observe(run, build, path))

    def _observe(self, run: Run, build: BuildInfo, path: str) -> Run:
        forget = getattr(self.views, "changed", None)
        if build.result and forget is not None:
            forget(path, build.number)  # the graph kept forever must be read after the result
            build = self.views.build(path, build.number)
        describe = self.views.describe(path, build.number)
        paused = describe.get("status") == "PAUSED_PENDING_INPUT"
        inputs = self.views.pending_inputs(path, build.number) if paused and build.building else ()
        after = observed(run, build, paused=paused, graph=graph_of(describe, inputs))
        return advance(run, after, self.clock(), first=self.first, most=self.most)

    # -- discover ------------------------------------------------------------------------------

    def discover(self) -> int:
        """Index builds Jenkins has that the index lacks; apply retention. The number of new rows."""
        with self._lock:
            with self.store.read() as tx:
                projects = [p.obj.name for p in tx.projects.list()]
                if self.owns is not None:
                    mine = set(self.owns())
                    projects = [p for p in projects if p in mine]
                pipelines = {name: {s.obj.name: s.obj for s in tx.pipelines.list(name)} for name in projects}
                newest = {name: tx.runs.newest_numbers(name) for name in projects}
            added = 0
            for project, declared in pipelines.items():
                if not declared:
                    continue
                try:
                    last = self.views.last_builds(project)
                except UpstreamUnavailable as e:
                    log.info("Jenkins unavailable while discovering runs: %s", e.detail)
                    return added
                except BridgeError as e:
                    log.warning("could not list the runs of project %s: %s", project, e.detail)
                    continue
                for name, number in last.items():
                    pipeline = declared.get(name)
                    if pipeline is not None and number > newest[project].get(name, 0):
                        added += self._index_new(pipeline, newest[project].get(name, 0))
                for pipeline in declared.values():
                    self._retain(pipeline)
            return added

    def _index_new(self, pipeline: Pipeline, known: int) -> int:
        path = f"{pipeline.project}/{pipeline.name}"
        added = 0
        builds = [b for b in self.views.builds(path) if b.number > known]
        for build in sorted(builds, key=lambda b: b.number):
            with self.store.write() as tx:
                if tx.runs.get(pipeline.project, pipeline.name, build.number) is not None:
                    continue
                run = self._match(tx, pipeline, build)
                after = observed(run, build).with_(next_refresh_at=self.clock())  # one look for the graph
                if run.id is None:
                    tx.runs.add(after)
                    added += 1
                else:
                    tx.runs.save(after)
            if run.id is not None and run.trigger.kind.value == "replay" and run.trigger.user and self.note:
                self.note(path, build.number, f"Replayed by {run.trigger.user} via jenkins-bridge")
        return added

    def _match(self, tx: Tx, pipeline: Pipeline, build: BuildInfo) -> Run:
        """The API's row for this build (same queue item, or a replay it asked for), else a new row."""
        runs = tx.runs
        trigger = trigger_of(build)
        if build.queue_id is not None:
            for row in runs.page(pipeline.project, pipeline.name, _ANY, before_id=None, limit=50):
                if row.number is None and row.queue_id == build.queue_id:
                    return row
        if trigger.kind.value == "replay" and trigger.origin is not None:
            waiting = runs.unclaimed_replays(pipeline.project, pipeline.name, trigger.origin)
            if waiting:
                return waiting[0]
        branch = pipeline.scm.branch if pipeline.scm is not None else None
        return Run(
            project=pipeline.project,
            pipeline=pipeline.name,
            trigger=trigger,
            branch=branch,
            queued_at=self.clock(),
        )

    def _retain(self, pipeline: Pipeline) -> None:
        if pipeline.discarder is None:
            return
        with self.store.write() as tx:
            history = tx.runs.history(pipeline.project, pipeline.name)
            gone = expired(history, pipeline.discarder, self.clock())
            if gone:
                tx.runs.forget([r.id for r in gone if r.id is not None])
