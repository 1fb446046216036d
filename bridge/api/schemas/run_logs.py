"""Query parameters of the log endpoints (the answers are text, not JSON)."""

from __future__ import annotations

from pydantic import Field

from bridge.api.schemas.common import Query


class LogQuery(Query):
    start: int | None = Field(
        default=None,
        ge=0,
        description="Incremental read: the X-Text-Size of the previous answer (0 for the beginning). The "
        "answer carries X-Text-Size (the offset to ask for next) and X-More-Data: true while the log may "
        "grow",
    )
    download: bool = Field(default=False, description="Send the log as an attachment (a .log file)")


class StepLogQuery(Query):
    start: int = Field(default=0, ge=0, description="As for the run's log: the previous X-Text-Size")
