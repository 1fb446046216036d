"""Whether a push starts a pipeline, and with which parameters (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from bridge.domain.model import RefFilter, WebhookTrigger
from bridge.webhooks.events import Push, RefKind


@dataclass(frozen=True)
class Decision:
    start: bool
    #: Why not (for the delivery record), when ``start`` is false.
    reason: str = ""
    parameters: tuple[tuple[str, str], ...] = ()


def _passes(name: str, f: RefFilter) -> bool:
    return any(fnmatchcase(name, p) for p in f.include) and not any(fnmatchcase(name, p) for p in f.exclude)


def decide(trigger: WebhookTrigger, push: Push) -> Decision:
    if push.deleted:
        return Decision(False, f"{push.kind.value} {push.name} was deleted")
    f = trigger.branches if push.kind is RefKind.BRANCH else trigger.tags
    if not _passes(push.name, f):
        return Decision(False, f"{push.kind.value} {push.name} is not selected by the trigger's filters")
    values = dict(trigger.parameters)
    if trigger.branch_parameter:
        values[trigger.branch_parameter] = push.name
    return Decision(True, parameters=tuple(sorted(values.items())))
