"""What one reconcile pass did: its actions, writes, errors and the projects to retry (and when)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.domain.plan import PROJECT, Action, Reason, Ref
from bridge.errors import BridgeError


@dataclass
class PassResult:
    actions: list[Action] = field(default_factory=list)
    applied: list[Action] = field(default_factory=list)
    errors: dict[Ref, str] = field(default_factory=dict)
    #: Projects not (fully) reconciled because Jenkins was unreachable: retry them (with backoff).
    retry: set[str] = field(default_factory=set)
    #: The longest ``Retry-After`` Jenkins asked for, by project to retry (seconds).
    retry_after: dict[str, float] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def writes(self) -> int:
        return sum(1 for a in self.applied if a.op.writes)

    def retry_later(self, project: str, error: BridgeError) -> None:
        self.retry.add(project)
        hint = getattr(error, "retry_after", None)  # UpstreamUnavailable carries Jenkins's Retry-After
        if hint is not None:
            self.retry_after[project] = max(self.retry_after.get(project, 0.0), float(hint))


def conflict_message(ref: Ref, reason: Reason) -> str:
    """What a human can do about an item the bridge will not touch (the plan says why)."""
    if reason is Reason.NOT_MANAGED:
        path = ref.project if ref.kind == PROJECT else f"{ref.project}/{ref.name}"
        return (
            f"{reason} (Jenkins item {path!r}); it is left untouched. Rename this {ref.kind}, or "
            "remove or rename the item in Jenkins: the next pass then creates it"
        )
    if reason is Reason.FOLDER_NOT_MANAGED:
        return (
            f"{reason} (Jenkins folder {ref.project!r}); nothing inside it is touched. Use another project "
            "name, or remove or rename that folder in Jenkins"
        )
    return str(reason)
