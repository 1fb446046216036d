"""Per-user Jenkins sessions for ``jenkins.attribution = "user-token"``: API tokens the service account mints.

Jenkins has no "on behalf of" header; the only way for a run or an approval to carry the real user is
to authenticate as that user. Jenkins core lets an administrator mint an API token for another user,
but only when the controller runs with ``-Djenkins.security.ApiTokenProperty.adminCanGenerateNewTokens=true``
(``ApiTokenProperty.DescriptorImpl.doGenerateNewToken``; otherwise a bare 403):

* mint: ``POST user/ID/descriptorByName/jenkins.security.ApiTokenProperty/generateNewToken`` with
  ``newTokenName`` → ``{"status":"ok","data":{"tokenUuid","tokenName","tokenValue",…}}``;
* revoke: ``POST …/revoke`` with ``tokenUuid`` (allowed to administrators without the property).

A token is minted on a user's first run or approval, kept sealed in the store (``TokenVault``),
reused, and replaced when Jenkins answers 401 with it (someone revoked it in Jenkins). Jenkins keeps
only a hash: the store's copy is the only one. ``revoke`` is best effort (the user's access to the
bridge is already gone; Jenkins being down must not block that).

The bridge user name *is* the Jenkins user id here, and Jenkins compares ids ignoring case: a name
reserved in Jenkins (the admin, the bridge's own account, ``SYSTEM``, ``anonymous``, a project
identity, the configured list; ``identity/tenancy.py``) is refused with a 403 before any token is
minted or used, so no bridge user can act in Jenkins as one of those accounts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol
from urllib.parse import quote

from bridge.adapters.jenkins.client import JenkinsAdapter
from bridge.adapters.jenkins.errors import BadCredentials, JenkinsIdentityUnavailable, UnknownJenkinsUser
from bridge.errors import BridgeError, Forbidden, NotFound, UpstreamError
from bridge.identity.tenancy import BUILT_IN_ONLY, ReservedNames

log = logging.getLogger(__name__)

TOKEN_NAME = "jenkins-bridge"
SYSTEM_PROPERTY = "jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens"


class StoredToken(Protocol):
    @property
    def token_uuid(self) -> str: ...

    @property
    def token(self) -> str: ...


class TokenVault(Protocol):
    """Where minted tokens are kept (``bridge.store.jenkins_tokens.JenkinsTokenStore``)."""

    def get(self, user: str) -> StoredToken | None: ...

    def add(self, user: str, token_uuid: str, token: str) -> bool: ...

    def remove(self, user: str, token_uuid: str | None = None) -> bool: ...


Connect = Callable[[str, str], JenkinsAdapter]  # (user, token) -> an adapter authenticated as the user


def descriptor(user: str) -> str:
    return f"user/{quote(user, safe='')}/descriptorByName/jenkins.security.ApiTokenProperty/"


class UserTokens:
    """Hands out a ``JenkinsAdapter`` authenticated as a given user, minting its token when needed."""

    def __init__(
        self,
        admin: JenkinsAdapter,
        vault: TokenVault,
        connect: Connect,
        *,
        reserved: ReservedNames = BUILT_IN_ONLY,
    ) -> None:
        self._reserved = reserved
        self._admin = admin
        self._vault = vault
        self._connect = connect
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}  # one per user: a mint blocks only that user
        self._sessions: dict[str, tuple[str, JenkinsAdapter]] = {}  # user -> (token uuid, adapter)

    def _lock(self, user: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(user, threading.Lock())

    def session(self, user: str) -> JenkinsAdapter:
        self._reserved.check_jenkins_user(user)
        with self._lock(user):
            cached = self._sessions.get(user)
            if cached is not None:
                return cached[1]
            stored = self._vault.get(user)
            if stored is None:
                stored = self._mint_and_keep(user)
            adapter = self._connect(user, stored.token)
            self._sessions[user] = (stored.token_uuid, adapter)
            return adapter

    def renew(self, user: str, stale: JenkinsAdapter) -> JenkinsAdapter:
        """Jenkins refused ``stale``'s token (401): forget it and mint another (once per call site)."""
        with self._lock(user):
            cached = self._sessions.get(user)
            if cached is not None and cached[1] is stale:
                del self._sessions[user]
                self._vault.remove(user, cached[0])
                log.info("Jenkins no longer accepts the API token of %s; minting a new one", user)
        return self.session(user)

    def revoke(self, user: str) -> bool:
        """Revoke the user's token in Jenkins and forget it; ``False`` if Jenkins could not be told."""
        with self._lock(user):
            self._sessions.pop(user, None)
            stored = self._vault.get(user)
            if stored is None:
                return True
            self._vault.remove(user, stored.token_uuid)
        try:
            self._admin.post_form(descriptor(user) + "revoke", {"tokenUuid": stored.token_uuid})
        except BridgeError as e:
            log.warning(
                "could not revoke the Jenkins API token of %s (%s); revoke it in Jenkins", user, e.detail
            )
            return False
        log.info("revoked the Jenkins API token of %s", user)
        return True

    # -- minting ------------------------------------------------------------------------------

    def _mint_and_keep(self, user: str) -> StoredToken:
        token_uuid, token = self._mint(user)
        if self._vault.add(user, token_uuid, token):
            log.info("minted a Jenkins API token for %s", user)
        else:  # another bridge process stored one first: use it, drop ours
            self._try_revoke(user, token_uuid)
        stored = self._vault.get(user)
        if stored is None:  # removed again in between: rare enough to report instead of looping
            raise UpstreamError(f"the Jenkins API token of {user} vanished while it was being stored")
        return stored

    def _mint(self, user: str) -> tuple[str, str]:
        try:
            response = self._admin.post_form(
                descriptor(user) + "generateNewToken", {"newTokenName": TOKEN_NAME}
            )
        except NotFound as e:
            raise UnknownJenkinsUser(
                f"Jenkins has no user {user!r}; they must sign in to Jenkins once (same security realm)"
            ) from e
        except BadCredentials:  # 401: the service account's own credentials are wrong
            raise
        except Forbidden as e:
            raise JenkinsIdentityUnavailable(
                f"Jenkins refused to mint an API token for {user!r}: start the controller with "
                f"-D{SYSTEM_PROPERTY}=true and give the bridge's account Overall/Administer"
            ) from e
        try:
            data = response.json()["data"]
            token_uuid, token = str(data["tokenUuid"]), str(data["tokenValue"])
        except (ValueError, KeyError, TypeError) as e:
            raise UpstreamError("Jenkins sent an unexpected answer to generateNewToken") from e
        if not token_uuid or not token:
            raise UpstreamError("Jenkins sent an empty token to generateNewToken")
        return token_uuid, token

    def _try_revoke(self, user: str, token_uuid: str) -> None:
        try:
            self._admin.post_form(descriptor(user) + "revoke", {"tokenUuid": token_uuid})
        except BridgeError as e:
            log.warning("could not revoke a surplus Jenkins API token of %s (%s)", user, e.detail)
