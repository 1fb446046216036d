"""The flow graph of a run, numbered and shaped the way CPS records it.

``2`` is the FlowStartNode; every simple step is one ``StepAtomNode``; a block step is a ``StepStartNode``
followed by a body ``StepStartNode``, then the body, a body ``StepEndNode`` and the step's ``StepEndNode``
(a ``parallel`` has one body per branch and one end whose parents are all branch ends). Each node keeps
its own log, which is what ``/execution/node/N/log`` serves, and the console shows ``[Pipeline] …`` marks.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

NODE_CLASSES = {
    "start": "org.jenkinsci.plugins.workflow.graph.FlowStartNode",
    "end": "org.jenkinsci.plugins.workflow.graph.FlowEndNode",
    "atom": "org.jenkinsci.plugins.workflow.cps.nodes.StepAtomNode",
    "block_start": "org.jenkinsci.plugins.workflow.cps.nodes.StepStartNode",
    "block_end": "org.jenkinsci.plugins.workflow.cps.nodes.StepEndNode",
}


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class FlowNode:
    id: str
    kind: str  # start | end | atom | block_start | block_end
    function: str  # step function name, "" for start/end
    display_name: str
    parents: list[str]
    start_ms: int
    end_ms: int | None = None
    label: str | None = None  # stage name, or "Branch: x" on a parallel branch body
    body: bool = False  # body start/end of a block step
    start_id: str | None = None  # end nodes: the matching start
    enclosing: tuple[str, ...] = ()  # ids of enclosing block starts, innermost first
    arguments: str = ""
    error: tuple[str, str] | None = None  # (message, java type)
    error_result: str = "FAILURE"
    tags: dict[str, str] = field(default_factory=dict)
    paused_since: int | None = None
    paused_ms: int = 0
    log: bytearray | None = None  # None: the node has no LogAction
    unstable: bool = False

    @property
    def active(self) -> bool:
        return self.end_ms is None

    @property
    def java_class(self) -> str:
        return NODE_CLASSES[self.kind]

    def pause_total(self, at_ms: int) -> int:
        return self.paused_ms + (at_ms - self.paused_since if self.paused_since is not None else 0)


class FlowGraph:
    """Nodes by id, thread-safe; ids are allocated in increasing order from 2, as in CPS."""

    def __init__(self) -> None:
        self.nodes: dict[str, FlowNode] = {}
        self.lock = threading.RLock()
        self._next = 2
        self._recorded: set[str] = set()  # ids restored after a restart, handed out again by ``add``
        self.frozen = False

    def restore(self, nodes: list[FlowNode]) -> None:
        """Nodes saved before a restart: visible at once, and re-issued as the resumed run recreates them."""
        with self.lock:
            self.nodes = {n.id: n for n in nodes}
            self._recorded = set(self.nodes)

    def add(self, **fields: object) -> FlowNode:
        with self.lock:
            if self.frozen:  # suspended run unwinding: nothing is recorded any more
                return FlowNode(id="0", start_ms=now_ms(), **fields)  # type: ignore[arg-type]
            node_id = str(self._next)
            self._next += 1
            if node_id in self._recorded:
                self._recorded.discard(node_id)
                recorded = self.nodes[node_id]
                if (recorded.kind, recorded.function) == (fields.get("kind"), fields.get("function")):
                    return recorded  # the resumed program reached the same point: same node
                for stale in [i for i in self._recorded if int(i) > int(node_id)]:  # diverged
                    self._recorded.discard(stale)
                    del self.nodes[stale]
            node = FlowNode(id=node_id, start_ms=now_ms(), **fields)  # type: ignore[arg-type]
            self.nodes[node.id] = node
            return node

    def get(self, node_id: str) -> FlowNode | None:
        with self.lock:
            return self.nodes.get(node_id)

    def ordered(self) -> list[FlowNode]:
        with self.lock:
            return sorted(self.nodes.values(), key=lambda n: int(n.id))

    def stages(self) -> list[FlowNode]:
        """Stage start nodes (outer StepStartNode of ``stage``), by start time then numeric id."""
        return sorted(
            (n for n in self.ordered() if n.function == "stage" and n.kind == "block_start" and not n.body),
            key=lambda n: (n.start_ms, int(n.id)),
        )

    def within(self, block_id: str) -> list[FlowNode]:
        """Every node enclosed (at any depth) by the block that starts at ``block_id``."""
        return [n for n in self.ordered() if block_id in n.enclosing]
