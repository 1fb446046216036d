"""Desired state → rendered Jenkins documents, by ref (folder, credentials, pipelines of each project).

Tenancy is part of every rendering: the folder carries the matrix of the project identity and the
project's members, every job runs its builds as the project identity (``configxml.authz``).
"""

from __future__ import annotations

import dataclasses
import hashlib

from bridge.adapters.jenkins.configxml import (
    FolderGrants,
    KubeconfigMode,
    Rendered,
    folder_grants,
    parse_pipeline,
    parse_run_as,
    read_marker,
    render_credential,
    render_folder,
    render_pipeline,
)
from bridge.adapters.jenkins.configxml.xmltext import parse
from bridge.domain.jenkinsfile_params import with_jenkinsfile_parameters
from bridge.domain.model import ParameterType, Pipeline, Project
from bridge.domain.plan import CREDENTIAL, PIPELINE, PROJECT, Ref
from bridge.identity.tenancy import BUILT_IN_ONLY, DEFAULT_PREFIX, ReservedNames, project_identity
from bridge.reconcile.ports import DesiredState


def marker_key(secret_key: str) -> bytes:
    """The key of the desired-config HMAC, derived from the bridge's secret key (never the key itself)."""
    return hashlib.sha256(b"jenkins-bridge/config-hash\x00" + secret_key.encode("utf-8")).digest()


def project_grants(
    desired: DesiredState, project: str, *, prefix: str, reserved: ReservedNames = BUILT_IN_ONLY
) -> FolderGrants:
    """The folder matrix of a project: its identity and its members (reserved names left out: a
    binding stored before a name became reserved must not grant it anything in Jenkins)."""
    members = [m for m in desired.members(project) if reserved.reason(m.subject) is None]
    return folder_grants(project_identity(prefix, project), members)


def render_project(
    desired: DesiredState,
    project: Project,
    *,
    key: bytes,
    mode: KubeconfigMode,
    requested_by: bool = True,
    prefix: str = DEFAULT_PREFIX,
    reserved: ReservedNames = BUILT_IN_ONLY,
) -> tuple[dict[Ref, Rendered], dict[Ref, Pipeline], FolderGrants]:
    """Every document of one project, the pipelines (kept for deep drift checks) and the folder matrix.

    ``requested_by``: jobs define ``BRIDGE_REQUESTED_BY`` (``jenkins.attribution = "parameter"``);
    ``prefix``: of the project identity every job runs as.
    """
    grants = project_grants(desired, project.name, prefix=prefix, reserved=reserved)
    run_as = project_identity(prefix, project.name)
    rendered = {Ref(PROJECT, project.name): render_folder(project, key=key, grants=grants)}
    for credential in desired.credentials(project.name):
        rendered[Ref(CREDENTIAL, project.name, credential.id)] = render_credential(
            credential, key=key, mode=mode
        )
    pipelines: dict[Ref, Pipeline] = {}
    for declared in desired.pipelines(project.name):
        pipeline = with_jenkinsfile_parameters(declared)  # shown before the first run
        ref = Ref(PIPELINE, project.name, pipeline.name)
        rendered[ref] = render_pipeline(pipeline, key=key, requested_by=requested_by, run_as=run_as)
        pipelines[ref] = pipeline
    return rendered, pipelines, grants


def pipeline_drifted(
    config: bytes,
    *,
    desired: Pipeline,
    rendered: Rendered,
    key: bytes,
    requested_by: bool = True,
    run_as: str | None = None,
) -> bool:
    """Does Jenkins' config.xml describe another pipeline than the one we pushed?

    Jenkins' copy is parsed and re-rendered, so layout differences (XML 1.1, element order, what
    Jenkins adds) do not count. Password defaults come back encrypted, so they are taken as desired.
    The build identity (``run_as``) is the bridge's own declaration: edited or removed, it is drift.
    """
    if run_as is not None and parse_run_as(parse(config).find("properties")) != run_as:
        return True
    parsed = parse_pipeline(config, project=desired.project, name=desired.name)
    marked = read_marker(parsed.description)
    if marked is None or marked[1] != rendered.digest:
        return True
    desired_defaults = {p.name: p.default for p in desired.parameters if p.type is ParameterType.PASSWORD}
    # A declarative ``parameters {}`` directive adds the Jenkinsfile's own parameters to the job when
    # it runs (and keeps ours): only the parameters the bridge declares are compared, in its order.
    observed = {p.name: p for p in parsed.parameters}
    parameters = tuple(
        dataclasses.replace(p, default=desired_defaults[p.name])
        if p.type is ParameterType.PASSWORD and p.name in desired_defaults
        else p
        for p in (observed[d.name] for d in desired.parameters if d.name in observed)
    )
    # Likewise ``options { disableConcurrentBuilds(); buildDiscarder(...) }`` and ``triggers { cron(...) }``
    # become job properties when the Jenkinsfile runs: a property the bridge does not declare is not its
    # to compare (one it declares must still be there, unchanged).
    observed_pipeline = dataclasses.replace(
        parsed,
        description=marked[0],
        parameters=parameters,
        concurrent=True if desired.concurrent else parsed.concurrent,
        discarder=parsed.discarder if desired.discarder is not None else None,
        cron=parsed.cron if desired.cron is not None else None,
    )
    again = render_pipeline(observed_pipeline, key=key, requested_by=requested_by, run_as=run_as)
    return again.digest != rendered.digest
