"""A simulated ``sh`` that prints while it runs: generated output (``seq``, ``yes | head``) is written in
slices spread over the step's simulated duration, so the console and the step's log grow during the step
the way a real command's output reaches Jenkins, and a large log is produced without holding it twice."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from bridge.sandbox.jenkins.pipeline.graph import FlowNode
from bridge.sandbox.jenkins.pipeline.handle import RunHandle
from bridge.sandbox.jenkins.pipeline.interpreter import Frame
from bridge.sandbox.jenkins.pipeline.shell import generated, simulate

__all__ = ["generated", "print_while_running", "simulate"]

#: The step's duration is spread over at most this many slices of output.
SLICES = 10
#: Lines handed to the console at once.
BATCH = 20_000


def print_while_running(
    run: RunHandle, node: FlowNode, frame: Frame, outputs: list[tuple[int, Iterator[str]]], seconds: float
) -> None:
    total = sum(count for count, _ in outputs)
    if total == 0:
        run.sleep(seconds, frame)
        return
    per_slice = max(1, -(-total // SLICES))
    written = 0
    for _count, lines in outputs:
        while batch := list(itertools.islice(lines, min(BATCH, per_slice - written % per_slice))):
            run.console.write_lines(batch, node=node, secrets=frame.secrets)
            written += len(batch)
            if written % per_slice == 0 or written == total:
                run.sleep(seconds / SLICES, frame)
