"""Recursive-descent parser for the Groovy subset of Jenkinsfiles.

Covers what pipelines write: command calls with and without parentheses (``echo 'x'``, ``git branch: 'm',
url: u``), trailing closures, named arguments, list and map literals (trailing commas allowed), property
access (``env.X``, ``params.X``), GStrings, the usual operators, ``def``/assignment, ``if``/``else``,
``return`` and ``try``/``catch``/``finally``. Errors use Groovy's wording (``unexpected token: X``,
``expecting 'X', found 'Y'``) so that a broken Jenkinsfile fails the way Jenkins reports it.
"""

from __future__ import annotations

from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.errors import CompileError
from bridge.sandbox.jenkins.pipeline.lexer import Token, tokenize

_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("==", "!=", "=~", "==~"),
    ("<", ">", "<=", ">=", "in"),
    ("+", "-"),
    ("*", "/", "%"),
)
_ARG_START = frozenset({"IDENT", "STRING", "GSTRING", "NUMBER"})
_ARG_KEYWORDS = frozenset({"true", "false", "null", "new"})


class Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def _at(self, text: str, offset: int = 0) -> bool:
        tok = self.toks[min(self.i + offset, len(self.toks) - 1)]
        return tok.kind in ("OP", "KEYWORD") and tok.text == text

    def _next(self) -> Token:
        tok = self.tok
        if tok.kind != "EOF":
            self.i += 1
        return tok

    def _skip_nl(self) -> None:
        while self.tok.kind == "NEWLINE" or self._at(";"):
            self.i += 1

    def _unexpected(self, tok: Token | None = None) -> CompileError:
        tok = tok or self.tok
        if tok.kind == "EOF":
            return CompileError("unexpected token: ", tok.line, tok.column)
        text = tok.text if tok.kind != "NEWLINE" else "\\n"
        return CompileError(f"unexpected token: {text}", tok.line, tok.column)

    def _expect(self, text: str) -> Token:
        if not self._at(text):
            found = "" if self.tok.kind == "EOF" else self.tok.text.replace("\n", "\\n")
            raise CompileError(f"expecting '{text}', found '{found}'", self.tok.line, self.tok.column)
        return self._next()

    # -- statements --------------------------------------------------------------------------------
    def script(self) -> tuple[s.Stmt, ...]:
        body = self._statements(closing=None)
        if self.tok.kind != "EOF":
            raise self._unexpected()
        return body

    def _statements(self, closing: str | None) -> tuple[s.Stmt, ...]:
        out: list[s.Stmt] = []
        self._skip_nl()
        while self.tok.kind != "EOF" and not (closing and self._at(closing)):
            out.append(self._statement())
            if self.tok.kind == "NEWLINE" or self._at(";"):
                self._skip_nl()
            elif not (self.tok.kind == "EOF" or (closing and self._at(closing))):
                raise self._unexpected()
        return tuple(out)

    def _block(self) -> tuple[s.Stmt, ...]:
        self._expect("{")
        body = self._statements("}")
        self._expect("}")
        return body

    def _body_or_statement(self) -> tuple[s.Stmt, ...]:
        self._skip_nl()
        return self._block() if self._at("{") else (self._statement(),)

    def _statement(self) -> s.Stmt:
        tok = self.tok
        pos = {"line": tok.line, "column": tok.column}
        if self._at("def"):
            self._next()
            name = self._next()
            if name.kind != "IDENT":
                raise self._unexpected(name)
            value = None
            if self._at("="):
                self._next()
                self._skip_nl()
                value = self._expression()
            return s.Assign(s.Var(name.text, **pos), value, declare=True, line=tok.line, column=tok.column)
        if self._at("if"):
            self._next()
            self._expect("(")
            self._skip_nl()
            cond = self._expression()
            self._skip_nl()
            self._expect(")")
            then = self._body_or_statement()
            otherwise: tuple[s.Stmt, ...] = ()
            save = self.i
            self._skip_nl()
            if self._at("else"):
                self._next()
                otherwise = self._body_or_statement()
            else:
                self.i = save
            return s.If(cond, then, otherwise, **pos)
        if self._at("return"):
            self._next()
            value = None
            if not (self.tok.kind in ("NEWLINE", "EOF") or self._at("}") or self._at(";")):
                value = self._expression()
            return s.Return(value, **pos)
        if self._at("try"):
            return self._try(pos)
        if tok.kind == "IDENT" and self._command_follows():
            return s.ExprStmt(self._chain(self._command()), **pos)
        expr = self._chain(self._expression())
        if self._at("=") or self._at("+="):
            op = self._next().text
            if not isinstance(expr, s.Var | s.Prop | s.Index):
                raise self._unexpected(self.toks[self.i - 1])
            self._skip_nl()
            return s.Assign(expr, self._expression(), op=op, line=tok.line, column=tok.column)
        return s.ExprStmt(expr, **pos)

    def _try(self, pos: dict[str, int]) -> s.Try:
        self._next()
        self._skip_nl()
        body = self._block()
        catch_name: str | None = None
        catch_body: tuple[s.Stmt, ...] = ()
        finally_body: tuple[s.Stmt, ...] = ()
        save = self.i
        self._skip_nl()
        if self._at("catch"):
            self._next()
            self._expect("(")
            names = []
            while not self._at(")"):
                names.append(self._next())
                if names[-1].kind == "EOF":
                    raise self._unexpected(names[-1])
            self._expect(")")
            catch_name = names[-1].text if names else None
            self._skip_nl()
            catch_body = self._block()
            save = self.i
            self._skip_nl()
        if self._at("finally"):
            self._next()
            self._skip_nl()
            finally_body = self._block()
        else:
            self.i = save
        if catch_name is None and not finally_body:
            raise CompileError("You defined a try statement without any catch or finally clause.", **pos)
        return s.Try(body, catch_name, catch_body, finally_body, **pos)

    def _command_follows(self) -> bool:
        """``name arg`` without parentheses: an identifier followed on the same line by an argument."""
        nxt = self.toks[self.i + 1]
        if nxt.kind in _ARG_START:
            return not (nxt.kind == "IDENT" and self.toks[self.i + 2].kind == "OP" and self._at("=", 2))
        return nxt.kind == "KEYWORD" and nxt.text in _ARG_KEYWORDS

    def _chain(self, expr: s.Expr) -> s.Expr:
        """Groovy command chains: after a call, ``name arg…`` or ``name { … }`` on the same line calls
        ``name`` on its result (``when { … } steps { … }`` is ``when({…}).steps({…})``)."""
        while isinstance(expr, s.Call) and self.tok.kind == "IDENT":
            nxt = self.toks[self.i + 1]
            if not (nxt.kind in _ARG_START or self._at("{", 1) or self._at("(", 1)):
                break
            name = self._next()
            if self._at("("):
                args, named, closure = self._call_rest()
            else:
                args, named = ((), ()) if self._at("{") else self._arguments(closing=None)
                closure = self._closure() if self._at("{") else None
            expr = s.Call(expr, name.text, args, named, closure, line=name.line, column=name.column)
        return expr

    def _command(self) -> s.Call:
        name = self._next()
        args, named = self._arguments(closing=None)
        closure = self._closure() if self._at("{") else None
        return s.Call(None, name.text, args, named, closure, line=name.line, column=name.column)

    def _arguments(self, closing: str | None) -> tuple[tuple[s.Expr, ...], tuple[tuple[str, s.Expr], ...]]:
        args: list[s.Expr] = []
        named: list[tuple[str, s.Expr]] = []
        while True:
            if closing:
                self._skip_nl()
                if self._at(closing):
                    break
            key = self._named_key()
            if key is not None:
                self._skip_nl()
                named.append((key, self._expression()))
            else:
                args.append(self._expression())
            if closing:
                self._skip_nl()
            if not self._at(","):
                break
            self._next()
            self._skip_nl()
        return tuple(args), tuple(named)

    def _named_key(self) -> str | None:
        tok = self.tok
        if tok.kind in ("IDENT", "STRING", "KEYWORD") and self._at(":", 1):
            self.i += 2
            return tok.text
        return None

    # -- expressions -------------------------------------------------------------------------------
    def _expression(self) -> s.Expr:
        cond = self._binary(0)
        if self._at("?"):
            tok = self._next()
            self._skip_nl()
            then = self._expression()
            self._skip_nl()
            self._expect(":")
            self._skip_nl()
            return s.Ternary(cond, then, self._expression(), line=tok.line, column=tok.column)
        if self._at("?:"):
            tok = self._next()
            self._skip_nl()
            return s.Binary("?:", cond, self._expression(), line=tok.line, column=tok.column)
        return cond

    def _binary(self, level: int) -> s.Expr:
        if level == len(_BINARY_LEVELS):
            return self._unary()
        left = self._binary(level + 1)
        while self.tok.kind in ("OP", "KEYWORD") and self.tok.text in _BINARY_LEVELS[level]:
            op = self._next()
            self._skip_nl()
            left = s.Binary(op.text, left, self._binary(level + 1), line=op.line, column=op.column)
        return left

    def _unary(self) -> s.Expr:
        if self._at("!") or self._at("-"):
            op = self._next()
            return s.Unary(op.text, self._unary(), line=op.line, column=op.column)
        return self._postfix(self._primary())

    def _postfix(self, expr: s.Expr) -> s.Expr:
        while True:
            if self._at(".") or self._at("?."):
                dot = self._next()
                name = self._next()
                if name.kind not in ("IDENT", "KEYWORD", "STRING"):
                    raise self._unexpected(name)
                pos = {"line": name.line, "column": name.column}
                if self._at("("):
                    args, named, closure = self._call_rest()
                    expr = s.Call(expr, name.text, args, named, closure, **pos)
                elif self._at("{"):
                    expr = s.Call(expr, name.text, (), (), self._closure(), **pos)
                else:
                    expr = s.Prop(expr, name.text, safe=dot.text == "?.", **pos)
            elif self._at("["):
                tok = self._next()
                self._skip_nl()
                key = self._expression()
                self._skip_nl()
                self._expect("]")
                expr = s.Index(expr, key, line=tok.line, column=tok.column)
            else:
                return expr

    def _call_rest(self) -> tuple[tuple[s.Expr, ...], tuple[tuple[str, s.Expr], ...], s.Closure | None]:
        self._expect("(")
        args, named = self._arguments(closing=")")
        self._expect(")")
        closure = self._closure() if self._at("{") else None
        return args, named, closure

    def _primary(self) -> s.Expr:
        tok = self.tok
        pos = {"line": tok.line, "column": tok.column}
        if tok.kind == "STRING":
            self._next()
            return s.Literal(tok.text, **pos)
        if tok.kind == "GSTRING":
            self._next()
            return s.GString(tuple(self._gstring_part(p) for p in tok.parts), **pos)
        if tok.kind == "NUMBER":
            self._next()
            return s.Literal(float(tok.text) if "." in tok.text else int(tok.text), **pos)
        if tok.kind == "KEYWORD" and tok.text in ("true", "false", "null"):
            self._next()
            return s.Literal({"true": True, "false": False, "null": None}[tok.text], **pos)
        if tok.kind == "IDENT":
            self._next()
            if self._at("("):
                args, named, closure = self._call_rest()
                return s.Call(None, tok.text, args, named, closure, **pos)
            if self._at("{"):
                return s.Call(None, tok.text, (), (), self._closure(), **pos)
            return s.Var(tok.text, **pos)
        if self._at("("):
            self._next()
            self._skip_nl()
            expr = self._expression()
            self._skip_nl()
            self._expect(")")
            return expr
        if self._at("["):
            return self._collection()
        if self._at("{"):
            return self._closure()
        raise self._unexpected()

    def _gstring_part(self, part: str | tuple[Token, ...]) -> str | s.Expr:
        if isinstance(part, str):
            return part
        if not part:
            raise CompileError("unexpected token: }", self.tok.line, self.tok.column)
        last = part[-1]
        sub = Parser([*part, Token("EOF", "", last.line, last.column + len(last.text))])
        expr = sub._expression()
        if sub.tok.kind != "EOF":
            raise sub._unexpected()
        return expr

    def _collection(self) -> s.Expr:
        tok = self._expect("[")
        pos = {"line": tok.line, "column": tok.column}
        self._skip_nl()
        if self._at(":") and self._at("]", 1):
            self.i += 2
            return s.MapLit((), **pos)
        items: list[s.Expr] = []
        entries: list[tuple[str, s.Expr]] = []
        while not self._at("]"):
            key = self._named_key()
            if key is not None:
                self._skip_nl()
                entries.append((key, self._expression()))
            else:
                items.append(self._expression())
            self._skip_nl()
            if not self._at(","):
                break
            self._next()
            self._skip_nl()
        self._expect("]")
        if entries and items:
            raise CompileError("unexpected token: :", tok.line, tok.column)
        return s.MapLit(tuple(entries), **pos) if entries else s.ListLit(tuple(items), **pos)

    def _closure(self) -> s.Closure:
        tok = self._expect("{")
        params: tuple[str, ...] = ()
        save = self.i
        self._skip_nl()
        names: list[str] = []
        while self.tok.kind == "IDENT" and (self._at(",", 1) or self._at("->", 1)):
            names.append(self._next().text)
            if self._at(","):
                self._next()
        if names and self._at("->"):
            self._next()
            params = tuple(names)
        else:
            self.i = save
        body = self._statements("}")
        self._expect("}")
        return s.Closure(params, body, line=tok.line, column=tok.column)


def parse_groovy(source: str) -> tuple[s.Stmt, ...]:
    """Parse a whole script; raises CompileError with Groovy's message and position."""
    return Parser(tokenize(source)).script()
