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


DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_TOKEN_LENGTH = 1024


class PageQuery(Query):
    """``limit`` and ``continue``, accepted by every list endpoint (``bridge.api.paging``)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    limit: int = Field(
        default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Most items in one page (1 to 500)"
    )
    continue_: str | None = Field(
        default=None,
        alias="continue",
        min_length=1,
        max_length=MAX_TOKEN_LENGTH,
        description="The previous page's `continue` token, as returned (opaque); absent for the first page",
    )


class PageOut(BaseModel):
    """A page of a list; the subclass adds ``items`` and states the order."""

    continue_: str | None = Field(
        default=None,
        serialization_alias="continue",
        description="Pass as ?continue= to read the next page; null on the last page",
    )


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
