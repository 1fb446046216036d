"""The demo's printer: escape codes only on a terminal, one plain line per stage change otherwise."""

from __future__ import annotations

import io

from bridge.cli.demo.printer import Printer, flatten

RUN = {
    "number": 3,
    "status": "running",
    "stages": [
        {"id": "6", "name": "build", "status": "succeeded", "duration_ms": 1200},
        {
            "id": "9",
            "name": "tests",
            "status": "running",
            "duration_ms": 300,
            "stages": [
                {"id": "12", "name": "unit", "status": "running", "duration_ms": 300},
                {"id": "13", "name": "e2e", "status": "queued", "duration_ms": 0},
            ],
        },
    ],
}


def test_flatten_keeps_nesting_order_and_depth() -> None:
    assert [(d, s["name"]) for d, s in flatten(RUN["stages"])] == [
        (0, "build"),
        (0, "tests"),
        (1, "unit"),
        (1, "e2e"),
    ]


def test_plain_output_prints_each_change_once_without_escape_codes() -> None:
    out = io.StringIO()
    printer = Printer(out, tty=False)
    printer.step("Run")
    printer.progress(RUN)
    printer.progress(RUN)  # nothing changed: nothing printed
    finished = {**RUN, "stages": [RUN["stages"][0], {**RUN["stages"][1], "status": "failed", "stages": []}]}
    printer.progress(finished)
    printer.good("done")
    text = out.getvalue()
    assert "\x1b[" not in text
    assert text.splitlines()[1:] == [
        "[1] Run",
        "    stage build: succeeded (1.2s)",
        "    stage tests: running",
        "    stage   unit: running",
        "    stage   e2e: queued",
        "    stage tests: failed (0.3s)",
        "    ok  done",
    ]


def test_terminal_output_redraws_the_block_in_place_with_colours() -> None:
    out = io.StringIO()
    printer = Printer(out, tty=True)
    printer.progress(RUN)
    first = out.getvalue()
    assert "\x1b[32m✔\x1b[0m build" in first and "\x1b[" in first
    assert "\x1b[5F" not in first  # nothing to redraw yet
    printer.progress(RUN)
    assert out.getvalue()[len(first) :].startswith("\x1b[5F")  # run line + 4 stages moved over
    printer.write("after")  # the block ends: the next graph starts below
    before = len(out.getvalue())
    printer.progress(RUN)
    assert out.getvalue()[before:].startswith("\x1b[2K")  # drawn anew, not over "after"
