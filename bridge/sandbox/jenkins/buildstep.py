"""The controller side of the Pipeline ``build`` step (pipeline-build-step ``BuildTriggerStepExecution``).

It runs as the upstream build's identity: ``Jenkins.getItem(job, upstream's parent)`` resolves ``/x``
from the root, anything else relative to the upstream job's folder (``..`` and ``.`` allowed) and then
from the root; every segment is Job/Read-filtered, so an item the identity cannot read does not exist
(``No item named X found``); a readable item needs Job/Build (``AccessDeniedException3: <id> is missing
the Job/Build permission``). SYSTEM passes every check. The downstream build gets an ``UpstreamCause``
(with the user at the root of the upstream chain, for "run as triggering user") and the given
parameters followed by the defaults of the job's other parameters (``completeDefaultParameters``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.sandbox.jenkins import acl, identity
from bridge.sandbox.jenkins.model import Folder, Item, Job, ParameterDefinition, SandboxState
from bridge.sandbox.jenkins.pipeline.errors import StepFailure


def get_item(state: SandboxState, who: acl.Identity, name: str, context: Folder | None) -> Item | None:
    """``Jenkins.getItem(name, context)`` as ``who``."""

    def walk(start: Folder, path: str) -> Item | None:
        node: Item = start
        for part in (p for p in path.split("/") if p and p != "."):
            if part == "..":
                if node.parent is None:
                    return None
                node = node.parent
                continue
            if not isinstance(node, Folder) or part not in node.children:
                return None
            node = node.children[part]
            if not who.is_system and not acl.visible(state, who, node):
                return None
        return None if node is state.root else node

    if name.startswith("/"):
        return walk(state.root, name)
    found = walk(context, name) if context is not None else None
    return found if found is not None else walk(state.root, name)


def resolve_target(state: SandboxState, who: acl.Identity, name: str, upstream: Job) -> Job:
    target = get_item(state, who, name, upstream.parent)
    if target is None:
        raise StepFailure(f"No item named {name} found")
    if not acl.has_permission(state, who, target, acl.PERMISSIONS_BUILD):
        raise StepFailure(
            f"{who.name} is missing the Job/Build permission",
            java_type="hudson.security.AccessDeniedException3",
        )
    if not isinstance(target, Job):
        kind = "Folder" if isinstance(target, Folder) else target.java_class
        raise StepFailure(f"The item named {name} is a {kind} which is not something that can be built")
    return target


def upstream_cause(job: Job, number: int, upstream_causes: list[Any]) -> dict[str, Any]:
    """The fields of the downstream build's ``Cause$UpstreamCause``."""
    return {
        "java_class": "hudson.model.Cause$UpstreamCause",
        "short_description": f'Started by upstream project "{job.full_name}" build number {number}',
        "upstream_project": job.full_name,
        "upstream_build": number,
        "upstream_user": identity.triggering_user(upstream_causes),
    }


def parameter_values(
    target: Job, parameters: list[tuple[str, object]], typed_default: Callable[[ParameterDefinition], Any]
) -> list[tuple[str, str, Any]]:
    """(value type, name, value): the given values, then the defaults of the other definitions."""
    given = dict(parameters)
    out = [("StringParameterValue", k, v) for k, v in given.items()]
    for definition in target.parameters:
        if definition.name not in given and definition.default is not None:
            kind = definition.type.replace("Definition", "Value")
            out.append((kind, definition.name, typed_default(definition)))
    return out
