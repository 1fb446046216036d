"""Sync summary and health responses."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from bridge.api.schemas.resync import ResyncOut


class SyncErrorOut(BaseModel):
    kind: str
    project: str
    name: str
    message: str | None


class ClusterReachabilityOut(BaseModel):
    total: int
    reachable: int
    unreachable: list[str] = Field(description="Clusters whose last /version call failed")
    unchecked: int = Field(description="Clusters not probed yet")


class SyncSummaryOut(BaseModel):
    counts: dict[str, dict[str, int]] = Field(description="kind → status → number of objects")
    errors: list[SyncErrorOut]
    queued: int = Field(description="Objects written and not yet taken by the worker")
    oldest_queued_at: datetime | None
    tombstones: int = Field(description="Deleted objects still to be removed from Jenkins")
    jenkins: Literal["ok", "unreachable", "unknown"] = Field(
        "unknown", description="Whether Jenkins answered the last background check (never blocks anything)"
    )
    clusters: ClusterReachabilityOut | None = Field(
        None, description="Reachability of the inventory's clusters (null: no cluster known)"
    )
    resyncs: list[ResyncOut] = Field(
        default_factory=list,
        description="The newest resyncs asked for (POST …/sync), newest first, at most 10",
    )


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"


class ReadyOut(BaseModel):
    status: Literal["ready", "not-ready"]
    store: Literal["ok", "unreachable"]
    jenkins: Literal["ok", "unreachable", "unknown"] = Field(
        description="Reported only; never blocks readiness"
    )
    leader: Literal["leader", "standby", "lost", "none"] = Field(
        "none",
        description="This process's worker on the scheduler lock (none: runs no worker); lost: not ready",
    )


class ReadyWithLeasesOut(ReadyOut):
    """``/readyz`` of a worker sharing the controllers (``reconcile.leases``)."""

    leases: list[str] = Field(description="The Jenkins controllers whose lease this process's worker holds")
