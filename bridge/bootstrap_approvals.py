"""The composition root's approvals part (``bridge.bootstrap`` re-exports it): the approval service
over the run side's views, and the worker's approval job with its notification sender."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.store import Store

if TYPE_CHECKING:
    from bridge.adapters.jenkins.port import RunPort
    from bridge.services.approval_jobs import ApprovalJobs
    from bridge.services.approvals import ApprovalService
    from bridge.services.runs import RunService


def build_approvals(store: Store, runs: RunPort, run_service: RunService) -> ApprovalService:
    """Decisions through ``runs`` (attributed to the caller), reads through the run service's cache."""
    from bridge.services.approvals import ApprovalService

    return ApprovalService(store, runs, run_service.views)


def build_approval_jobs(service: ApprovalService) -> ApprovalJobs:
    from bridge.adapters.notify.post import post
    from bridge.services.approval_jobs import ApprovalJobs
    from bridge.services.approval_notify import Notifier

    return ApprovalJobs(service, Notifier(service.store, post))
