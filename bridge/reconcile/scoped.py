"""Scoped deploy credentials: the worker job that grants, mints, rotates and revokes them.

For each (project, cluster) where the cluster's credential policy is ``scoped``, the project's
workspace is entitled to the cluster (the kubeconfig sync's rule) and the project declares deploy
targets on it, the job keeps, through the cluster's own kubeconfig, a ServiceAccount and one RoleBinding
per target namespace (``bridge.adapters.kube.deployers``), and a token from the TokenRequest API, stored
sealed as a kubeconfig (``bridge.store.scoped``). The kubeconfig sync then puts that kubeconfig into the
project's folder under the same credential id as the cluster's own (``ScopedCredentials.kubeconfigs``),
and never the cluster's own kubeconfig for a scoped cluster.

A run: observe (store, inventory) → wanted grants → pure plan (``bridge.domain.scoped.plan``) → apply.
A token is replaced at its rotation time (a fraction of its real lifetime, with a per-credential jitter,
at the latest ``min_validity`` before it expires) and the old one is left to expire, so a run that read
the credential just before keeps a valid token for at least ``min_validity``. A pair no longer wanted
(target removed, project deleted, cluster left the workspace, policy switched) is revoked at once:
RoleBindings and ServiceAccount deleted (its tokens stop working), then the row goes, and its project is
queued so the next pass removes the credential from the folder. Grants and revocations are audited.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bridge.domain.clusters import ClusterState, Placement
from bridge.domain.kubeconfigs import KubeconfigPolicy, available_clusters, entitled_clusters
from bridge.domain.model import Workspace
from bridge.domain.scoped import (
    CredentialPolicy,
    Grant,
    Minted,
    Refused,
    Rotation,
    ScopedState,
    TargetRow,
    Work,
    plan,
    rotation_time,
    wanted,
)

log = logging.getLogger(__name__)


class DeployerPort(Protocol):
    """The member cluster's side (``bridge.adapters.kube.deployers.KubeDeployers``); raises ``Refused``
    naming the verb and resource that were refused."""

    def ensure_account(self, cluster: str, kubeconfig: str, project: str) -> None: ...

    def remove_account(self, cluster: str, kubeconfig: str, project: str) -> None: ...

    def bind(self, cluster: str, kubeconfig: str, project: str, grant: Grant) -> bool: ...

    def unbind(self, cluster: str, kubeconfig: str, project: str, grant: Grant) -> None: ...

    def mint(
        self,
        cluster: str,
        kubeconfig: str,
        project: str,
        *,
        audiences: Sequence[str],
        seconds: int,
        namespace: str | None,
    ) -> Minted: ...


class ScopedStore(Protocol):
    """The rows (``bridge.store.scoped.ScopedBook``)."""

    def workspaces(self) -> dict[str, Workspace]: ...

    def targets(self) -> list[TargetRow]: ...

    def states(self, projects_: Collection[str] | None = None) -> dict[tuple[str, str], ScopedState]: ...

    def kubeconfigs(self, projects_: Collection[str]) -> dict[tuple[str, str], str]: ...

    def granted(
        self,
        state: ScopedState,
        *,
        added: Iterable[Grant] = (),
        removed: Iterable[Grant] = (),
        kubeconfig: str | None = None,
    ) -> None: ...

    def revoked(self, state: ScopedState, *, removed: Iterable[Grant]) -> None: ...

    def mark_dirty(self, project_names: Iterable[str]) -> None: ...


class ClusterInventory(Protocol):
    def states(self) -> list[ClusterState]: ...

    def kubeconfig(self, name: str) -> str | None: ...

    def placements(self) -> dict[str, Placement]: ...


@dataclass(frozen=True)
class ScopedConfig:
    default: CredentialPolicy = CredentialPolicy.FULL
    #: cluster → policy, overriding ``default``
    policies: Mapping[str, CredentialPolicy] = field(default_factory=dict)
    cluster_role: str = "edit"
    audiences: tuple[str, ...] = ()
    lifetime: int = 3600
    rotation: Rotation = field(default_factory=lambda: Rotation(fraction=0.5, jitter=0.1, min_validity=1200))
    retry_after: timedelta = timedelta(seconds=30)
    #: which of a workspace's clusters its projects are entitled to (the kubeconfig sync's policy)
    entitlement: KubeconfigPolicy = KubeconfigPolicy.DEVOPS

    def policy_of(self, cluster: str) -> CredentialPolicy:
        return self.policies.get(cluster, self.default)

    @property
    def any_scoped(self) -> bool:
        return self.default is CredentialPolicy.SCOPED or CredentialPolicy.SCOPED in self.policies.values()


@dataclass
class ScopedResult:
    minted: int = 0
    rotated: int = 0
    granted: int = 0
    revoked: int = 0
    errors: list[str] = field(default_factory=list)


class ScopedCredentials:
    def __init__(
        self,
        *,
        book: ScopedStore,
        inventory: ClusterInventory,
        deployers: DeployerPort,
        config: ScopedConfig,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._book, self._inventory, self._deployers = book, inventory, deployers
        self._config, self._clock = config, clock
        self._lock = threading.Lock()

    # --- the kubeconfig sync's side -----------------------------------------------------------------

    def is_scoped(self, cluster: str) -> bool:
        return self._config.policy_of(cluster) is CredentialPolicy.SCOPED

    def kubeconfigs(self, projects: Collection[str]) -> dict[tuple[str, str], str]:
        """(project, cluster) → the scoped kubeconfig for the folder, for scoped clusters only."""
        if not self._config.any_scoped:
            return {}
        return {k: v for k, v in self._book.kubeconfigs(projects).items() if self.is_scoped(k[1])}

    def states_of(self, project: str) -> dict[str, ScopedState]:
        """cluster → the project's scoped credential there (for the API)."""
        return {k[1]: v for k, v in self._book.states([project]).items() if self.is_scoped(k[1])}

    # --- the job ----------------------------------------------------------------------------------

    def run(self) -> ScopedResult:
        """One run over every (project, cluster); one run at a time."""
        with self._lock:
            now = self._clock()
            stored = self._book.states()
            if not self._config.any_scoped and not stored:
                return ScopedResult()  # nothing scoped, nothing left to revoke
            states = self._inventory.states()
            by_name = {s.record.name: s for s in states}
            placements = self._inventory.placements()
            entitled = {
                name: entitled_clusters(
                    available_clusters(ws, placements, states), by_name, self._config.entitlement
                )
                for name, ws in self._book.workspaces().items()
            }
            scoped = {s.record.name: self.is_scoped(s.record.name) for s in states}
            want = wanted(self._book.targets(), entitled, scoped, self._config.cluster_role)
            steps = plan(want, stored, now, retry_after=self._config.retry_after)
            result, changed = ScopedResult(), set[str]()
            admins: dict[str, str | None] = {}

            def admin(cluster: str) -> str | None:
                if cluster not in admins:
                    usable = cluster in by_name and by_name[cluster].record.problem is None
                    admins[cluster] = self._inventory.kubeconfig(cluster) if usable else None
                return admins[cluster]

            for work in steps.work:
                state = stored.get((work.project, work.cluster))
                if self._apply(work, state, admin(work.cluster), now, result):
                    changed.add(work.project)
            for state in steps.revoke:
                if self._revoke(state, admin(state.cluster), now, result):
                    changed.add(state.project)
            self._book.mark_dirty(changed)
            if result.minted or result.granted or result.revoked or result.errors:
                log.info(
                    "scoped credentials: %d minted (%d rotations), %d granted, %d revoked, %d errors",
                    result.minted,
                    result.rotated,
                    result.granted,
                    result.revoked,
                    len(result.errors),
                )
            return result

    def _apply(
        self, work: Work, state: ScopedState | None, admin: str | None, now: datetime, result: ScopedResult
    ) -> bool:
        """Grant and mint for one pair; True when the folder's kubeconfig changed."""
        before = state or ScopedState(work.project, work.cluster)
        if admin is None:
            message = f"cluster {work.cluster!r} has no usable kubeconfig in the inventory"
            self._failed(before, [message], now, result)
            return False
        cluster, project, d = work.cluster, work.project, self._deployers
        errors: list[str] = []
        in_place = set(before.grants)
        try:
            d.ensure_account(cluster, admin, project)
        except Refused as e:
            self._failed(before, [str(e)], now, result)
            return False
        for grant in sorted(work.stale):
            try:
                d.unbind(cluster, admin, project, grant)
                in_place.discard(grant)
            except Refused as e:
                errors.append(str(e))
        for grant in sorted(work.grants):
            try:
                d.bind(cluster, admin, project, grant)
                in_place.add(grant)
            except Refused as e:
                errors.append(str(e))
                in_place.discard(grant)
        after = dataclasses.replace(before, grants=frozenset(in_place))
        minted = None
        if work.mint and in_place:
            try:
                minted = d.mint(
                    cluster,
                    admin,
                    project,
                    audiences=self._config.audiences,
                    seconds=self._config.lifetime,
                    namespace=min(g.namespace for g in in_place),
                )
            except Refused as e:
                errors.append(str(e))
        if minted is not None:
            # the real lifetime (the apiserver may have shortened it), counted on this job's clock
            lifetime = minted.expires_at - minted.issued_at
            rotate = rotation_time(project, cluster, now, now + lifetime, self._config.rotation)
            after = dataclasses.replace(
                after,
                issued_at=now,
                expires_at=minted.expires_at,
                rotate_at=rotate,
                rotated_at=now if before.has_token else before.rotated_at,
                has_token=True,
            )
            result.minted += 1
            result.rotated += before.has_token
        after = dataclasses.replace(after, error="; ".join(errors) or None, error_at=now if errors else None)
        added, removed = in_place - before.grants, before.grants - in_place
        result.granted += len(added)
        result.errors += errors
        self._book.granted(
            after, added=added, removed=removed, kubeconfig=minted.kubeconfig if minted else None
        )
        return minted is not None

    def _failed(self, state: ScopedState, errors: list[str], now: datetime, result: ScopedResult) -> None:
        result.errors += errors
        self._book.granted(dataclasses.replace(state, error="; ".join(errors), error_at=now))

    def _revoke(self, state: ScopedState, admin: str | None, now: datetime, result: ScopedResult) -> bool:
        if admin is not None:
            try:
                for grant in sorted(state.grants):
                    self._deployers.unbind(state.cluster, admin, state.project, grant)
                self._deployers.remove_account(state.cluster, admin, state.project)
            except Refused as e:
                self._failed(state, [f"revoking: {e}"], now, result)
                return False
        else:  # the cluster left the inventory: nothing can be asked; its token expires on its own
            log.warning(
                "scoped credential of project %s on cluster %s forgotten without revocation: the cluster "
                "is no longer in the inventory (its token expires at %s)",
                state.project,
                state.cluster,
                state.expires_at,
            )
        self._book.revoked(state, removed=state.grants)
        result.revoked += 1
        return True
