"""The run's console log: one append-only byte buffer as Jenkins stores it, plus each node's own log.

The raw buffer holds what ``log`` on disk holds, console notes included: every ``[Pipeline] …`` line is
preceded by a ``NewNodeConsoleNote`` and a user name in "Started by user X" is a ``ModelHyperlinkNote``,
each serialised as ``ESC[8mha:<base64>ESC[0m`` (``ConsoleNote.encodeToBytes``). Clients never see them in
``consoleText`` or ``progressiveText`` (``AnnotatedLargeText.writeLogTo`` strips them through
``PlainTextConsoleOutputStream``), but offsets — ``start`` and ``X-Text-Size`` — count raw bytes, so a
client that computes the next offset from the body length instead of ``X-Text-Size`` goes wrong here as
it would against Jenkins.

Secret values bound by ``withCredentials`` are replaced by ``****`` before anything is stored, so no copy
of them exists in any log buffer.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading

from bridge.sandbox.jenkins.pipeline.graph import FlowNode

MASK = "****"
NOTE_START = b"\x1b[8mha:"
NOTE_END = b"\x1b[0m"
_NOTE = re.compile(rb"\x1b\[8mha:[A-Za-z0-9+/=]*\x1b\[0m")


def mask(text: str, secrets: tuple[str, ...]) -> str:
    # Longest first, so that a secret containing another is masked whole.
    for secret in sorted((x for x in secrets if x), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def console_note(payload: str) -> bytes:
    """A console note as Jenkins embeds it: ``ha:`` + base64 of (negative MAC length, MAC, size, gzip).

    The content is opaque to clients; a deterministic stand-in of realistic length keeps offsets honest.
    """
    digest = hashlib.sha256(payload.encode("utf-8")).digest()
    body = b"\xff\xff\xff\xe0" + digest + len(payload).to_bytes(4, "big") + hashlib.sha512(digest).digest()
    return NOTE_START + base64.b64encode(body) + NOTE_END


def strip_notes(data: bytes) -> bytes:
    """``PlainTextConsoleOutputStream``: the text without its console notes."""
    return _NOTE.sub(b"", data)


class ConsoleLog:
    def __init__(self) -> None:
        self._buffer = bytearray()
        self._lock = threading.Lock()
        self._replay_at = 0  # while < _replay_end, writes are compared with the restored log, not appended
        self._replay_end = 0
        self.frozen = False  # a suspended run writes nothing more

    def write(
        self,
        text: str,
        *,
        node: FlowNode | None = None,
        secrets: tuple[str, ...] = (),
        note: bytes = b"",
    ) -> None:
        """Append ``text`` (newline added if missing) to the console and, if given, to the node's log."""
        if not text.endswith("\n"):
            text += "\n"
        data = mask(text, secrets).encode("utf-8")
        with self._lock:
            if self.frozen or self._replaying(note + data):
                return
            self._buffer += note + data
            if node is not None:
                if node.log is None:
                    node.log = bytearray()
                node.log += data

    def write_lines(self, lines: list[str], *, node: FlowNode, secrets: tuple[str, ...] = ()) -> None:
        """Many output lines of one step at once (one lock, one masking pass: ``sh`` printing fast)."""
        if not lines:
            return
        data = mask("\n".join(lines) + "\n", secrets).encode("utf-8")
        with self._lock:
            if self.frozen or self._replaying(data):
                return
            self._buffer += data
            if node.log is None:
                node.log = bytearray()
            node.log += data

    def mark(self, text: str, node: FlowNode | None = None) -> None:
        """A ``[Pipeline] …`` line (with the new node's console note): console only, never a step's log."""
        self.write(f"[Pipeline] {text}", note=console_note(f"{node.id if node else ''}:{text}"))

    def cause(self, prefix: str, user: str | None, rest: str = "") -> None:
        """A cause line; the user name, if any, hyperlinked as ``ModelHyperlinkNote`` does."""
        if user is None:
            self.write(prefix + rest)
            return
        with self._lock:
            if self.frozen:
                return
            line = prefix.encode() + console_note(f"/user/{user}") + f"{user}{rest}\n".encode()
            if not self._replaying(line):
                self._buffer += line

    def size(self) -> int:
        """Raw size in bytes, notes included (``X-Text-Size``)."""
        with self._lock:
            return len(self._buffer)

    def raw(self, start: int = 0) -> bytes:
        with self._lock:
            return bytes(self._buffer[start:])

    def raw_slice(self, start: int, end: int) -> bytes:
        with self._lock:
            return bytes(self._buffer[start:end])

    def read(self, start: int = 0) -> bytes:
        """The text from raw offset ``start`` with console notes stripped (what clients receive)."""
        return strip_notes(self.raw(start))

    def text(self) -> str:
        return self.read().decode("utf-8", "replace")

    # -- resuming after a restart ------------------------------------------------------------------------
    def restore(self, raw: bytes, replay_from: int | None = None) -> None:
        """Load the log saved before a restart; a resumed run replays into it from ``replay_from``."""
        with self._lock:
            self._buffer = bytearray(raw)
            self._replay_at = len(raw) if replay_from is None else replay_from
            self._replay_end = len(raw)

    def append_raw(self, data: bytes) -> None:
        """Append outside the replay (the "Resuming build …" line)."""
        with self._lock:
            self._buffer += data

    @property
    def replaying(self) -> bool:
        with self._lock:
            return self._replay_at < self._replay_end

    def _replaying(self, data: bytes) -> bool:
        """While replaying, output identical to the restored log is consumed instead of written again."""
        if self._replay_at >= self._replay_end:
            return False
        if self._buffer[self._replay_at : self._replay_at + len(data)] == data:
            self._replay_at += len(data)
            return True
        self._replay_at = self._replay_end  # diverged: from here on the run writes normally
        return False
