"""Who a Jenkins action is for: the value the API hands to the Jenkins adapter.

The bridge talks to Jenkins with one service account, and Jenkins has no "on behalf of" header: a
build it starts records ``Started by user <service account>`` and an input it answers records
``Approved by <service account>``; the service account, being an administrator, also bypasses the
input step's ``submitter`` check. So the bridge carries the real user itself (see docs/security.md,
"Attribution in Jenkins"):

* runs: every job the bridge manages defines a string parameter ``BRIDGE_REQUESTED_BY``; the adapter
  sends ``Actor.run_parameters()`` with ``buildWithParameters``, so the user shows under the run's
  Parameters, in ``api/json``, in the build environment and in notifications, and follows replays;
* approvals: the bridge enforces the input's ``submitter`` list against the real user
  (``Actor.may_submit``) before it proceeds or aborts as the service account, and the adapter writes
  ``Actor.approval_note()`` into the run description (``submitDescription``);
* both are appended to the bridge's audit log with the request id, the authoritative record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bridge.identity.principal import AuthSource, Principal

#: Job parameter the reconciler defines on every managed job and the adapter fills on every run.
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
        means anyone allowed to run the job (the bridge's operator role, checked before this). User ids
        compare case-insensitively, groups exactly, as with Jenkins's default id strategies.
        """
        if not submitter or not submitter.strip():
            return True
        names = {s.strip() for s in submitter.split(",") if s.strip()}
        if self.user.casefold() in {n.casefold() for n in names}:
            return True
        return not self.groups.isdisjoint(names)
