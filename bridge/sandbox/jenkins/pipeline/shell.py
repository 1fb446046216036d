"""Simulated ``sh``: what ``set -xe`` would print, and which exit code the script ends with.

Nothing is executed. Variables are expanded from the step's environment (single-quoted text is left
alone, as the shell would), each command of a pipeline is traced as ``+ cmd`` without its redirections,
and the script stops at the first ``exit N`` (N ≠ 0) or ``false``, like ``sh -e``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_NEEDS_QUOTES = re.compile(r"[\s'\"$`\\*?<>|&;()]")  # what bash's xtrace single-quotes
_REDIRECT = re.compile(r"^(?:\d?[<>]{1,2}&?\d*|&>)")


@dataclass(frozen=True)
class ShellTrace:
    lines: tuple[str, ...]  # "+ cmd" lines, in order
    exit_code: int


def expand(text: str, env: dict[str, str]) -> str:
    """Expand ``$X``/``${X}`` outside single quotes; unset variables expand to nothing."""
    out: list[str] = []
    in_single = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == "'":
            in_single = not in_single
        elif char == "$" and not in_single:
            match = _VAR.match(text, i)
            if match:
                out.append(env.get(match.group(1) or match.group(2), ""))
                i = match.end()
                continue
        out.append(char)
        i += 1
    return "".join(out)


def _split_pipeline(line: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "|" and line[i + 1 : i + 2] != "|" and (i == 0 or line[i - 1] != "|"):
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _trace_command(command: str) -> str:
    try:
        words = shlex.split(command)
    except ValueError:
        return command
    shown: list[str] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        if _REDIRECT.match(word):
            skip_next = word in ("<", ">", ">>", "2>", "&>")
            continue
        shown.append(shlex.quote(word) if word and _NEEDS_QUOTES.search(word) else word)
    return " ".join(shown)


def simulate(script: str, env: dict[str, str]) -> ShellTrace:
    lines: list[str] = []
    for raw in script.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        for command in _split_pipeline(expand(line, env)):
            lines.append("+ " + _trace_command(command))
        words = line.split()
        if words[0] == "exit":
            code = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
            return ShellTrace(tuple(lines), code)
        if words == ["false"]:
            return ShellTrace(tuple(lines), 1)
    return ShellTrace(tuple(lines), 0)


def generated(script: str, env: dict[str, str]) -> list[tuple[int, Iterator[str]]]:
    """What the script's generators print, lazily, with line counts: ``seq [FIRST [INCR]] LAST`` and
    ``yes [TEXT] | head -n N`` (how a test makes a pipeline print a large log fast)."""
    out: list[tuple[int, Iterator[str]]] = []
    for raw in script.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        commands = [shlex.split(c) if c else [] for c in _split_pipeline(expand(line, env))]
        first = commands[0] if commands else []
        if first[:1] == ["seq"] and all(_is_int(w) for w in first[1:]) and 2 <= len(first) <= 4:
            numbers = [int(w) for w in first[1:]]
            begin, step, last = (
                (1, 1, numbers[0])
                if len(numbers) == 1
                else (numbers[0], 1, numbers[1])
                if len(numbers) == 2
                else (numbers[0], numbers[1], numbers[2])
            )
            span = range(begin, last + (1 if step > 0 else -1), step) if step else range(0)
            out.append((len(span), (str(n) for n in span)))
        elif first[:1] == ["yes"] and len(commands) == 2 and (count := _head_count(commands[1])) is not None:
            text = " ".join(first[1:]) or "y"
            out.append((count, (text for _ in range(count))))
    return out


def _is_int(word: str) -> bool:
    return word.lstrip("-").isdigit()


def _head_count(words: list[str]) -> int | None:
    if words[:2] == ["head", "-n"] and len(words) == 3 and words[2].isdigit():
        return int(words[2])
    if len(words) == 2 and words[0] == "head" and words[1][:1] == "-" and words[1][1:].isdigit():
        return int(words[1][1:])
    return None
