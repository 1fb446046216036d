"""The one way tests wait for something that happens in another thread or process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    check: Callable[[], T | None],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    what: str = "the condition",
    retry_on: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``check`` until it returns a truthy value, and return that value.

    An exception listed in ``retry_on`` counts as "not yet" (a 404 before the object exists); any
    other exception propagates at once. After ``timeout`` seconds: ``AssertionError`` naming ``what``
    and the last exception seen.
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            value = check()
        except retry_on as error:
            value, last = None, error
        if value:
            return value
        if time.monotonic() >= deadline:
            suffix = f" (last error: {last!r})" if last is not None else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{suffix}")
        time.sleep(interval)
