"""The ``clusters`` settings group (``BRIDGE_CLUSTERS_*``): the sources of the cluster inventory.

Kept apart from ``bridge.settings.groups`` only for size; ``Settings.clusters`` is this group and
``Settings._validate`` reports ``cluster_problems`` with every other problem.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bridge.settings.groups import Group

PREFIX = "BRIDGE_"
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")

ClusterSourceName = Literal["kubesphere", "argocd", "static"]
CLUSTER_SOURCES: tuple[str, ...] = typing.get_args(ClusterSourceName)
WorkspaceTemplateVersion = Literal["v1alpha2", "v1beta1"]
KubeconfigPolicyName = Literal["devops", "all"]
_PREFIX = re.compile(r"^[a-z0-9-]{0,32}$")


class ClusterSettings(Group):
    """The cluster inventory (docs/architecture.md "Clusters"): where clusters come from, how often they
    are re-listed and probed. Several sources share one name space; a name offered twice is a clash."""

    #: Comma-separated sources: ``kubesphere`` (Cluster objects on the host), ``argocd`` (cluster
    #: Secrets), ``static`` (kubeconfig files below). Empty: no inventory.
    sources: str = ""
    #: Kubeconfig of the KubeSphere host cluster; empty means the in-cluster service account.
    kubesphere_kubeconfig: str = ""
    #: API version used to read ``WorkspaceTemplate`` placements (3.x: v1alpha2; 4.x also v1beta1).
    kubesphere_workspace_version: WorkspaceTemplateVersion = "v1alpha2"
    #: Kubeconfig of the cluster holding Argo CD's Secrets; empty means the in-cluster service account.
    argocd_kubeconfig: str = ""
    #: Namespace of Argo CD's cluster Secrets.
    argocd_namespace: str = "argocd"
    #: Comma-separated ``name=kubeconfig-file[#context]`` entries (the file's current context if none).
    static: str = ""
    #: Comma-separated static clusters that are DevOps-enabled; ``*`` means all of them.
    static_devops: str = "*"
    #: The static cluster that is the host (others are members); empty: none.
    static_host: str = ""
    #: DevOps-enabled clusters served by the default Jenkins (``BRIDGE_JENKINS_*``), comma-separated;
    #: ``*``: every cluster no controller of ``BRIDGE_CONTROLLERS`` serves; empty: none.
    jenkins: str = "*"
    #: Seconds between full re-lists of every source (the safety net under the watches).
    relist_interval: float = 300.0
    #: Seconds between reachability checks (``/version`` through each cluster's kubeconfig).
    probe_interval: float = 30.0
    #: Seconds one reachability check may take.
    probe_timeout: float = 5.0
    #: Which clusters of a workspace have their kubeconfig synced into its projects' folders:
    #: ``devops`` (the DevOps-enabled ones) or ``all``.
    kubeconfig_policy: KubeconfigPolicyName = "devops"
    #: Prefix of the synced kubeconfig credentials' ids (id = prefix + cluster name).
    kubeconfig_prefix: str = ""
    #: Seconds between full preflights of every deploy target (new or changed ones, and the targets
    #: of a changed cluster, are checked at the next poll).
    preflight_interval: float = 300.0

    def source_names(self) -> list[str]:
        return [s.strip() for s in self.sources.split(",") if s.strip()]


@dataclass(frozen=True)
class StaticCluster:
    """One ``clusters.static`` entry."""

    name: str
    path: Path
    context: str | None = None


def parse_static_clusters(text: str) -> list[StaticCluster]:
    """``rohan=/etc/kube/rohan.yaml,gondor=/etc/kube/all.yaml#gondor`` → entries; ``ValueError`` says
    what is wrong (a repeated name is a clash)."""
    entries: list[StaticCluster] = []
    for raw in (part.strip() for part in text.split(",")):
        if not raw:
            continue
        name, eq, rest = raw.partition("=")
        name = name.strip()
        path, _, context = rest.strip().partition("#")
        if not eq or not name or not path:
            raise ValueError(f"entry {raw!r} must be name=kubeconfig-file[#context]")
        if not _LABEL.match(name):
            raise ValueError(f"cluster name {name!r} must be a DNS-1123 label (a-z, 0-9, '-', at most 63)")
        if any(e.name == name for e in entries):
            raise ValueError(f"cluster name {name!r} is listed twice; cluster names must be unique")
        entries.append(StaticCluster(name=name, path=Path(path), context=context or None))
    return entries


def cluster_problems(c: ClusterSettings) -> list[str]:
    problems: list[str] = []
    unknown = [s for s in c.source_names() if s not in CLUSTER_SOURCES]
    if unknown:
        problems.append(
            f"{PREFIX}CLUSTERS_SOURCES: unknown source(s) {', '.join(unknown)}; "
            f"use {', '.join(CLUSTER_SOURCES)}"
        )
    for name, value in (
        ("RELIST_INTERVAL", c.relist_interval),
        ("PROBE_INTERVAL", c.probe_interval),
        ("PROBE_TIMEOUT", c.probe_timeout),
        ("PREFLIGHT_INTERVAL", c.preflight_interval),
    ):
        if value <= 0:
            problems.append(f"{PREFIX}CLUSTERS_{name} must be greater than 0")
    if not _PREFIX.match(c.kubeconfig_prefix):
        problems.append(
            f"{PREFIX}CLUSTERS_KUBECONFIG_PREFIX must be at most 32 characters of a-z, 0-9 and '-'"
        )
    try:
        static = parse_static_clusters(c.static)
    except ValueError as e:
        return [*problems, f"{PREFIX}CLUSTERS_STATIC: {e}"]
    if static and "static" not in c.source_names():
        problems.append(f"{PREFIX}CLUSTERS_STATIC is set but 'static' is not in {PREFIX}CLUSTERS_SOURCES")
    if "static" in c.source_names() and not static:
        problems.append(
            f"{PREFIX}CLUSTERS_SOURCES names 'static' but {PREFIX}CLUSTERS_STATIC lists no cluster"
        )
    names = {e.name for e in static}
    problems += [
        f"{PREFIX}CLUSTERS_STATIC: no such file {e.path} (cluster {e.name!r})"
        for e in static
        if not e.path.is_file()
    ]
    flagged = [n.strip() for n in c.static_devops.split(",") if n.strip() and n.strip() != "*"]
    problems += [
        f"{PREFIX}CLUSTERS_STATIC_DEVOPS names {n!r}, which is not a static cluster"
        for n in flagged
        if n not in names
    ]
    if c.static_host and c.static_host not in names:
        problems.append(
            f"{PREFIX}CLUSTERS_STATIC_HOST names {c.static_host!r}, which is not a static cluster"
        )
    return problems
