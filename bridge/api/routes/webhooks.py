"""``/webhooks/<provider>`` (push deliveries, authenticated by signature) and
``/api/v1/projects/<project>/webhook-deliveries`` (what became of them).

The receiver routes are documented here and answered before Flask by ``bridge.api.receiver``: it reads
the raw body (bounded by ``webhooks.max_body_bytes``), hands it to the ``WebhookReceiver`` service, and
answers 202 once the delivery is stored; a ping gets 200. A client address sending more than
``webhooks.rate_limit`` deliveries a minute gets 429.
"""

from __future__ import annotations

from bridge.api.paging import Key, Pager, list_id
from bridge.api.registry import Call, Registry
from bridge.api.schemas.common import PageQuery
from bridge.api.schemas.webhooks import DeliveryList, DeliveryOut, ReceiptOut
from bridge.services.deliveries import DeliveryService

routes = Registry()
DELIVERIES = "/api/v1/projects/<project>/webhook-deliveries"
PIPELINE_DELIVERIES = "/api/v1/projects/<project>/pipelines/<item:pipeline>/webhook-deliveries"


def _deliveries(call: Call) -> DeliveryService:
    found = call.container.deliveries
    assert found is not None, "the composition root builds it"
    return found


for _family, _name in (
    ("github", "GitHub"),
    ("gitlab", "GitLab"),
    ("gitea", "Gitea, Forgejo or Gogs"),
    ("bitbucket", "Bitbucket Cloud or Data Center"),
):
    routes.documented(
        "POST",
        f"/webhooks/{_family}",
        operation=f"receive_{_family}",
        permission="webhook.deliver",
        tag="webhooks",
        summary=f"Receive a {_name} push delivery (signed with a pipeline's webhook secret)",
        response=ReceiptOut,
        status=202,
    )


def _list(call: Call, project: str, pipeline: str | None) -> DeliveryList:
    service = _deliveries(call)

    def fetch(after: Key | None, n: int) -> list[DeliveryOut]:
        before = int(after[0]) if after else None
        return [DeliveryOut.of(r) for r in service.list(project, pipeline, before=before, limit=n)]

    pager = Pager.of(call.query_as(PageQuery), list_id("webhook-deliveries", project, pipeline or ""), (int,))
    items, token = pager.page(fetch, key=lambda d: (d.id,))
    return DeliveryList(items=items, continue_=token)


@routes.route(
    "GET",
    DELIVERIES,
    permission="webhook.read",
    tag="webhooks",
    summary="List the project's push deliveries (newest first) and the runs they started",
    query=PageQuery,
    response=DeliveryList,
    errors=(404,),
)
def list_deliveries(call: Call, project: str) -> DeliveryList:
    return _list(call, project, None)


@routes.route(
    "GET",
    PIPELINE_DELIVERIES,
    permission="webhook.read",
    tag="webhooks",
    summary="List a pipeline's push deliveries (newest first)",
    query=PageQuery,
    response=DeliveryList,
    errors=(404,),
)
def list_pipeline_deliveries(call: Call, project: str, pipeline: str) -> DeliveryList:
    return _list(call, project, pipeline)


@routes.route(
    "POST",
    DELIVERIES + "/<int:delivery>/redeliver",
    permission="webhook.redeliver",
    tag="webhooks",
    summary="Queue a delivery again: the worker starts a new run for it",
    response=DeliveryOut,
    status=202,
    errors=(404, 409),
)
def redeliver(call: Call, project: str, delivery: int) -> DeliveryOut:
    service = _deliveries(call)
    return DeliveryOut.of(service.redeliver(project, int(delivery)))
