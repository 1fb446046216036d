"""The provisioning reconciler: projects → folders, credentials → folder credentials, pipelines → jobs.

One pass: observe Jenkins (two requests per project), render the desired state, ``plan()``, apply.
Per-item errors are recorded on the item and never abort the pass; an unreachable Jenkins stops the
pass, leaves every object it did not reach ``pending`` with a message saying why, and reports the
projects to retry. Nothing is lost: the store keeps the desired state and tombstones, and the next
pass starts from what Jenkins holds.

Credential values cannot be observed (Jenkins redacts them), so they are re-pushed every
``secret_repush_interval``; the same slow cadence runs a deep check of pipeline jobs (config.xml read
back and compared), which catches edits in Jenkins that kept our marker in the description.

Tenancy: every folder carries the matrix of its project identity and members, every job runs its
builds as the project identity (``render.py``); that identity is made to exist before anything of the
project is written (``identities.py``), and when it cannot be, the project reports what an operator
must do and nothing of it is written. The deep check also reads folder configs back, so a matrix
edited in Jenkins is repaired.

Ownership: the marker in Jenkins decides. The store also keeps a ledger of the items the bridge
created (``DesiredState.owned``), so an item of ours whose marker someone stripped is still known as
ours, and repaired, after a restart or on another worker. An item without the marker that the ledger
does not name was never created by the bridge: a conflict, never touched. The ledger forgets an item
as soon as a pass sees it absent, so a same-named item someone creates later is not claimed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Collection, Iterable

from bridge.adapters.jenkins.configxml import FolderGrants, KubeconfigMode, Rendered, update_folder
from bridge.adapters.jenkins.identities import ProjectIdentities
from bridge.adapters.jenkins.port import JenkinsPort
from bridge.clock import SYSTEM_CLOCK, Clock
from bridge.domain.model import Pipeline, Project, SyncState, SyncStatus
from bridge.domain.plan import CREDENTIAL, PROJECT, Action, Op, Ref, plan
from bridge.errors import BridgeError, NotFound
from bridge.identity.tenancy import BUILT_IN_ONLY, DEFAULT_PREFIX, ReservedNames
from bridge.log import log_context
from bridge.reconcile.deep import drifted_items
from bridge.reconcile.identities import IdentityKeeper
from bridge.reconcile.kubeconfigs import KubeconfigSync, add_kubeconfigs
from bridge.reconcile.ledger import Ledger
from bridge.reconcile.observe import observe
from bridge.reconcile.outcome import PassResult, conflict_message
from bridge.reconcile.pool import grouped, in_order_per_group
from bridge.reconcile.ports import DesiredState, Tombstone
from bridge.reconcile.render import render_project

log = logging.getLogger(__name__)

__all__ = ["PassResult", "Provisioner", "conflict_message"]


class Provisioner:
    def __init__(
        self,
        *,
        desired: DesiredState,
        jenkins: JenkinsPort,
        key: bytes,
        kubeconfig_mode: KubeconfigMode = KubeconfigMode.FILE,
        secret_repush_interval: float = 3600.0,
        requested_by: bool = True,
        clock: Clock = SYSTEM_CLOCK,
        concurrency: int = 1,
        identities: ProjectIdentities | None = None,
        identity_prefix: str = DEFAULT_PREFIX,
        reserved: ReservedNames = BUILT_IN_ONLY,
        kubeconfigs: KubeconfigSync | None = None,
        controller: str = "default",
        placed: Callable[[Project], str | None] | None = None,
    ) -> None:
        """``controller``: the Jenkins ``jenkins`` is; ``placed``: the controller of a project (its
        folder is provisioned only there; ``None``: every project is here);
        ``requested_by``: jobs define ``BRIDGE_REQUESTED_BY`` (``jenkins.attribution = "parameter"``);
        ``identities``: creates project identities (``None``: an operator provides them);
        ``kubeconfigs``: keeps the entitled clusters' kubeconfigs in each folder (``kubeconfigs.py``);
        ``concurrency``: projects observed and applied at the same time (``pool.py``)."""
        self._kubeconfigs = kubeconfigs
        self.controller = controller
        self._placed = placed or (lambda p: controller)
        self._desired = desired
        self._prefix = identity_prefix
        self._reserved = reserved
        self._identities = IdentityKeeper(identities, prefix=identity_prefix)
        self._grants: dict[str, FolderGrants] = {}
        self._jenkins = jenkins
        self._requested_by = requested_by
        self._key = key
        self._mode = kubeconfig_mode
        self._repush_interval = secret_repush_interval
        self._clock = clock
        self._workers = concurrency
        self._last_repush = clock.monotonic()
        self._recorded: dict[Ref, tuple[SyncStatus, str | None]] = {}
        # During apply, outcomes wait here and are stored per project in one transaction.
        self._held: dict[str, list[tuple[Ref, SyncState]]] | None = None
        self._held_lock = threading.Lock()

    def invalidate(self, keys: Iterable[Ref]) -> None:
        """Forget what was last recorded for these keys (the store resets them on write)."""
        for key in keys:
            self._recorded.pop(key, None)

    def run(
        self,
        projects: Iterable[str] | None = None,
        *,
        dry_run: bool = False,
        deep: bool | None = None,
        leaving: Collection[str] = (),
    ) -> PassResult:
        """One pass over ``projects`` (all when ``None``) of this controller; ``deep`` defaults to
        'when due'; ``leaving``: projects placed elsewhere whose folder here goes (if ours)."""
        wanted = None if projects is None else set(projects)
        every = self._desired.projects()
        everywhere = {p.name: self._placed(p) for p in every}
        live = {
            p.name: p
            for p in every
            if (wanted is None or p.name in wanted) and everywhere[p.name] == self.controller
        }
        tombstones: dict[Ref, list[Tombstone]] = {Ref(PROJECT, name): [] for name in leaving}
        for tombstone in self._desired.tombstones():
            # a folder's tombstone names its controller; an item's goes wherever its project is
            place = everywhere.get(tombstone.key.project, tombstone.jenkins)
            here = (tombstone.jenkins if tombstone.key.kind == PROJECT else place) == self.controller
            if here and (wanted is None or tombstone.key.project in wanted):
                tombstones.setdefault(tombstone.key, []).append(tombstone)
        result = PassResult(dry_run=dry_run)
        rendered: dict[Ref, Rendered] = {}
        pipelines: dict[Ref, Pipeline] = {}
        self._grants = {}
        for project in live.values():
            docs, pipes, grants = render_project(
                self._desired,
                project,
                key=self._key,
                mode=self._mode,
                requested_by=self._requested_by,
                prefix=self._prefix,
                reserved=self._reserved,
            )
            rendered.update(docs)
            pipelines.update(pipes)
            self._grants[project.name] = grants
        if self._kubeconfigs is not None:
            add_kubeconfigs(
                self._kubeconfigs,
                list(live.values()),
                rendered,
                tombstones,
                key=self._key,
                mode=self._mode,
                dry_run=dry_run,
            )
        names = sorted(set(live) | {ref.project for ref in tombstones})
        ledger = Ledger(set(self._desired.owned(names, jenkins=self.controller)))
        observation = observe(self._jenkins, names, owned_folders=ledger.folders(), workers=self._workers)
        seen = ledger.apply(observation.seen, observed={n for n in names if n not in observation.failed})
        for name, error in observation.failed.items():
            self._fail_project(name, rendered, error, result, dry_run=dry_run)
        ok = {ref: doc for ref, doc in rendered.items() if ref.project not in observation.failed}
        due = self._clock.monotonic() - self._last_repush >= self._repush_interval
        deep_now = due if deep is None else deep
        drifted = (
            drifted_items(
                self._jenkins,
                ok,
                pipelines,
                seen,
                grants=self._grants,
                key=self._key,
                requested_by=self._requested_by,
                prefix=self._prefix,
                workers=self._workers,
            )
            if deep_now
            else set()
        )
        result.actions = plan(
            desired={ref: doc.description for ref, doc in ok.items()},
            observed=seen,
            tombstones=[ref for ref in tombstones if ref.project not in observation.failed],
            drifted=drifted,
            repush_credentials=due,
        )
        if dry_run:
            return result
        if deep_now:  # read the identities of our folders again (someone may have deleted one)
            self._identities.forget()
            for action in result.actions:
                if action.ref.kind == PROJECT and action.op in (Op.NOOP, Op.UPDATE):
                    self._identity_ready(action.ref.project, result)
        self._held = {}

        def apply(action: Action) -> None:
            with log_context(project=action.ref.project):  # each line logged while applying names its project
                self._apply(action, ok, tombstones, result, ledger)

        try:  # projects side by side on the controller's pool, each project's actions in plan order
            in_order_per_group(
                grouped(result.actions, lambda a: a.ref.project),
                apply,
                workers=self._workers,
                done=self._store_held,
            )
        finally:
            for name in list(self._held):
                self._store_held(name)
            self._held = None
            if ledger.added or ledger.removed:
                self._desired.record_owned(add=ledger.added, remove=ledger.removed, jenkins=self.controller)
        if due and not result.retry:
            self._last_repush = self._clock.monotonic()
        return result

    # -- apply ---------------------------------------------------------------------------------

    def _apply(
        self,
        action: Action,
        docs: dict[Ref, Rendered],
        tombs: dict[Ref, list[Tombstone]],
        result: PassResult,
        ledger: Ledger,
    ) -> None:
        ref = action.ref
        if result.retry and action.op.writes:
            self._record(ref, SyncStatus.PENDING, "waiting for Jenkins to come back")
            return
        if ref.kind == PROJECT and (ref in result.errors or ref.project in result.retry):
            return  # its build identity could not be ensured: that state stands
        if action.op in _BUILDS_RUN and not self._identity_ready(ref.project, result):
            if ref.kind == PROJECT:
                return
            if ref.folder not in result.errors:  # Jenkins unreachable: retried
                self._record(ref, SyncStatus.PENDING, "waiting for Jenkins to come back")
                return
        if ref.kind != PROJECT and ref.folder in result.errors and action.op.writes:
            self._error(ref, f"its folder could not be provisioned: {result.errors[ref.folder]}", result)
            return
        try:
            self._write(action, docs)
        except NotFound as e:
            if action.op is Op.DELETE:
                ledger.release(ref)
                self._forget(ref, tombs)
            else:
                self._error(ref, e.detail, result)
            return
        except BridgeError as e:
            if e.retryable:
                result.retry_later(ref.project, e)
                self._record(ref, SyncStatus.PENDING, f"waiting for Jenkins: {e.detail}")
            else:
                self._error(ref, e.detail, result)
            return
        if action.op.writes:
            result.applied.append(action)
            log.info("%s", action)
        if action.op is Op.REPLACE:
            ledger.release(ref)  # the old folder took everything recorded inside it along
            self._forget(ref, tombs)
        if action.op in (Op.CREATE, Op.UPDATE, Op.REPLACE):
            ledger.claim(ref)
            self._record(ref, SyncStatus.SYNCED, None, force=True)
        elif action.op is Op.NOOP:
            self._record(ref, SyncStatus.SYNCED, None)
        elif action.op is Op.CONFLICT:
            self._error(ref, conflict_message(ref, action.reason), result)
        elif action.op in (Op.DELETE, Op.FORGET):
            if self._kubeconfigs is not None:
                self._kubeconfigs.removed(ref)
            if ref not in docs:  # "forget: recreated" leaves a desired item ours
                ledger.release(ref)
            self._forget(ref, tombs)

    def _write(self, action: Action, docs: dict[Ref, Rendered]) -> None:
        ref, op, jenkins = action.ref, action.op, self._jenkins
        path = ref.project if ref.kind == PROJECT else f"{ref.project}/{ref.name}"
        if op is Op.REPLACE:
            with contextlib.suppress(NotFound):  # gone already: create it
                jenkins.delete_item(path)
            jenkins.create_item(path, docs[ref].xml)
        elif op is Op.DELETE:
            if ref.kind == CREDENTIAL:
                jenkins.delete_credential(ref.project, ref.name)
            else:
                jenkins.delete_item(path)
        elif op is Op.CREATE:
            if ref.kind == CREDENTIAL:
                jenkins.create_credential(ref.project, docs[ref].xml)
            else:
                jenkins.create_item(path, docs[ref].xml)
        elif op is Op.UPDATE:
            if ref.kind == CREDENTIAL:
                jenkins.update_credential(ref.project, ref.name, docs[ref].xml)
            elif ref.kind == PROJECT:
                # keep what Jenkins holds in the folder (credential store, views, other properties);
                # change the description and the matrix only
                current = jenkins.item_config(path)
                jenkins.update_item(
                    path, update_folder(current, docs[ref].description, self._grants.get(ref.project))
                )
            else:
                jenkins.update_item(path, docs[ref].xml)

    # -- bookkeeping ---------------------------------------------------------------------------

    def _fail_project(
        self,
        project: str,
        docs: dict[Ref, Rendered],
        error: BridgeError,
        result: PassResult,
        *,
        dry_run: bool,
    ) -> None:
        if error.retryable:
            result.retry_later(project, error)
        for ref in (r for r in docs if r.project == project):
            result.errors[ref] = error.detail
            if dry_run:
                continue
            if error.retryable:
                self._record(ref, SyncStatus.PENDING, f"waiting for Jenkins: {error.detail}")
            else:
                self._record(ref, SyncStatus.ERROR, error.detail)

    def _identity_ready(self, project: str, result: PassResult) -> bool:
        """Make sure the project's build identity exists before anything of the project is written.

        When it cannot be, the folder's error says why (and what to do); its contents then report
        that their folder could not be provisioned, and nothing of the project is written.
        """
        folder = Ref(PROJECT, project)
        if folder in result.errors:
            return False
        try:
            self._identities.ensure(project)
        except BridgeError as e:
            if e.retryable:
                result.retry_later(project, e)
                self._record(folder, SyncStatus.PENDING, f"waiting for Jenkins: {e.detail}")
            else:
                self._error(folder, f"its Jenkins build identity is missing: {e.detail}", result)
            return False
        return True

    def _error(self, ref: Ref, message: str, result: PassResult) -> None:
        result.errors[ref] = message
        self._record(ref, SyncStatus.ERROR, message)

    def _forget(self, ref: Ref, tombs: dict[Ref, list[Tombstone]]) -> None:
        for tombstone in tombs.pop(ref, []):
            self._desired.forget_tombstone(tombstone)

    def _record(self, ref: Ref, status: SyncStatus, message: str | None, *, force: bool = False) -> None:
        if self._kubeconfigs is not None and self._kubeconfigs.record(ref, status, message):
            return  # a synced kubeconfig: its state lives in the sync's own rows
        key = ref
        if not force and self._recorded.get(key) == (status, message):
            return
        synced_at = self._clock.now() if status is SyncStatus.SYNCED else None
        state = SyncState(status=status, synced_at=synced_at, message=message)
        self._recorded[key] = (status, message)
        with self._held_lock:
            if self._held is not None:
                self._held.setdefault(ref.project, []).append((key, state))
                return
        self._desired.record_sync(key, state)

    def _store_held(self, project: str) -> None:
        with self._held_lock:
            held = self._held.pop(project, []) if self._held is not None else []
        self._desired.record_syncs(held)


_BUILDS_RUN = (Op.CREATE, Op.UPDATE, Op.REPLACE)
