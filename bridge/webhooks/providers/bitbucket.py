"""Bitbucket Cloud (``X-Request-UUID``) and Data Center (``X-Request-Id``): ``X-Event-Key``, and
``X-Hub-Signature: sha256=…`` over the raw body (SHA-256 here, unlike GitHub's header of that name;
any other algorithm is refused). One delivery carries every ref of a push (``changes``).

Cloud's repository has no clone links: they are derived from ``full_name`` on bitbucket.org. Data
Center's ``diagnostics:ping`` ("Test connection") is answered as a ping.
"""

from __future__ import annotations

from typing import Any

from bridge.webhooks.events import Delivery, Provider, Push, RefKind, Scheme, Signature, is_zero
from bridge.webhooks.providers.common import Headers, obj, payload, text, urls
from bridge.webhooks.providers.common import event as event_of

CLOUD_HOST = "bitbucket.org"


def signature(headers: Headers, body: bytes) -> Signature:
    if not headers.has("X-Hub-Signature"):
        return Signature(Scheme.NONE)
    value = headers.get("X-Hub-Signature")
    digest = value[len("sha256=") :] if value.startswith("sha256=") else ""  # other algorithms: refused
    return Signature(Scheme.HMAC_SHA256, digest, body)


def read(headers: Headers, body: bytes) -> Delivery:
    event = event_of(headers, "X-Event-Key", "Bitbucket")
    doc, _ = payload(headers, body)
    cloud = headers.has("X-Request-UUID") or headers.has("X-Hook-UUID")
    provider = Provider.BITBUCKET_CLOUD if cloud else Provider.BITBUCKET_DC
    delivery_id = headers.get("X-Request-UUID") if cloud else headers.get("X-Request-Id")
    sig = signature(headers, body)
    if event == "diagnostics:ping":
        return Delivery(provider, delivery_id, event, sig, ping=True)
    if event not in ("repo:push", "repo:refs_changed"):
        return Delivery(provider, delivery_id, event, sig)
    repo = obj(doc.get("repository"))
    actor = obj(doc.get("actor"))
    if cloud:
        full = text(repo.get("full_name"))
        derived = (f"https://{CLOUD_HOST}/{full}.git", f"git@{CLOUD_HOST}:{full}.git") if full else ()
        web = obj(obj(repo.get("links")).get("html")).get("href")
        changes = obj(doc.get("push")).get("changes")
        pushes = tuple(p for c in _list(changes) if (p := _cloud_change(obj(c))) is not None)
        pusher = text(actor.get("nickname")) or text(actor.get("display_name"))
        return Delivery(provider, delivery_id, event, sig, False, urls(*derived, web), pushes, pusher)
    links = obj(repo.get("links"))
    clones = [obj(x) for x in _list(links.get("clone"))]
    clones.sort(key=lambda x: text(x.get("name")) != "http")  # HTTP first: the one shown
    web = [obj(x).get("href") for x in _list(links.get("self"))]
    pushes = tuple(p for c in _list(doc.get("changes")) if (p := _dc_change(obj(c))) is not None)
    pusher = text(actor.get("slug")) or text(actor.get("name"))
    found = urls(*(x.get("href") for x in clones), *web)
    return Delivery(provider, delivery_id, event, sig, False, found, pushes, pusher)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _cloud_change(change: dict[str, Any]) -> Push | None:
    new, old = change.get("new"), change.get("old")
    state = obj(new) or obj(old)
    kind = {"branch": RefKind.BRANCH, "named_branch": RefKind.BRANCH, "tag": RefKind.TAG}.get(
        text(state.get("type"))
    )
    name = text(state.get("name"))
    if kind is None or not name:
        return None
    prefix = "refs/heads/" if kind is RefKind.BRANCH else "refs/tags/"
    commit = text(obj(obj(new).get("target")).get("hash"))
    return Push(prefix + name, kind, name, commit, deleted=new is None or bool(change.get("closed")))


def _dc_change(change: dict[str, Any]) -> Push | None:
    ref = obj(change.get("ref"))
    kind = {"BRANCH": RefKind.BRANCH, "TAG": RefKind.TAG}.get(text(ref.get("type")))
    full = text(ref.get("id")) or text(change.get("refId"))
    name = text(ref.get("displayId")) or full.rsplit("/", 1)[-1]
    if kind is None or not full:
        return None
    to = text(change.get("toHash"))
    return Push(full, kind, name, to, deleted=text(change.get("type")) == "DELETE" or is_zero(to))
