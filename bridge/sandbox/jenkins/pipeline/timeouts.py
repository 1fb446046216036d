"""The ``timeout`` step (``TimeoutStepExecution`` in workflow-basic-steps) and Jenkins' time spans.

The deadline is on the body's virtual clock (see ``vm``), so a timeout fires at the same point of the
program at any time scale.
"""

from __future__ import annotations

from typing import Any

from bridge.sandbox.jenkins.pipeline.errors import TimeoutExceeded
from bridge.sandbox.jenkins.pipeline.handle import RunHandle
from bridge.sandbox.jenkins.pipeline.interpreter import Frame, to_text


def _first(args: list[Any], named: dict[str, Any], key: str, default: Any = None) -> Any:
    return named.get(key, args[0] if args else default)


def run_timeout(run: RunHandle, frame: Frame, args: list[Any], named: dict[str, Any], body: Any) -> Any:
    """``timeout(time: N, unit: 'MINUTES')`` (``TimeoutStepExecution``): a deadline on the body's
    virtual clock; when a wait inside passes it, "Cancelling nested steps due to timeout" is logged, the
    body is interrupted, and the build ends ABORTED with "Timeout has been exceeded"."""
    amount = float(_first(args, named, "time", 0) or 0)
    unit = to_text(named.get("unit", "MINUTES")).upper()
    seconds = amount * UNIT_SECONDS.get(unit, 60)

    def prepare(inner: Frame, start: Any) -> None:
        start.arguments = to_text(_first(args, named, "time", ""))
        deadline = run.vm.current().vt + seconds
        if inner.deadline is None or deadline < inner.deadline[0]:
            inner.deadline = (deadline, start.id)
        run.console.write(f"Timeout set to expire in {time_span(seconds)}", node=start)

    with run.block(frame, "timeout", "Enforce time limit", prepare=prepare) as (inner, start):
        try:
            return body(inner)
        except TimeoutExceeded as exceeded:
            if exceeded.owner == start.id:
                exceeded.actual_interruption = False  # TimeoutStepExecution.Callback.onFailure
            raise


UNIT_SECONDS = {
    "NANOSECONDS": 1e-9,
    "MICROSECONDS": 1e-6,
    "MILLISECONDS": 0.001,
    "SECONDS": 1,
    "MINUTES": 60,
    "HOURS": 3600,
    "DAYS": 86400,
}


def time_span(seconds: float) -> str:
    """``Util.getTimeSpanString``: "5 min 0 sec", "10 sec", "1.5 sec", "1 hr 0 min", "12 min"."""
    ms = round(seconds * 1000)
    units = (("day", 86_400_000), ("hr", 3_600_000), ("min", 60_000), ("sec", 1000))
    for index, (name, size) in enumerate(units[:-1]):
        big = ms // size
        if big > 0:
            small_name, small_size = units[index + 1]
            label = f"{big} {name}" if name != "day" else f"{big} day" + ("s" if big != 1 else "")
            return label if big >= 10 else f"{label} {(ms % size) // small_size} {small_name}"
    if ms >= 10_000:
        return f"{ms // 1000} sec"
    if ms >= 1000:
        return f"{_number(ms // 1000 + (ms % 1000) // 100 / 10)} sec"
    if ms >= 100:
        return f"{_number((ms // 10) / 100)} sec"
    return f"{ms} ms"


def _number(value: float) -> str:
    """``MessageFormat`` of a float: no trailing ``.0``."""
    return f"{value:g}"
