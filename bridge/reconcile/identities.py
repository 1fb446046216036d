"""Keeps each project's Jenkins build identity in existence, with as few requests as possible.

A project's jobs run as ``<prefix><project>`` (``configxml.authz``), which must exist in Jenkins
before the jobs are written. Existence is read once and remembered by this process: a pass that
writes nothing for a project asks nothing about its identity, so a no-op pass stays at two reads per
project. The deep check (``secret_repush_interval``) forgets what it remembered and reads every
identity again, creating those someone deleted in Jenkins.
"""

from __future__ import annotations

import logging

from bridge.adapters.jenkins.identities import ProjectIdentities
from bridge.identity.tenancy import project_identity

log = logging.getLogger(__name__)


class IdentityKeeper:
    def __init__(self, port: ProjectIdentities | None, *, prefix: str) -> None:
        """``port`` ``None``: identities are managed outside the bridge (nothing is read or created)."""
        self._port = port
        self._prefix = prefix
        self._confirmed: set[str] = set()

    def forget(self) -> None:
        """Read every identity again the next time it is needed (the deep check)."""
        self._confirmed.clear()

    def ensure(self, project: str) -> None:
        """Make sure the project's identity exists (raises the bridge's errors, actionable)."""
        if self._port is None:
            return
        user_id = project_identity(self._prefix, project)
        if user_id in self._confirmed:
            return
        if not self._port.exists(user_id):
            self._port.create(user_id, full_name=f"Builds of project {project} (jenkins-bridge)")
            log.info("created the Jenkins build identity %s of project %s", user_id, project)
        self._confirmed.add(user_id)
