"""/api/v1/projects"""

from __future__ import annotations

from bridge.api.access import current_grants
from bridge.api.paging import Pager, list_id, name_of
from bridge.api.registry import Call, Registry
from bridge.api.schemas.common import Accepted
from bridge.api.schemas.projects import ProjectIn, ProjectList, ProjectOut, ProjectPatch, ProjectQuery

routes = Registry()
BASE = "/api/v1/projects"
ITEM = BASE + "/<project>"


@routes.route(
    "GET",
    BASE,
    permission="project.list",
    tag="projects",
    summary="List projects",
    query=ProjectQuery,
    response=ProjectList,
)
def list_projects(call: Call) -> ProjectList:
    query = call.query_as(ProjectQuery)
    grants = current_grants()  # only the projects the caller may see
    pager = Pager.of(query, list_id("projects", query.workspace), (str,))
    projects = call.container.projects
    found, token = pager.page(
        lambda after, n: projects.list(workspace=query.workspace, after=name_of(after), limit=n),
        key=lambda p: (p.obj.name,),
        keep=lambda p: grants.can_see_project(p.obj.name, p.obj.workspace),
    )
    return ProjectList(items=[ProjectOut.of(p, projects.controller(p.obj)) for p in found], continue_=token)


@routes.route(
    "POST",
    BASE,
    permission="project.create",
    tag="projects",
    summary="Create a project (a Jenkins folder)",
    request=ProjectIn,
    response=ProjectOut,
    status=201,
    errors=(409,),
)
def create_project(call: Call) -> ProjectOut:
    body = call.body_as(ProjectIn)
    created = call.container.projects.create(body.to_domain(), notification=body.notification())
    return ProjectOut.of(created, call.container.projects.controller(created.obj))


@routes.route(
    "GET",
    ITEM,
    permission="project.read",
    tag="projects",
    summary="Read a project",
    response=ProjectOut,
    errors=(404,),
)
def get_project(call: Call, project: str) -> ProjectOut:
    found = call.container.projects.get(project)
    return ProjectOut.of(found, call.container.projects.controller(found.obj))


@routes.route(
    "PATCH",
    ITEM,
    permission="project.write",
    tag="projects",
    summary="Change a project",
    request=ProjectPatch,
    response=ProjectOut,
    errors=(404, 409),
)
def patch_project(call: Call, project: str) -> ProjectOut:
    body = call.body_as(ProjectPatch)
    updated = call.container.projects.update(
        project, expected_version=call.expected_version, notification=body.notification(), **body.changes()
    )
    return ProjectOut.of(updated, call.container.projects.controller(updated.obj))


@routes.route(
    "DELETE",
    ITEM,
    permission="project.delete",
    tag="projects",
    summary="Delete a project with its credentials and pipelines (the folder goes later)",
    response=Accepted,
    status=202,
    errors=(404, 409),
)
def delete_project(call: Call, project: str) -> Accepted:
    call.container.projects.delete(project, expected_version=call.expected_version)
    return Accepted(kind="project", project=project)
