"""Kubeconfig sync: which clusters' kubeconfigs each project's Jenkins folder holds, and under which id.

Pure rules, no I/O. A project is entitled to the clusters its workspace may use (declared clusters
plus a KubeSphere placement, ``available_clusters``) that the policy selects: the DevOps-enabled ones
by default, every one with ``all``. A cluster without a usable kubeconfig (a name clash, an
unsupported authentication) is never synced. A project never receives the kubeconfig of a cluster
outside its own workspace: entitlement is computed from that workspace only.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.domain.clusters import ClusterState, Placement
from bridge.domain.model import Credential, CredentialType, SecretData, Workspace


class KubeconfigPolicy(enum.StrEnum):
    #: the DevOps-enabled clusters of the workspace (ks-devops' rule)
    DEVOPS = "devops"
    #: every cluster of the workspace
    ALL = "all"


class KubeconfigSyncStatus(enum.StrEnum):
    PENDING = "pending"
    SYNCED = "synced"
    #: a credential declared through the API has the same id: it wins, the kubeconfig is not synced
    CONFLICT = "conflict"
    ERROR = "error"
    #: shown, never stored: synced once, no longer entitled, not yet removed from the folder
    REMOVING = "removing"


def available_clusters(
    workspace: Workspace, placements: Mapping[str, Placement], states: Sequence[ClusterState]
) -> tuple[str, ...]:
    """The clusters a workspace may use: declared ones first (in their order), then the placement's
    (sorted), without repeats."""
    placement = placements.get(workspace.name)
    placed = placement.resolve(s.record for s in states) if placement else ()
    return tuple(dict.fromkeys([*workspace.clusters, *sorted(placed)]))


def entitled_clusters(
    available: Sequence[str], states: Mapping[str, ClusterState], policy: KubeconfigPolicy
) -> tuple[str, ...]:
    """Of a workspace's clusters, those whose kubeconfig its projects' folders hold."""
    entitled: list[str] = []
    for name in available:
        state = states.get(name)
        if state is None or not state.digest or state.record.problem is not None:
            continue
        if policy is KubeconfigPolicy.DEVOPS and not state.record.devops:
            continue
        entitled.append(name)
    return tuple(entitled)


def credential_id(prefix: str, cluster: str) -> str:
    return prefix + cluster


def kubeconfig_description(cluster: str) -> str:
    return f"Kubeconfig of cluster {cluster}, kept current by jenkins-bridge"


def kubeconfig_credential(project: str, cluster: str, *, prefix: str, kubeconfig: str) -> Credential:
    """The folder credential holding a cluster's kubeconfig (rendered like any kubeconfig credential,
    in the form ``jenkins.kubeconfig_credential_mode`` chooses)."""
    return Credential(
        project=project,
        id=credential_id(prefix, cluster),
        type=CredentialType.KUBECONFIG,
        data=SecretData(content=kubeconfig),
        description=kubeconfig_description(cluster),
    )


@dataclass(frozen=True)
class KubeconfigSyncState:
    """Where one (project, cluster) kubeconfig credential stands; never holds the kubeconfig."""

    project: str
    cluster: str
    credential_id: str
    status: KubeconfigSyncStatus
    #: The inventory generation of the cluster last written into the folder (None: never).
    synced_generation: int | None = None
    synced_at: datetime | None = None
    message: str | None = None
    updated_at: datetime | None = None
