"""``wait_until``: returns the first truthy value, retries only the errors it is told to, times out."""

from __future__ import annotations

import pytest

from tests.waiting import wait_until


def test_returns_the_first_truthy_value() -> None:
    answers = iter([None, 0, [], "found", "later"])
    assert wait_until(lambda: next(answers), interval=0) == "found"


def test_retries_listed_errors_and_reports_the_last_on_timeout() -> None:
    calls = []

    def check() -> str:
        calls.append(1)
        raise KeyError("not yet")

    with pytest.raises(AssertionError, match=r"waiting for the key.*KeyError\('not yet'\)"):
        wait_until(check, timeout=0.05, interval=0.01, what="the key", retry_on=(KeyError,))
    assert len(calls) >= 2


def test_other_errors_propagate_at_once() -> None:
    def check() -> str:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        wait_until(check, timeout=5, retry_on=(KeyError,))
