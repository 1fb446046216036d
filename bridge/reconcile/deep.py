"""The deep check of a pass: config.xml of our folders and pipeline jobs read back and compared.

Run on the slow re-push cadence (or on request: ``reconcile --deep``, ``POST …/sync {"deep": true}``).
It catches edits in Jenkins that kept our marker in the description: a folder whose matrix was changed,
a job whose configuration differs from what the bridge declares. Only items that are ours and whose
stamp already matches are read (the others change in this pass anyway); reads run on the pool.
"""

from __future__ import annotations

from collections.abc import Mapping

from bridge.adapters.jenkins.configxml import FolderGrants, Rendered, folder_grants_drifted
from bridge.adapters.jenkins.port import JenkinsPort
from bridge.domain.model import Pipeline
from bridge.domain.plan import PROJECT, Ref, Seen
from bridge.errors import BridgeError
from bridge.identity.tenancy import project_identity
from bridge.reconcile.pool import bounded_map
from bridge.reconcile.render import pipeline_drifted


def drifted_items(
    jenkins: JenkinsPort,
    docs: Mapping[Ref, Rendered],
    pipelines: Mapping[Ref, Pipeline],
    seen: Mapping[Ref, Seen],
    *,
    grants: Mapping[str, FolderGrants],
    key: bytes,
    requested_by: bool,
    prefix: str,
    workers: int = 1,
) -> set[Ref]:
    """The refs whose configuration in Jenkins drifted from what the bridge declares."""

    def unchanged(ref: Ref) -> bool:
        current = seen.get(ref)
        return current is not None and current.managed and current.stamp == docs[ref].description

    candidates = [r for r in docs if r.kind == PROJECT and unchanged(r)]
    candidates += [r for r in pipelines if r in docs and unchanged(r)]
    by_path = {(r.project if r.kind == PROJECT else f"{r.project}/{r.name}"): r for r in candidates}

    def check(path: str) -> bool:
        ref = by_path[path]
        try:
            config = jenkins.item_config(path)
        except BridgeError:
            return False  # the pass itself will meet and report the problem
        if ref.kind == PROJECT:
            return folder_grants_drifted(config, grants.get(ref.project))
        return pipeline_drifted(
            config,
            desired=pipelines[ref],
            rendered=docs[ref],
            key=key,
            requested_by=requested_by,
            run_as=project_identity(prefix, ref.project),
        )

    return {
        by_path[path] for path, drifted in bounded_map(check, by_path, workers=workers).items() if drifted
    }
