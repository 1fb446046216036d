"""Models shared by every resource."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bridge.domain.model import SyncState
from bridge.store import Stored

Name = Field(min_length=1, max_length=63, description="DNS-1123 label (also a valid Jenkins item name)")
Description = Field(default="", max_length=4096)


class Input(BaseModel):
    """A request body: an unknown field is a client mistake (a typo would otherwise be lost), so 400."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """Query parameters: unknown ones are ignored (caches and consoles add ``?_=<time>`` busters);
    the known ones are validated as strictly as body fields."""

    model_config = ConfigDict(extra="ignore")


class SyncOut(BaseModel):
    status: Literal["pending", "synced", "error"]
    synced_at: datetime | None = None
    message: str | None = Field(default=None, description="What went wrong, for a human to act on")

    @classmethod
    def of(cls, state: SyncState | None) -> SyncOut:
        state = state or SyncState()
        return cls(status=state.status.value, synced_at=state.synced_at, message=state.message)


class MetaOut(BaseModel):
    created_at: datetime
    updated_at: datetime
    resource_version: int = Field(description="Send back in If-Match to update only this version")


def meta_fields(stored: Stored[object]) -> dict[str, object]:
    m = stored.meta
    return {"created_at": m.created_at, "updated_at": m.updated_at, "resource_version": m.version}


class Accepted(BaseModel):
    """A delete was accepted; Jenkins is cleaned up by the worker."""

    kind: str
    project: str
    name: str = ""
    status: Literal["deleting"] = "deleting"
