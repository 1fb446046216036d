"""The cron check accepts Jenkins syntax and names the problem otherwise."""

from __future__ import annotations

import pytest

from bridge.services.cron import cron_problems


@pytest.mark.parametrize(
    "spec",
    [
        "H/15 * * * *",
        "0 0 * * 0",
        "H H(0-7) * * 1-5",
        "@midnight",
        "# c\nTZ=Europe/Paris\n5,35 */2 1-31/2 1-12 0-7",
        "H * * * *\n\n@hourly",
    ],
)
def test_valid(spec: str) -> None:
    assert cron_problems(spec) == []


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("* * * *", "expected 5 fields"),
        ("60 * * * *", "minute: '60' is outside 0-59"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day of month: '0' is outside 1-31"),
        ("* * * 13 *", "month"),
        ("* * * * 8", "day of week"),
        ("5-1 * * * *", "runs backwards"),
        ("*/0 * * * *", "step of 0"),
        ("x * * * *", "is not"),
        ("@sometimes", "expected 5 fields"),
        ("# only a comment", "at least one schedule line"),
        ("", "at least one schedule line"),
    ],
)
def test_invalid(spec: str, fragment: str) -> None:
    assert any(fragment in p for p in cron_problems(spec)), cron_problems(spec)
