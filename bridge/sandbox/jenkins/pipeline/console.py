"""The run's console log: one append-only byte buffer, plus each node's own log.

Text is stored as Jenkins ≤ 2.508 serves ``progressiveText`` (console notes stripped). Secret values bound
by ``withCredentials`` are replaced by ``****`` before anything is stored, so no copy of them exists in any
log buffer.
"""

from __future__ import annotations

import threading

from bridge.sandbox.jenkins.pipeline.graph import FlowNode

MASK = "****"


def mask(text: str, secrets: tuple[str, ...]) -> str:
    # Longest first, so that a secret containing another is masked whole.
    for secret in sorted((x for x in secrets if x), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class ConsoleLog:
    def __init__(self) -> None:
        self._buffer = bytearray()
        self._lock = threading.Lock()

    def write(self, text: str, *, node: FlowNode | None = None, secrets: tuple[str, ...] = ()) -> None:
        """Append ``text`` (newline added if missing) to the console and, if given, to the node's log."""
        if not text.endswith("\n"):
            text += "\n"
        data = mask(text, secrets).encode("utf-8")
        with self._lock:
            self._buffer += data
            if node is not None:
                if node.log is None:
                    node.log = bytearray()
                node.log += data

    def mark(self, text: str) -> None:
        """A ``[Pipeline] …`` line: console only, never part of a step's own log."""
        self.write(f"[Pipeline] {text}")

    def size(self) -> int:
        with self._lock:
            return len(self._buffer)

    def read(self, start: int = 0) -> bytes:
        with self._lock:
            return bytes(self._buffer[start:])
