"""GitHub (github.com, GHEC, GHES): ``X-GitHub-Event``, ``X-Hub-Signature-256`` over the raw body.

The legacy SHA-1 ``X-Hub-Signature`` is never accepted. A form-encoded hook signs the whole body.
"""

from __future__ import annotations

import dataclasses

from bridge.webhooks.events import Delivery, Provider, Push, Scheme, Signature, is_zero
from bridge.webhooks.providers.common import Headers, obj, payload, split_ref, text, urls
from bridge.webhooks.providers.common import event as event_of


def signature(headers: Headers, body: bytes) -> Signature:
    if not headers.has("X-Hub-Signature-256"):
        return Signature(Scheme.NONE)
    value = headers.get("X-Hub-Signature-256")
    digest = value[len("sha256=") :] if value.startswith("sha256=") else ""
    return Signature(Scheme.HMAC_SHA256, digest, body)


def read(headers: Headers, body: bytes) -> Delivery:
    event = event_of(headers, "X-GitHub-Event", "GitHub")
    doc, _ = payload(headers, body)  # every event carries a JSON document
    base = Delivery(
        provider=Provider.GITHUB,
        id=headers.get("X-GitHub-Delivery"),
        event=event,
        signature=signature(headers, body),
    )
    if event == "ping":
        return dataclasses.replace(base, ping=True)
    if event != "push":
        return base
    repo = obj(doc.get("repository"))
    ref = text(doc.get("ref"))
    split = split_ref(ref)
    pushes: tuple[Push, ...] = ()
    if split is not None:
        kind, name = split
        head = obj(doc.get("head_commit"))
        after = text(doc.get("after"))
        deleted = bool(doc.get("deleted")) or is_zero(after)
        pushes = (Push(ref, kind, name, text(head.get("id")) or after, deleted),)
    pusher = text(obj(doc.get("pusher")).get("name")) or text(obj(doc.get("sender")).get("login"))
    return Delivery(
        provider=Provider.GITHUB,
        id=base.id,
        event=event,
        signature=base.signature,
        repo_urls=urls(repo.get("clone_url"), repo.get("ssh_url"), repo.get("html_url"), repo.get("git_url")),
        pushes=pushes,
        pusher=pusher,
    )
