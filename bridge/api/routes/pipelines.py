"""/api/v1/projects/<project>/pipelines"""

from __future__ import annotations

from flask import request

from bridge.api.paging import Pager, list_id, name_of
from bridge.api.registry import Call, Registry
from bridge.api.schemas.common import Accepted, PageQuery
from bridge.api.schemas.pipelines import PipelineIn, PipelineList, PipelineOut, PipelinePatch, PipelinePut
from bridge.api.schemas.validation import JenkinsfileIn, ValidationOut
from bridge.domain.model import Pipeline
from bridge.store import Stored

routes = Registry()


def _out(call: Call, stored: Stored[Pipeline]) -> PipelineOut:
    """The pipeline as shown, its webhook URLs on the receiver's public base (or this request's)."""
    base = call.container.settings.webhooks.public_url or request.host_url
    return PipelineOut.of(stored, webhook_base=base)


BASE = "/api/v1/projects/<project>/pipelines"
ITEM = BASE + "/<item:pipeline>"  # never "validate": that is the action below


@routes.route(
    "GET",
    BASE,
    permission="pipeline.read",
    tag="pipelines",
    summary="List pipelines",
    query=PageQuery,
    response=PipelineList,
    errors=(404,),
)
def list_pipelines(call: Call, project: str) -> PipelineList:
    pager = Pager.of(call.query_as(PageQuery), list_id("pipelines", project), (str,))
    found, token = pager.page(
        lambda after, n: call.container.pipelines.list(project, after=name_of(after), limit=n),
        key=lambda p: (p.obj.name,),
    )
    return PipelineList(items=[_out(call, p) for p in found], continue_=token)


@routes.route(
    "POST",
    BASE,
    permission="pipeline.write",
    tag="pipelines",
    summary="Create a pipeline (a Jenkins pipeline job)",
    request=PipelineIn,
    response=PipelineOut,
    status=201,
    errors=(404, 409),
)
def create_pipeline(call: Call, project: str) -> PipelineOut:
    return _out(call, call.container.pipelines.create(call.body_as(PipelineIn).to_domain(project)))


@routes.route(
    "POST",
    BASE + "/validate",
    permission="pipeline.validate",
    tag="pipelines",
    summary="Validate a Jenkinsfile with Jenkins's Declarative linter (nothing is stored)",
    request=JenkinsfileIn,
    response=ValidationOut,
    errors=(404, 502, 503),
)
def validate_jenkinsfile(call: Call, project: str) -> ValidationOut:
    body = call.body_as(JenkinsfileIn)
    return ValidationOut.of(call.container.pipelines.validate(project, body.jenkinsfile))


@routes.route(
    "GET",
    ITEM,
    permission="pipeline.read",
    tag="pipelines",
    summary="Read a pipeline",
    response=PipelineOut,
    errors=(404,),
)
def get_pipeline(call: Call, project: str, pipeline: str) -> PipelineOut:
    return _out(call, call.container.pipelines.get(project, pipeline))


@routes.route(
    "PUT",
    ITEM,
    permission="pipeline.write",
    tag="pipelines",
    summary="Replace a pipeline",
    request=PipelinePut,
    response=PipelineOut,
    errors=(404, 409),
)
def put_pipeline(call: Call, project: str, pipeline: str) -> PipelineOut:
    changes = call.body_as(PipelinePut).changes()
    updated = call.container.pipelines.update(
        project, pipeline, expected_version=call.expected_version, **changes
    )
    return _out(call, updated)


@routes.route(
    "PATCH",
    ITEM,
    permission="pipeline.write",
    tag="pipelines",
    summary="Change a pipeline",
    request=PipelinePatch,
    response=PipelineOut,
    errors=(404, 409),
)
def patch_pipeline(call: Call, project: str, pipeline: str) -> PipelineOut:
    changes = call.body_as(PipelinePatch).changes(only_set=True)
    updated = call.container.pipelines.update(
        project, pipeline, expected_version=call.expected_version, **changes
    )
    return _out(call, updated)


@routes.route(
    "DELETE",
    ITEM,
    permission="pipeline.write",
    tag="pipelines",
    summary="Delete a pipeline",
    response=Accepted,
    status=202,
    errors=(404, 409),
)
def delete_pipeline(call: Call, project: str, pipeline: str) -> Accepted:
    call.container.pipelines.delete(project, pipeline, expected_version=call.expected_version)
    return Accepted(kind="pipeline", project=project, name=pipeline)
