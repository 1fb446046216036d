"""Build results and how they combine (``hudson.model.Result``)."""

from __future__ import annotations

RESULT_ORDER = ("SUCCESS", "UNSTABLE", "FAILURE", "NOT_BUILT", "ABORTED")


def worse(a: str, b: str) -> str:
    """``Result.combine``: the worse of two results."""
    return a if RESULT_ORDER.index(a) >= RESULT_ORDER.index(b) else b
