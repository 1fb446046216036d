"""The demo's account of what happens: numbered steps, facts under them, and the stage graph as a run
progresses.

On a terminal the stage graph is one block redrawn in place, with colours and symbols; anywhere else
(a pipe, a file, CI) there are no escape codes at all and each change of a stage is one plain line,
so the output reads well in a log.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

RESET = "\x1b[0m"
COLOURS = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36"}
#: A run status (the API's names) → how a terminal shows it: symbol, colour.
LOOK = {
    "succeeded": ("✔", "green"),
    "running": ("▶", "cyan"),
    "paused": ("⏸", "yellow"),
    "queued": ("…", "dim"),
    "failed": ("✘", "red"),
    "unstable": ("!", "yellow"),
    "aborted": ("■", "red"),
    "not_built": ("·", "dim"),
}


def flatten(stages: Iterable[Mapping[str, Any]], depth: int = 0) -> list[tuple[int, Mapping[str, Any]]]:
    """The run's stage graph as (depth, stage) in order, nested stages and parallel branches included."""
    out: list[tuple[int, Mapping[str, Any]]] = []
    for stage in stages:
        out.append((depth, stage))
        out.extend(flatten(stage.get("stages") or (), depth + 1))
    return out


def seconds(ms: int | None) -> str:
    return f"{(ms or 0) / 1000:.1f}s"


class Printer:
    """Writes the account to ``out``; ``tty`` decides colours and the in-place progress display."""

    def __init__(self, out: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self._step = 0
        self._block = 0  # lines of the progress block drawn last (terminal only)
        self._seen: dict[str, str] = {}  # stage name → status last printed (plain output)

    # --- words ---------------------------------------------------------------------------------

    def paint(self, text: str, *styles: str) -> str:
        if not self.tty or not styles:
            return text
        codes = ";".join(COLOURS[s] for s in styles)
        return f"\x1b[{codes}m{text}{RESET}"

    def write(self, text: str = "") -> None:
        self._block = 0  # anything printed below the progress block ends it
        self.out.write(text + "\n")
        self.out.flush()

    def step(self, title: str) -> None:
        self._step += 1
        self.write()
        self.write(self.paint(f"[{self._step}] {title}", "bold", "blue"))

    def fact(self, text: str, *, indent: int = 4) -> None:
        self.write(" " * indent + text)

    def good(self, text: str) -> None:
        self.write("    " + self.paint("ok", "green") + "  " + text)

    def warn(self, text: str) -> None:
        self.write("    " + self.paint("note", "yellow") + "  " + text)

    def bad(self, text: str) -> None:
        self.write("    " + self.paint("FAILED", "red", "bold") + "  " + text)

    def table(self, rows: Sequence[Sequence[str]], *, indent: int = 4) -> None:
        """Rows of cells, each column as wide as its widest cell."""
        if not rows:
            return
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows:
            cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
            self.write((" " * indent + "  ".join(cells)).rstrip())

    # --- the stage graph -----------------------------------------------------------------------

    def progress(self, run: Mapping[str, Any]) -> None:
        """Show the run's stage graph now: redrawn in place on a terminal, changed stages otherwise."""
        rows = flatten(run.get("stages") or ())
        if self.tty:
            self._redraw(run, rows)
            return
        for depth, stage in rows:
            status = str(stage.get("status"))
            if self._seen.get(stage["name"]) == status:
                continue
            self._seen[stage["name"]] = status
            took = f" ({seconds(stage.get('duration_ms'))})" if status not in ("running", "queued") else ""
            self.write(f"    stage {'  ' * depth}{stage['name']}: {status}{took}")

    def _redraw(self, run: Mapping[str, Any], rows: list[tuple[int, Mapping[str, Any]]]) -> None:
        lines = [self._run_line(run)]
        width = max((len(s["name"]) + 2 * d for d, s in rows), default=0)
        for depth, stage in rows:
            status = str(stage.get("status"))
            symbol, colour = LOOK.get(status, ("?", "dim"))
            name = ("  " * depth + stage["name"]).ljust(width)
            spin = "|/-\\"[int(time.monotonic() * 4) % 4] if status == "running" else symbol
            lines.append(
                f"      {self.paint(spin, colour)} {name}  {self.paint(status.ljust(9), colour)}"
                f"  {self.paint(seconds(stage.get('duration_ms')), 'dim')}"
            )
        if self._block:
            self.out.write(f"\x1b[{self._block}F")
        for line in lines:
            self.out.write("\x1b[2K" + line + "\n")
        self.out.flush()
        self._block = len(lines)

    def _run_line(self, run: Mapping[str, Any]) -> str:
        status = str(run.get("status"))
        _, colour = LOOK.get(status, ("?", "dim"))
        return f"    run #{run.get('number')}: {self.paint(status, colour, 'bold')}"
