"""URL resolution and the route registry: the extension point of the sandbox.

Every request path (below the context path) is split into an *item* and a *rest*:
``/job/a/job/b/lastBuild/api/json`` resolves folder ``a``, job ``b`` and rest ``lastBuild/api/json``.
The root object ``/`` is the item of kind ``root``. A handler is found by (item kind, rest pattern,
method); patterns are anchored regular expressions whose named groups are passed to the handler.
A trailing slash on the rest is ignored (``api/json/`` == ``api/json``). A pattern ending in ``api/json``
also matches ``api/python`` and ``api/xml``: its handler exports once, ``api.serve`` writes the flavour.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from werkzeug.wrappers import Response

from bridge.sandbox.jenkins.context import RequestContext
from bridge.sandbox.jenkins.errors import ItemNotFound, MethodNotAllowed
from bridge.sandbox.jenkins.model import Folder, Item

Handler = Callable[[RequestContext, dict[str, str]], Response]

KINDS = frozenset({"root", "folder", "job"})
ITEM_KINDS = frozenset({"folder", "job"})


@dataclass(frozen=True)
class Route:
    kinds: frozenset[str]
    pattern: re.Pattern[str]
    methods: frozenset[str]
    handler: Handler
    crumb: bool = True  # False: a POST to it is exempt from CSRF checks (rare; e.g. webhook tokens)
    anonymous: bool = False  # True: readable without Overall/Read (UnprotectedRootAction, login...)
    exported: bool = False  # an ``api/json`` route: serves ``api/python`` and ``api/xml`` too


class RouteTable:
    """Routes registered by the endpoint modules; see the package docstring for how to add one."""

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(
        self,
        pattern: str,
        handler: Handler,
        *,
        kinds: Iterable[str] = ITEM_KINDS,
        methods: Iterable[str] = ("GET",),
        crumb: bool = True,
        anonymous: bool = False,
    ) -> None:
        kind_set = frozenset(kinds)
        if not kind_set <= KINDS:
            raise ValueError(f"unknown item kinds: {sorted(kind_set - KINDS)}")
        method_set = frozenset(m.upper() for m in methods)
        if "GET" in method_set:
            method_set |= {"HEAD"}
        source = pattern.strip("/")
        exported = source == "api/json" or source.endswith("/api/json")
        if exported:  # hudson.model.Api: every object with api/json has the other flavours
            source = source[: -len("json")] + "(?:json|python|xml)"
        compiled = re.compile(source + r"\Z", re.DOTALL)
        self._routes.append(Route(kind_set, compiled, method_set, handler, crumb, anonymous, exported))

    def route(
        self,
        pattern: str,
        *,
        kinds: Iterable[str] = ITEM_KINDS,
        methods: Iterable[str] = ("GET",),
        crumb: bool = True,
        anonymous: bool = False,
    ) -> Callable[[Handler], Handler]:
        """Decorator form of ``add``."""

        def register(handler: Handler) -> Handler:
            self.add(pattern, handler, kinds=kinds, methods=methods, crumb=crumb, anonymous=anonymous)
            return handler

        return register

    def find(self, kind: str, rest: str) -> list[tuple[Route, dict[str, str]]]:
        """Every route whose pattern matches (any method), in registration order."""
        normalised = rest.strip("/")
        found: list[tuple[Route, dict[str, str]]] = []
        for r in self._routes:
            if kind in r.kinds:
                m = r.pattern.match(normalised)
                if m:
                    found.append((r, {k: v for k, v in m.groupdict().items() if v is not None}))
        return found

    def select(self, kind: str, rest: str, method: str) -> tuple[Route, dict[str, str]]:
        """The route for this method, or 404 (no pattern) / 405 (pattern without this method)."""
        candidates = self.find(kind, rest)
        if not candidates:
            raise ItemNotFound()
        for r, groups in candidates:
            if method in r.methods:
                return r, groups
        raise MethodNotAllowed()


def kind_of(item: Item) -> str:
    if isinstance(item, Folder):
        return "root" if item.is_root else "folder"
    return "job"


def resolve_item(root: Folder, path: str) -> tuple[Item, str]:
    """Walk ``job/NAME`` pairs from the root; the first segment that is not one ends the item part.

    ``job/NAME`` naming a missing child, or under a job, is a 404 as in Stapler.
    """
    segments = path.split("/")
    node: Item = root
    i = 0
    while i + 1 < len(segments) and segments[i] == "job" and segments[i + 1] != "":
        if not isinstance(node, Folder):
            break
        child = node.children.get(segments[i + 1])
        if child is None:
            raise ItemNotFound()
        node = child
        i += 2
    return node, "/".join(segments[i:])
