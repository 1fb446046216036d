"""Gitea, Forgejo and Gogs: one endpoint, the flavour told by its own headers, most specific first.

All three also send GitHub's ``X-GitHub-Event``/``X-GitHub-Delivery`` (and Gitea/Forgejo GitHub's
signatures): those are ignored here, the flavour's own ``X-…-Signature`` (bare hex HMAC-SHA256 of the
JSON payload, which for a form hook is the ``payload`` field) is the one checked. An empty digest is
what they send when the hook has no secret: unsigned.

Events: ``push`` for branches (Gitea/Forgejo also for tags); Gogs announces a tag only with
``create`` (``ref_type: tag``), so that is read as a tag push for Gogs alone (Gitea and Forgejo send
``create`` besides their ``push``, which would start the run twice). Branch deletions come as
``delete`` (no ``push``) and are ignored like other events.
"""

from __future__ import annotations

from bridge.webhooks.events import Delivery, Provider, Push, RefKind, Scheme, Signature, is_zero
from bridge.webhooks.providers.common import (
    BadDelivery,
    Headers,
    obj,
    payload,
    split_ref,
    text,
    urls,
)

FLAVOURS = (("Forgejo", Provider.FORGEJO), ("Gitea", Provider.GITEA), ("Gogs", Provider.GOGS))


def flavour(headers: Headers) -> tuple[str, Provider]:
    for prefix, provider in FLAVOURS:
        if headers.has(f"X-{prefix}-Event"):
            return prefix, provider
    raise BadDelivery("no X-Forgejo-Event, X-Gitea-Event or X-Gogs-Event header: not a Gitea-family delivery")


def _signature(digest: str, signed: bytes) -> Signature:
    """An empty digest is what a hook without a secret sends: unsigned."""
    return Signature(Scheme.HMAC_SHA256, digest, signed) if digest else Signature(Scheme.NONE)


def read(headers: Headers, body: bytes) -> Delivery:
    prefix, provider = flavour(headers)
    event = headers.get(f"X-{prefix}-Event")
    delivery_id = headers.get(f"X-{prefix}-Delivery")
    digest = headers.get(f"X-{prefix}-Signature")
    gogs_tag = provider is Provider.GOGS and event == "create"
    doc, signed = payload(headers, body)
    if event != "push" and not gogs_tag:
        return Delivery(provider, delivery_id, event, _signature(digest, signed))
    sig = _signature(digest, signed)
    repo = obj(doc.get("repository"))
    pushes: tuple[Push, ...] = ()
    if gogs_tag:
        if text(doc.get("ref_type")) == "tag":
            name = text(doc.get("ref"))
            pushes = (Push("refs/tags/" + name, RefKind.TAG, name, text(doc.get("sha"))),)
    else:
        ref = text(doc.get("ref"))
        split = split_ref(ref)
        if split is not None:
            kind, name = split
            after = text(doc.get("after"))
            head = text(obj(doc.get("head_commit")).get("id"))
            commits = doc.get("commits")
            first = text(obj(commits[0]).get("id")) if isinstance(commits, list) and commits else ""
            pushes = (Push(ref, kind, name, head or first or after, is_zero(after)),)
    pusher = obj(doc.get("pusher"))
    return Delivery(
        provider=provider,
        id=delivery_id,
        event=event,
        signature=sig,
        repo_urls=urls(repo.get("clone_url"), repo.get("ssh_url"), repo.get("html_url")),
        pushes=pushes,
        pusher=text(pusher.get("login")) or text(pusher.get("username")),
    )
