"""Stapler's ``/api/json`` export: beans with per-property visibility, pruned by ``tree=`` or ``depth=``.

A handler describes an object as a ``Bean`` (its Java class and ordered properties, each with the
``@Exported(visibility)`` Jenkins declares); ``export`` turns it into JSON data the way Stapler does:

* ``depth=N`` (default 0): a property is written when its visibility >= level, where the top level
  is ``1 - N`` and every nesting adds one (``TreePruner.ByDepth``);
* ``tree=a,b[c,d]{0,5}``: only the named properties, visibility ignored (``NamedPathPruner``); a
  name without brackets exports nested objects with nothing but ``_class``; ``{N}``, ``{N,}``,
  ``{,M}``, ``{N,M}`` slice collections;
* ``_class`` is always written.

Property values may be callables, evaluated only when the property is exported (cheap ``tree=``
queries over large job lists).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.sandbox.jenkins.errors import Oops

JSON = Any


@dataclass
class Prop:
    name: str
    value: Any
    visibility: int = 1
    inline: bool = False  # @Exported(inline=true): nested values stay at this depth level


@dataclass
class Bean:
    """An exported Java object: ``_class`` plus properties in Jenkins' order."""

    java_class: str | None
    props: list[Prop] = field(default_factory=list)

    def add(self, name: str, value: Any, visibility: int = 1, *, inline: bool = False) -> Bean:
        self.props.append(Prop(name, value, visibility, inline))
        return self


@dataclass(frozen=True, slots=True)
class Field:
    """A property of a ``LazyBean``: computed from the bean's source only when it is exported."""

    name: str
    get: Callable[[Any], Any]
    visibility: int = 1
    inline: bool = False


@dataclass(slots=True)
class LazyBean:
    """A bean whose properties (a shared, static ``Field`` table) are read from ``source`` on demand,
    so that ``tree=name`` over hundreds of jobs costs what the names cost."""

    java_class: str | None
    fields: Sequence[Field]
    source: Any


@dataclass(frozen=True)
class Range:
    start: int | None
    end: int | None

    def apply(self, items: Sequence[Any]) -> Sequence[Any]:
        return items[self.start : self.end]


@dataclass
class Tree:
    """A parsed ``tree=`` expression: property name -> (sub-tree, optional range)."""

    children: dict[str, tuple[Tree, Range | None]] = field(default_factory=dict)


class _Depth:
    def __init__(self, level: int) -> None:
        self.level = level


Pruner = Tree | _Depth


def parse_tree(text: str) -> Tree:
    """Parse a ``tree=`` expression; anything malformed is Stapler's 500 "Malformed tree expression"."""
    pos, tree = _parse_list(text, 0)
    if pos != len(text):
        raise Oops("Malformed tree expression")
    return tree


def _parse_list(text: str, pos: int) -> tuple[int, Tree]:
    tree = Tree()
    while True:
        start = pos
        while pos < len(text) and text[pos] not in ",[]{}":
            pos += 1
        name = text[start:pos].strip()
        if not name:
            raise Oops("Malformed tree expression")
        sub = Tree()
        if pos < len(text) and text[pos] == "[":
            pos, sub = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != "]":
                raise Oops("Malformed tree expression")
            pos += 1
        rng: Range | None = None
        if pos < len(text) and text[pos] == "{":
            end = text.find("}", pos)
            if end < 0:
                raise Oops("Malformed tree expression")
            rng = _parse_range(text[pos + 1 : end])
            pos = end + 1
        tree.children[name] = (sub, rng)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return pos, tree


def _parse_range(spec: str) -> Range:
    try:
        if "," not in spec:
            n = int(spec)
            return Range(n, n + 1)
        lo, hi = spec.split(",", 1)
        return Range(int(lo) if lo.strip() else None, int(hi) if hi.strip() else None)
    except ValueError:
        raise Oops("Malformed tree expression") from None


def pruner_from(args: Mapping[str, str]) -> Pruner:
    """The pruner a request asks for: ``tree`` wins over ``depth`` (as in ``Api.doJson``)."""
    tree = args.get("tree")
    if tree is not None:
        return parse_tree(tree)
    depth = args.get("depth", "0")
    try:
        return _Depth(1 - int(depth))
    except ValueError:
        raise Oops("Depth parameter must be a number") from None


def export(value: Any, pruner: Pruner) -> JSON:
    """Export a bean (or list/map/scalar) with the given pruner."""
    return _value(value, pruner, None)


def _bean(bean: Bean | LazyBean, pruner: Pruner) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    if bean.java_class is not None:
        out["_class"] = bean.java_class
    props: Sequence[Prop | Field] = bean.props if isinstance(bean, Bean) else bean.fields
    source = bean.source if isinstance(bean, LazyBean) else None
    if isinstance(pruner, Tree):
        wanted = pruner.children
        for prop in props:
            entry = wanted.get(prop.name)
            if entry is not None:
                out[prop.name] = _value(_read(prop, source), entry[0], entry[1])
        return out
    level = pruner.level
    nested = _Depth(level + 1)
    for prop in props:
        if prop.visibility >= level:
            out[prop.name] = _value(_read(prop, source), pruner if prop.inline else nested, None)
    return out


def _read(prop: Prop | Field, source: Any) -> Any:
    value = prop.get(source) if isinstance(prop, Field) else prop.value
    return value() if callable(value) else value


def _value(value: Any, pruner: Pruner, rng: Range | None) -> JSON:
    if isinstance(value, Bean | LazyBean):
        return _bean(value, pruner)
    if isinstance(value, list | tuple):
        items = rng.apply(value) if rng else value
        return [_value(v, pruner, None) for v in items]
    if isinstance(value, dict):
        return {k: _value(v, pruner, None) for k, v in value.items()}
    return value
