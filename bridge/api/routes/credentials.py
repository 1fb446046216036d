"""/api/v1/projects/<project>/credentials"""

from __future__ import annotations

from bridge.api.paging import Pager, list_id, name_of
from bridge.api.registry import Call, Registry
from bridge.api.schemas.common import Accepted, PageQuery
from bridge.api.schemas.credentials import (
    CredentialIn,
    CredentialList,
    CredentialOut,
    CredentialPatch,
    CredentialPut,
)

routes = Registry()
BASE = "/api/v1/projects/<project>/credentials"
ITEM = BASE + "/<credential>"


@routes.route(
    "GET",
    BASE,
    permission="credential.read",
    tag="credentials",
    summary="List credentials",
    query=PageQuery,
    response=CredentialList,
    errors=(404,),
)
def list_credentials(call: Call, project: str) -> CredentialList:
    pager = Pager.of(call.query_as(PageQuery), list_id("credentials", project), (str,))
    found, token = pager.page(
        lambda after, n: call.container.credentials.list(project, after=name_of(after), limit=n),
        key=lambda c: (c.obj.id,),
    )
    return CredentialList(items=[CredentialOut.of(c) for c in found], continue_=token)


@routes.route(
    "POST",
    BASE,
    permission="credential.write",
    tag="credentials",
    summary="Create a credential",
    request=CredentialIn,
    response=CredentialOut,
    status=201,
    errors=(404, 409),
)
def create_credential(call: Call, project: str) -> CredentialOut:
    created = call.container.credentials.create(call.body_as(CredentialIn).to_domain(project))
    return CredentialOut.of(created)


@routes.route(
    "GET",
    ITEM,
    permission="credential.read",
    tag="credentials",
    summary="Read a credential (secret values are never returned)",
    response=CredentialOut,
    errors=(404,),
)
def get_credential(call: Call, project: str, credential: str) -> CredentialOut:
    return CredentialOut.of(call.container.credentials.get(project, credential))


@routes.route(
    "PUT",
    ITEM,
    permission="credential.write",
    tag="credentials",
    summary="Replace a credential; data keys left out keep their values",
    request=CredentialPut,
    response=CredentialOut,
    errors=(404, 409),
)
def put_credential(call: Call, project: str, credential: str) -> CredentialOut:
    body = call.body_as(CredentialPut)
    updated = call.container.credentials.update(
        project,
        credential,
        type=body.type,
        description=body.description,
        data=body.data,
        expected_version=call.expected_version,
    )
    return CredentialOut.of(updated)


@routes.route(
    "PATCH",
    ITEM,
    permission="credential.write",
    tag="credentials",
    summary="Change a credential",
    request=CredentialPatch,
    response=CredentialOut,
    errors=(404, 409),
)
def patch_credential(call: Call, project: str, credential: str) -> CredentialOut:
    body = call.body_as(CredentialPatch)
    sent = body.model_fields_set
    updated = call.container.credentials.update(
        project,
        credential,
        description=body.description if "description" in sent else None,
        data=body.data if "data" in sent else None,
        expected_version=call.expected_version,
    )
    return CredentialOut.of(updated)


@routes.route(
    "DELETE",
    ITEM,
    permission="credential.write",
    tag="credentials",
    summary="Delete a credential",
    response=Accepted,
    status=202,
    errors=(404, 409),
)
def delete_credential(call: Call, project: str, credential: str) -> Accepted:
    call.container.credentials.delete(project, credential, expected_version=call.expected_version)
    return Accepted(kind="credential", project=project, name=credential)
