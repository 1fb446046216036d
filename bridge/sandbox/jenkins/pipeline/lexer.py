"""Tokenizer for the subset of Groovy that Jenkinsfiles use.

Groovy's string forms are the hard part: ``'…'`` and ``'''…'''`` are plain strings, ``"…"`` and
``\"\"\"…\"\"\"``
are GStrings whose ``$name.path`` and ``${expr}`` parts are evaluated at run time. A GString is returned as
one token holding literal text and the *tokens* of each embedded expression, so the parser can parse them
like any other expression. Newlines are tokens because they end statements in Groovy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.sandbox.jenkins.pipeline.errors import CompileError

KEYWORDS = frozenset(
    {"def", "if", "else", "return", "true", "false", "null", "new", "in", "try", "catch", "finally"}
)
# Longest first, so that "==" wins over "=".
OPERATORS = (
    "==~",
    "?.",
    "?:",
    "==",
    "!=",
    "<=",
    ">=",
    "&&",
    "||",
    "=~",
    "->",
    "+=",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    ".",
    ";",
    "=",
    "!",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "?",
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "\\": "\\", "'": "'", '"': '"', "$": "$"}


@dataclass(frozen=True)
class Token:
    kind: str  # IDENT, KEYWORD, STRING, GSTRING, NUMBER, OP, NEWLINE, EOF
    text: str
    line: int
    column: int
    # GSTRING only: alternating literal text (str) and embedded expression tokens (list[Token]).
    parts: tuple[str | tuple[Token, ...], ...] = field(default=())


class Lexer:
    """Turns source text into tokens; positions are 1-based like Groovy's messages."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.line = 1
        self.col = 1

    def tokens(self) -> list[Token]:
        out = self._until(closing_brace=False)
        out.append(Token("EOF", "", self.line, self.col))
        return out

    # -- low level -------------------------------------------------------------------------------------
    def _peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.src[index] if index < len(self.src) else ""

    def _advance(self, count: int = 1) -> str:
        text = self.src[self.pos : self.pos + count]
        for char in text:
            if char == "\n":
                self.line += 1
                self.col = 1
            else:
                self.col += 1
        self.pos += count
        return text

    def _error(self, message: str, line: int | None = None, column: int | None = None) -> CompileError:
        return CompileError(message, line or self.line, column or self.col)

    # -- token loop ------------------------------------------------------------------------------------
    def _until(self, *, closing_brace: bool) -> list[Token]:
        """Tokens up to EOF, or (inside ``${…}``) up to the brace that closes the embedded expression."""
        out: list[Token] = []
        depth = 0
        while self.pos < len(self.src):
            char = self._peek()
            line, col = self.line, self.col
            if char in " \t\r\f":
                self._advance()
            elif char == "\\" and self._peek(1) == "\n":
                self._advance(2)  # line continuation
            elif char == "\n":
                self._advance()
                out.append(Token("NEWLINE", "\n", line, col))
            elif self.src.startswith("//", self.pos):
                while self.pos < len(self.src) and self._peek() != "\n":
                    self._advance()
            elif self.src.startswith("/*", self.pos):
                end = self.src.find("*/", self.pos + 2)
                if end < 0:
                    raise self._error("unexpected token: /*", line, col)
                self._advance(end + 2 - self.pos)
            elif char == "'":
                out.append(self._single_quoted(line, col))
            elif char == '"':
                out.append(self._double_quoted(line, col))
            elif char.isdigit():
                out.append(self._number(line, col))
            elif char.isalpha() or char in "_$":
                out.append(self._identifier(line, col))
            else:
                op = next((o for o in OPERATORS if self.src.startswith(o, self.pos)), None)
                if op is None:
                    raise self._error(f"unexpected char: '{char}'", line, col)
                if closing_brace and op == "}" and depth == 0:
                    self._advance()
                    return out
                depth += {"{": 1, "}": -1}.get(op, 0)
                self._advance(len(op))
                out.append(Token("OP", op, line, col))
        if closing_brace:
            raise self._error("unexpected token: }")
        return out

    def _identifier(self, line: int, col: int) -> Token:
        start = self.pos
        while self._peek() and (self._peek().isalnum() or self._peek() in "_$"):
            self._advance()
        text = self.src[start : self.pos]
        return Token("KEYWORD" if text in KEYWORDS else "IDENT", text, line, col)

    def _number(self, line: int, col: int) -> Token:
        start = self.pos
        while self._peek().isdigit() or (self._peek() == "." and self._peek(1).isdigit()):
            self._advance()
        if self._peek() and self._peek() in "LlGgDdFf":
            self._advance()
            return Token("NUMBER", self.src[start : self.pos - 1], line, col)
        return Token("NUMBER", self.src[start : self.pos], line, col)

    def _escape(self) -> str:
        self._advance()  # backslash
        char = self._peek()
        if char == "u" and all(c in "0123456789abcdefABCDEF" for c in self.src[self.pos + 1 : self.pos + 5]):
            code = self.src[self.pos + 1 : self.pos + 5]
            if len(code) == 4:
                self._advance(5)
                return chr(int(code, 16))
        if char == "\n":
            self._advance()
            return ""
        if char in _ESCAPES:
            self._advance()
            return _ESCAPES[char]
        raise self._error(f"unexpected char: '\\{char}'")

    def _single_quoted(self, line: int, col: int) -> Token:
        triple = self.src.startswith("'''", self.pos)
        quote = "'''" if triple else "'"
        self._advance(len(quote))
        text: list[str] = []
        while True:
            if self.pos >= len(self.src) or (not triple and self._peek() == "\n"):
                raise CompileError(
                    "expecting ''', found '<EOF>'" if triple else "unexpected char: '\\''", line, col
                )
            if self.src.startswith(quote, self.pos):
                self._advance(len(quote))
                return Token("STRING", "".join(text), line, col)
            if self._peek() == "\\":
                text.append(self._escape())
            else:
                text.append(self._advance())

    def _double_quoted(self, line: int, col: int) -> Token:
        triple = self.src.startswith('"""', self.pos)
        quote = '"""' if triple else '"'
        self._advance(len(quote))
        parts: list[str | tuple[Token, ...]] = []
        text: list[str] = []
        while True:
            if self.pos >= len(self.src) or (not triple and self._peek() == "\n"):
                raise CompileError("unexpected char: '\"'" if not triple else 'expecting \'"""\'', line, col)
            if self.src.startswith(quote, self.pos):
                self._advance(len(quote))
                break
            char = self._peek()
            if char == "\\":
                text.append(self._escape())
            elif char == "$" and self._peek(1) == "{":
                parts.append("".join(text))
                text = []
                self._advance(2)
                parts.append(tuple(self._until(closing_brace=True)))
            elif char == "$" and (self._peek(1).isalpha() or self._peek(1) == "_"):
                parts.append("".join(text))
                text = []
                parts.append(self._dotted_reference())
            elif char == "$":
                raise self._error("illegal string body character after dollar sign;")
            else:
                text.append(self._advance())
        parts.append("".join(text))
        if len(parts) == 1:
            return Token("STRING", parts[0] if isinstance(parts[0], str) else "", line, col)
        return Token("GSTRING", "", line, col, tuple(parts))

    def _dotted_reference(self) -> tuple[Token, ...]:
        """``$a.b.c`` in a GString: identifiers joined by dots (a dot not followed by a letter ends it)."""
        self._advance()  # $
        out = [self._identifier(self.line, self.col)]
        while self._peek() == "." and (self._peek(1).isalpha() or self._peek(1) == "_"):
            out.append(Token("OP", ".", self.line, self.col))
            self._advance()
            out.append(self._identifier(self.line, self.col))
        return tuple(Token("IDENT", t.text, t.line, t.column) if t.kind == "KEYWORD" else t for t in out)


def tokenize(source: str) -> list[Token]:
    return Lexer(source).tokens()
