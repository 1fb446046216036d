"""Observe: what Jenkins holds for a set of projects, in at most two requests per project.

One ``tree=`` query per project folder (the folder's description and every job in it with its
description), and one per folder credential store (every credential with its description). The
descriptions carry the ownership marker, so these two answers decide create/update/noop/conflict
for everything in the project. Credentials are only listed in folders the bridge owns: folders with
the marker, or named in the ownership ledger (``owned_folders``) when someone stripped it.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass, field

from bridge.adapters.jenkins.configxml import read_marker
from bridge.adapters.jenkins.port import JenkinsPort
from bridge.domain.plan import CREDENTIAL, PIPELINE, PROJECT, Ref, Seen
from bridge.errors import BridgeError
from bridge.reconcile.pool import bounded_map

WORKFLOW_JOB = "WorkflowJob"


@dataclass
class Observation:
    """Items seen, by ref; projects that could not be observed, with the error."""

    seen: dict[Ref, Seen] = field(default_factory=dict)
    failed: dict[str, BridgeError] = field(default_factory=dict)


def observe(
    jenkins: JenkinsPort,
    projects: list[str],
    *,
    owned_folders: Set[str] = frozenset(),
    stop_on_unavailable: bool = True,
    workers: int = 1,
) -> Observation:
    """Observe each project, up to ``workers`` at once; an unreachable Jenkins stops observation (the
    projects not observed yet fail with the same error)."""
    result = Observation()
    stopped: list[BridgeError] = []

    def one(project: str) -> dict[Ref, Seen] | BridgeError:
        if stopped:
            return stopped[0]
        try:
            return observe_project(jenkins, project, owned=project in owned_folders)
        except BridgeError as e:
            if e.retryable and stop_on_unavailable:
                stopped.append(e)
            return e

    for project, outcome in bounded_map(one, projects, workers=workers).items():
        if isinstance(outcome, BridgeError):
            result.failed[project] = outcome
        else:
            result.seen.update(outcome)
    return result


def observe_project(jenkins: JenkinsPort, project: str, *, owned: bool = False) -> dict[Ref, Seen]:
    folder = jenkins.observe_folder(project)
    if folder is None:
        return {}
    marked = folder.is_folder and read_marker(folder.description) is not None
    ours = marked or (folder.is_folder and owned)
    seen = {
        Ref(PROJECT, project): Seen(managed=marked, stamp=folder.description, compatible=folder.is_folder)
    }
    if not folder.is_folder:
        return seen
    for name, item in folder.items.items():
        compatible = not item.kind or item.kind.endswith(WORKFLOW_JOB)
        seen[Ref(PIPELINE, project, name)] = Seen(
            managed=read_marker(item.description) is not None, stamp=item.description, compatible=compatible
        )
    if ours:
        for cid, cred in jenkins.observe_credentials(project).items():
            seen[Ref(CREDENTIAL, project, cid)] = Seen(
                managed=read_marker(cred.description) is not None, stamp=cred.description
            )
    return seen
