"""Syntax tree of the Groovy subset: expressions and statements, each with its source position."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Node:
    line: int = field(default=0, kw_only=True, compare=False)
    column: int = field(default=0, kw_only=True, compare=False)


# -- expressions ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Literal(Node):
    value: object


@dataclass(frozen=True)
class GString(Node):
    parts: tuple[str | Expr, ...]


@dataclass(frozen=True)
class Var(Node):
    name: str


@dataclass(frozen=True)
class Prop(Node):
    target: Expr
    name: str
    safe: bool = False


@dataclass(frozen=True)
class Index(Node):
    target: Expr
    key: Expr


@dataclass(frozen=True)
class Closure(Node):
    params: tuple[str, ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True)
class Call(Node):
    """``name(args) { closure }`` (target None) or ``target.name(args)``."""

    target: Expr | None
    name: str
    args: tuple[Expr, ...] = ()
    named: tuple[tuple[str, Expr], ...] = ()
    closure: Closure | None = None


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class MapLit(Node):
    entries: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Unary(Node):
    op: str
    operand: Expr


@dataclass(frozen=True)
class Binary(Node):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Ternary(Node):
    condition: Expr
    then: Expr
    otherwise: Expr


Expr = Literal | GString | Var | Prop | Index | Closure | Call | ListLit | MapLit | Unary | Binary | Ternary


# -- statements ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExprStmt(Node):
    expr: Expr


@dataclass(frozen=True)
class Assign(Node):
    target: Expr
    value: Expr | None
    declare: bool = False
    op: str = "="


@dataclass(frozen=True)
class If(Node):
    condition: Expr
    then: tuple[Stmt, ...]
    otherwise: tuple[Stmt, ...] = ()


@dataclass(frozen=True)
class Return(Node):
    value: Expr | None


@dataclass(frozen=True)
class Try(Node):
    body: tuple[Stmt, ...]
    catch_name: str | None = None
    catch_body: tuple[Stmt, ...] = ()
    finally_body: tuple[Stmt, ...] = ()


Stmt = ExprStmt | Assign | If | Return | Try
