"""Starting a run."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bridge.api.schemas.common import Input


class RunIn(Input):
    parameters: dict[str, str] = Field(
        default_factory=dict,
        max_length=200,
        description="Build parameters by name; booleans as 'true'/'false'. Parameters left out take "
        "their defaults.",
    )


class RunQueuedOut(BaseModel):
    project: str
    pipeline: str
    queue_id: int = Field(
        description="Jenkins's queue item; the run gets its number when it leaves the queue"
    )
    requested_by: str = Field(
        description="Who Jenkins records as having asked for the run (see docs/security.md)"
    )
