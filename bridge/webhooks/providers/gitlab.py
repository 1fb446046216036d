"""GitLab: ``X-Gitlab-Event`` (``Push Hook``, ``Tag Push Hook``), the secret token in ``X-Gitlab-Token``.

GitLab has no ping: its "Test" button sends a real-looking push built from recent commits. The
delivery id is ``Idempotency-Key`` (kept across GitLab's retries and "Resend"), else the event UUID.
"""

from __future__ import annotations

from bridge.webhooks.events import Delivery, Provider, Push, Scheme, Signature, is_zero
from bridge.webhooks.providers.common import Headers, obj, payload, split_ref, text, urls
from bridge.webhooks.providers.common import event as event_of

PUSH_EVENTS = frozenset({"Push Hook", "Tag Push Hook"})


def read(headers: Headers, body: bytes) -> Delivery:
    event = event_of(headers, "X-Gitlab-Event", "GitLab")
    doc, _ = payload(headers, body)
    token = headers.get("X-Gitlab-Token")
    sig = Signature(Scheme.TOKEN, token) if headers.has("X-Gitlab-Token") else Signature(Scheme.NONE)
    delivery_id = headers.get("Idempotency-Key") or headers.get("X-Gitlab-Event-UUID")
    if event not in PUSH_EVENTS:
        return Delivery(Provider.GITLAB, delivery_id, event, sig)
    project = obj(doc.get("project"))
    repo = obj(doc.get("repository"))
    ref = text(doc.get("ref"))
    split = split_ref(ref)
    pushes: tuple[Push, ...] = ()
    if split is not None:
        kind, name = split
        checkout = text(doc.get("checkout_sha"))
        after = text(doc.get("after"))
        deleted = is_zero(after) or not checkout
        pushes = (Push(ref, kind, name, checkout or after, deleted),)
    return Delivery(
        provider=Provider.GITLAB,
        id=delivery_id,
        event=event,
        signature=sig,
        repo_urls=urls(
            project.get("git_http_url"),
            project.get("git_ssh_url"),
            project.get("web_url"),
            repo.get("git_http_url"),
            repo.get("git_ssh_url"),
        ),
        pushes=pushes,
        pusher=text(doc.get("user_username")) or text(doc.get("user_name")),
    )
