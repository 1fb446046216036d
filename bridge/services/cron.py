"""A reasonable check of Jenkins cron specs (``hudson.scheduler.CronTab``), to refuse typos early.

Accepted per line: blank, ``# comment``, ``TZ=Area/City``, ``@yearly @annually @monthly @weekly @daily
@midnight @hourly``, or five fields (minute hour day-of-month month day-of-week). A field is a comma
list of ``*``, ``H``, ``H(a-b)``, ``n`` or ``a-b``, each with an optional ``/step``. Ranges are
checked against the field's bounds. Jenkins evaluates the rest when it saves the job.
"""

from __future__ import annotations

import re

ALIASES = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_ITEM = re.compile(r"(?P<base>\*|H(\((?P<ha>\d+)-(?P<hb>\d+)\))?|(?P<a>\d+)(-(?P<b>\d+))?)(/(?P<step>\d+))?")
_TZ = re.compile(r"TZ=[A-Za-z0-9_+\-/]+")


def cron_problems(spec: str) -> list[str]:
    """Human-readable problems of ``spec`` (empty when it looks valid)."""
    problems: list[str] = []
    lines = [line.strip() for line in spec.splitlines()]
    if not any(line and not line.startswith("#") and not _TZ.fullmatch(line) for line in lines):
        return ["must contain at least one schedule line"]
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#") or _TZ.fullmatch(line) or line in ALIASES:
            continue
        parts = line.split()
        if len(parts) != 5:
            problems.append(f"line {number}: expected 5 fields (minute hour day month weekday) or an @alias")
            continue
        for text, (name, low, high) in zip(parts, FIELDS, strict=True):
            problems += [f"line {number}: {name}: {p}" for p in _field_problems(text, low, high)]
    return problems


def _field_problems(text: str, low: int, high: int) -> list[str]:
    problems: list[str] = []
    for item in text.split(","):
        m = _ITEM.fullmatch(item)
        if not m:
            problems.append(
                f"{item!r} is not '*', 'H', 'H(a-b)', a number or a range, with an optional /step"
            )
            continue
        bounds = [int(v) for v in (m["ha"], m["hb"], m["a"], m["b"]) if v is not None]
        if any(not low <= v <= high for v in bounds):
            problems.append(f"{item!r} is outside {low}-{high}")
        pairs = [(m["ha"], m["hb"]), (m["a"], m["b"])]
        if any(a is not None and b is not None and int(a) > int(b) for a, b in pairs):
            problems.append(f"{item!r} has a range that runs backwards")
        if m["step"] is not None and int(m["step"]) == 0:
            problems.append(f"{item!r} has a step of 0")
    return problems
