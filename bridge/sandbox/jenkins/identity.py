"""The identity a build runs as: ``Queue.Item.authenticate2`` with authorize-project's authenticators.

Each configured authenticator (``security.queueItemAuthenticator.authenticators``) is asked in order;
the first answer wins; when all answer nothing the build runs as SYSTEM (``ACL.SYSTEM2``), which passes
every permission check. ``project`` uses the job's ``AuthorizeProjectProperty`` strategy if that
strategy is enabled (Triggering/Anonymous are enabled by default, SpecificUsers/System are not);
``global`` applies one strategy to every job. Strategies: SpecificUsers runs as ``userid`` (a user the
realm does not know: anonymous); Triggering runs as the user of the ``UserIdCause``, else the user at the
root of the upstream chain, else nothing (so timer/SCM builds fall through); Anonymous; System.
"""

from __future__ import annotations

import logging
from typing import Any

from bridge.sandbox.jenkins import acl
from bridge.sandbox.jenkins.casc import CLASS_PREFIX, Authenticator, CascConfig
from bridge.sandbox.jenkins.model import Job, SandboxState

log = logging.getLogger(__name__)

PROPERTY = "org.jenkinsci.plugins.authorizeproject.AuthorizeProjectProperty"
SPECIFIC = CLASS_PREFIX + "SpecificUsersAuthorizationStrategy"
TRIGGERING = CLASS_PREFIX + "TriggeringUsersAuthorizationStrategy"
ANONYMOUS = CLASS_PREFIX + "AnonymousAuthorizationStrategy"
SYSTEM = CLASS_PREFIX + "SystemAuthorizationStrategy"
ENABLED_BY_DEFAULT = frozenset({TRIGGERING, ANONYMOUS})


def job_strategy(job: Job) -> tuple[str, str | None] | None:
    """(strategy class, userid) of the job's ``AuthorizeProjectProperty``, if it has one."""
    if job.config is None:
        return None
    element = job.config.find(f"properties/{PROPERTY}/strategy")
    if element is None:
        return None
    userid = element.findtext("userid")
    return element.get("class", ""), userid.strip() if userid else None


def authenticate(state: SandboxState, job: Job, causes: list[Any]) -> acl.Identity:
    config = state.extensions.get("casc")
    if not isinstance(config, CascConfig):
        return acl.SYSTEM
    for authenticator in config.authenticators:
        found = _ask(state, authenticator, job, causes)
        if found is not None:
            return found
    return acl.SYSTEM


def _ask(state: SandboxState, auth: Authenticator, job: Job, causes: list[Any]) -> acl.Identity | None:
    if auth.kind == "global":
        assert auth.strategy is not None
        return _apply(state, auth.strategy, auth.userid, causes)
    found = job_strategy(job)
    if found is None:
        return None
    cls, userid = found
    enabled = cls in auth.enabled or (cls not in auth.disabled and cls in ENABLED_BY_DEFAULT)
    if not enabled:
        log.info("%s is configured but disabled in the global-security configuration.", cls)
        return None
    return _apply(state, cls, userid, causes)


def _apply(state: SandboxState, cls: str, userid: str | None, causes: list[Any]) -> acl.Identity | None:
    if cls == SPECIFIC:
        return acl.identity_of_user(state, userid)
    if cls == ANONYMOUS:
        return acl.ANONYMOUS
    if cls == SYSTEM:
        return acl.SYSTEM
    if cls == TRIGGERING:
        user = triggering_user(causes)
        return acl.identity_of_user(state, user) if user is not None else None
    return None


def triggering_user(causes: list[Any]) -> str | None:
    for cause in causes:
        if getattr(cause, "user_id", None) is not None:
            return str(cause.user_id)
    for cause in causes:
        upstream = getattr(cause, "upstream_user", None)
        if upstream is not None:
            return str(upstream)
    return None
