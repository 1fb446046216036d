"""Resync requests: what a caller may ask (``ResyncIn``) and what is shown of a request (``ResyncOut``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictBool

from bridge.api.schemas.common import Input
from bridge.services.resyncs import ResyncRequest


class ResyncIn(Input):
    deep: StrictBool = Field(
        default=False,
        description="Also read every job's and folder's config.xml back and repair edits made in Jenkins "
        "(and re-push credential values)",
    )


class ResyncOut(BaseModel):
    id: int
    project: str | None = Field(description="null: every project")
    deep: bool
    status: Literal["queued", "running", "done", "failed"]
    requested_by: str
    requested_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str | None = Field(default=None, description="What the pass did (writes, errors)")

    @classmethod
    def of(cls, r: ResyncRequest) -> ResyncOut:
        return cls(
            id=r.id,
            project=r.project,
            deep=r.deep,
            status=r.status,
            requested_by=r.requested_by,
            requested_at=r.requested_at,
            started_at=r.started_at,
            finished_at=r.finished_at,
            message=r.message,
        )
