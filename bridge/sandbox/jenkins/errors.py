"""The ways a Jenkins request fails, as Jenkins itself reports them on the wire.

The sandbox is a separate program and has its own vocabulary (it imports nothing of the bridge):
each error carries its HTTP status in its type; ``pages.error_response`` renders it the way Jenkins
does (HTML body, ``X-Error`` for a ``hudson.model.Failure``, the permission headers for an access
denial).
"""

from __future__ import annotations


class SandboxError(Exception):
    """Base of every failure the sandbox answers on purpose (never an emulator bug)."""

    status: int = 500
    title: str = "Error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class InvalidRequest(SandboxError):
    status = 400
    title = "Bad Request"


class Unauthenticated(SandboxError):
    status = 401
    title = "Unauthorized"


class Forbidden(SandboxError):
    status = 403
    title = "Forbidden"


class NotFound(SandboxError):
    status = 404
    title = "Not Found"


class Conflict(SandboxError):
    status = 409
    title = "Conflict"


class Failure(InvalidRequest):
    """``hudson.model.Failure``: 400 with the message in the body and in ``X-Error``."""


class ItemNotFound(NotFound):
    """The URL does not resolve (Stapler found no object): 404."""


class MethodNotAllowed(SandboxError):
    """A ``@RequirePOST`` web method reached with another verb: 405."""

    status = 405
    title = "Method Not Allowed"


class AccessDenied(Forbidden):
    """Authenticated, but the permission is missing (``AccessDeniedException3``)."""

    def __init__(self, user_id: str, permission: str) -> None:
        from bridge.sandbox.jenkins.acl import title

        super().__init__(f"{user_id} is missing the {title(permission)} permission")
        self.user_id = user_id
        self.permission = permission


class ItemForbidden(Forbidden):
    """An item seen with Job/Discover but not Job/Read: 403 Access Denied page, no permission headers."""


class AnonymousDenied(Forbidden):
    """Anonymous request to a protected URL: 403 with the login page (not 401)."""

    def __init__(self) -> None:
        super().__init__("Authentication required")


class NoValidCrumb(Forbidden):
    """``CrumbFilter``: a POST without a valid crumb and without API-token authentication."""

    def __init__(self) -> None:
        super().__init__("No valid crumb was included in the request")


class BadCredentials(Unauthenticated):
    """Wrong user or password/API token in ``Authorization: Basic``: 401."""

    def __init__(self, user_id: str) -> None:
        super().__init__(f"Invalid password/token for user: {user_id}")


class DuplicateCredential(Conflict):
    """``createCredentials`` with an id already present in the store: 409 (empty body)."""


class Oops(SandboxError):
    """An exception Jenkins does not catch (IOException, IllegalArgumentException): its 500 "Oops" page.

    Raised on purpose where real Jenkins answers 500 (malformed config.xml, malformed ``tree=``), so
    clients meet the same status; the body carries Jenkins's message and never a Python traceback.
    """

    status = 500
    title = "Oops!"
