"""What a route handler receives: who is asking, about which item, and how to build URLs back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from bridge.sandbox.jenkins.acl import ANONYMOUS, Identity, has_permission
from bridge.sandbox.jenkins.errors import AccessDenied
from bridge.sandbox.jenkins.model import Item, SandboxState, User

if TYPE_CHECKING:
    import threading


GLOBAL_PERMISSIONS = ("hudson.model.Hudson.", "hudson.model.Computer.")


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request (``user`` None = anonymous)."""

    user: User | None
    via_api_token: bool = False

    @property
    def id(self) -> str:
        return self.user.id if self.user else "anonymous"

    @property
    def groups(self) -> tuple[str, ...]:
        return self.user.groups if self.user else ()

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user.is_admin)

    @property
    def is_anonymous(self) -> bool:
        return self.user is None

    def has(self, permission: str) -> bool:
        return bool(self.user and self.user.has(permission))

    def authorities(self) -> list[str]:
        """``WhoAmI.authorities``: 'authenticated' plus the groups (anonymous: 'anonymous')."""
        if self.user is None:
            return ["anonymous"]
        return ["authenticated", *self.groups]


@dataclass
class RequestContext:
    """One request, resolved: item from the ``/job/a/job/b`` prefix of the path, and the rest of it."""

    request: Request
    state: SandboxState
    principal: Principal
    item: Item
    rest: str
    host_url: str  # scheme://host[:port], from the request's Host header
    context_path: str  # '' or e.g. '/jenkins'
    version: str
    services: dict[str, Any]  # instance-level collaborators (time scale, pipeline engine...)

    @property
    def lock(self) -> threading.RLock:
        return self.state.lock

    @property
    def root_url(self) -> str:
        """Absolute URL of the Jenkins root, with the context path and a trailing slash."""
        return f"{self.host_url}{self.context_path}/"

    def url_of(self, item: Item) -> str:
        """Absolute URL of an item (what Jenkins exports as ``url``)."""
        return self.root_url + item.url_path

    def absolute(self, path: str) -> str:
        """Absolute URL for a path below the context root (``path`` has no leading slash)."""
        return self.root_url + path.lstrip("/")

    @property
    def identity(self) -> Identity:
        if self.principal.user is None:
            return ANONYMOUS
        return Identity(self.principal.user.id, ("authenticated", *self.principal.groups))

    def has(self, permission: str, item: Item | None = None) -> bool:
        """The caller's permission on ``item`` (default: the request's item) under the configured
        authorisation strategy."""
        target = item if item is not None else self.item
        if permission.startswith(GLOBAL_PERMISSIONS):  # Overall/* and Agent/* are asked of Jenkins itself
            target = self.state.root
        return has_permission(self.state, self.identity, target, permission)

    def require(self, permission: str, item: Item | None = None) -> None:
        if not self.has(permission, item):
            raise AccessDenied(self.principal.id, permission)

    def param(self, name: str) -> str | None:
        """``ServletRequest.getParameter``: the query string wins over the form body."""
        value = self.request.args.get(name)
        if value is None:
            value = self.request.form.get(name)
        return value
