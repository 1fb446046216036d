"""Project identities in Jenkins: the users each project's builds run as (see ``configxml.authz``).

authorize-project's "run as specific user" runs a build as anonymous when Jenkins does not know the
user, so the reconciler makes sure each project's user exists before it writes the project's jobs:

* exists: ``GET user/ID/api/json`` (404 when Jenkins has no record of the user: ``Jenkins.getUser``
  does not create users from a URL);
* create: ``POST securityRealm/createAccountByAdmin`` with the form fields of Jenkins's own user
  database (``HudsonPrivateSecurityRealm``): ``username``, ``password1``, ``password2``, ``fullname``,
  ``email``; it needs Overall/Administer. Success is a redirect (302 to the user list). A form that
  fails validation (name taken, invalid characters, mail address) is answered **200** with the form
  page again, so a 200 is a refusal. A realm without that action (LDAP, SAML, …) answers 404: then an
  operator must create the user in the realm; the error says which.

The password is random, used once in the form and never stored or logged: nobody logs in as a
project identity; Jenkins only impersonates it for builds.
"""

from __future__ import annotations

import secrets
from typing import Protocol, runtime_checkable
from urllib.parse import quote

from bridge.errors import BridgeError, Forbidden, NotFound, UpstreamError

CREATE_ACCOUNT = "securityRealm/createAccountByAdmin"
MAIL_DOMAIN = "jenkins-bridge.invalid"  # a reserved TLD: the mailer plugin wants an address, none is used


class IdentityUnavailable(UpstreamError):
    """Jenkins cannot (or will not) create a project identity; an operator has to act."""


class ProjectIdentities(Protocol):
    """What the reconciler needs to keep project identities in Jenkins."""

    def exists(self, user_id: str) -> bool: ...

    def create(self, user_id: str, *, full_name: str) -> None:
        """Create the user (raises ``IdentityUnavailable`` with what an operator must do)."""
        ...


@runtime_checkable
class JsonAndForms(Protocol):
    """The two primitives of ``JenkinsAdapter`` this module uses."""

    def get_json(self, path: str, **params: str) -> dict[str, object]: ...

    def post_form(
        self, path: str, form: dict[str, str] | None = None, *, idempotent: bool = False
    ) -> object: ...


def user_path(user_id: str) -> str:
    return f"user/{quote(user_id, safe='')}/"


class JenkinsProjectIdentities:
    """``ProjectIdentities`` over a ``JenkinsAdapter`` authenticated as the bridge's administrator."""

    def __init__(self, jenkins: JsonAndForms) -> None:
        self._jenkins = jenkins

    def exists(self, user_id: str) -> bool:
        try:
            self._jenkins.get_json(user_path(user_id) + "api/json", tree="id")
        except NotFound:
            return False
        return True

    def create(self, user_id: str, *, full_name: str) -> None:
        password = secrets.token_urlsafe(32)
        form = {
            "username": user_id,
            "password1": password,
            "password2": password,
            "fullname": full_name,
            "email": f"{user_id}@{MAIL_DOMAIN}",
        }
        try:
            response = self._jenkins.post_form(CREATE_ACCOUNT, form)
        except NotFound as e:
            raise IdentityUnavailable(
                f"Jenkins's security realm cannot create users (no {CREATE_ACCOUNT}; it is not Jenkins's "
                f"own user database): create the user {user_id!r} in the realm, then the next pass uses it"
            ) from e
        except Forbidden as e:
            raise IdentityUnavailable(
                f"Jenkins refused to create the user {user_id!r}: the bridge's Jenkins account needs "
                f"Overall/Administer (or create the user {user_id!r} yourself)"
            ) from e
        except BridgeError:
            raise
        status = getattr(response, "status_code", 0)
        if not 300 <= status < 400:
            raise IdentityUnavailable(
                f"Jenkins did not create the user {user_id!r} (its form came back: the name may be taken "
                f"by a user of another kind or refused by the realm's id rules); create {user_id!r} in "
                "Jenkins yourself"
            )
