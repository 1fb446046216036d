"""Who a Jenkins action is for: the value the API hands to the Jenkins adapter's run side.

Jenkins has no "on behalf of" header: whoever authenticates is who Jenkins records ("Started by user
…", ``ApproverAction``, "Approved by …") and whom the input step's ``submitter`` check applies to. The
adapter (``bridge.adapters.jenkins.runs``) carries an ``Actor`` in one of two modes, chosen by
``jenkins.attribution`` (see docs/security.md, "Attribution in Jenkins"):

* ``user-token``: the bridge's service account mints a Jenkins API token for the user and the run or
  decision is sent as the user; Jenkins records and checks the real user itself;
* ``parameter`` (default): the service account acts; runs get ``Actor.run_parameters()``
  (``BRIDGE_REQUESTED_BY``, defined on every managed job), the bridge enforces the input's ``submitter``
  list (``Actor.may_submit``) before approving, and writes ``Actor.approval_note()`` into the run
  description.

Either way the decision is in the bridge's audit log with the request id, the authoritative record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.domain.approvals import is_submitter
from bridge.identity.principal import AuthSource, Principal

#: Job parameter every managed job defines in "parameter" mode and the adapter fills on every run.
REQUESTED_BY_PARAMETER = "BRIDGE_REQUESTED_BY"


@dataclass(frozen=True)
class Actor:
    """The end user behind a Jenkins call (no secrets; safe to log)."""

    user: str
    groups: frozenset[str] = field(default_factory=frozenset)
    source: AuthSource = AuthSource.API_TOKEN
    request_id: str = ""

    @classmethod
    def of(cls, principal: Principal, *, request_id: str = "") -> Actor:
        return cls(principal.name, principal.groups, principal.source, request_id)

    def run_parameters(self) -> Mapping[str, str]:
        """Extra build parameters naming the requester (merge with the user's parameters)."""
        return {REQUESTED_BY_PARAMETER: self.user}

    def approval_note(self, *, approved: bool, input_id: str) -> str:
        verb = "approved" if approved else "rejected"
        suffix = f" (request {self.request_id})" if self.request_id else ""
        return f"Input {input_id} {verb} by {self.user} via jenkins-bridge{suffix}"

    def may_submit(self, submitter: str | None) -> bool:
        """Jenkins's ``submitter`` rule applied to the real user instead of the service account.

        ``submitter`` is the input step's comma-separated list of user ids and group names; empty
        means anyone allowed to run the job (the bridge's operator role, checked before this). Ids and
        groups compare case-insensitively, as with Jenkins's default id strategies
        (``bridge.domain.approvals.is_submitter``).
        """
        if not submitter or not submitter.strip():
            return True
        return is_submitter(self.user, self.groups, submitter)
