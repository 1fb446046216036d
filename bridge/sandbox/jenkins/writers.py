"""Stapler's data writers: one exported model (what ``export.export`` returns) in three flavours.

``export`` decides *what* is written (``tree=``/``depth=`` pruning, ``_class``); these functions only
decide *how*, byte for byte as Stapler's ``JSONDataWriter``, ``PythonDataWriter`` and ``XMLDataWriter``:

* JSON: strings escape ``"`` and ``\\``, every ISO control character (``\\n`` included) and each UTF-16
  surrogate as ``\\uXXXX``; ``pretty`` indents by two spaces and writes ``"name" : value``.
* Python: the JSON text with ``None``/``True``/``False`` for ``null``/``true``/``false``.
* XML: root element = the decapitalised simple name of the bean's class, ``_class`` as a single-quoted
  attribute, arrays as repeated elements named by the singular of the property, ``null`` omitted,
  text escaping only ``<``, ``>``, ``&``; no declaration and no whitespace (Stapler cannot pretty-print
  XML). Element names are reduced to XML name characters (``makeXmlName``), so no value of the model
  can inject markup.
"""

from __future__ import annotations

import json
import re
from typing import Any

_ESCAPES = {'"': '\\"', "\\": "\\\\"}


def _is_iso_control(c: str) -> bool:
    return ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F


def json_string(text: str) -> str:
    """``JSONDataWriter.value``: Java strings are UTF-16, so characters beyond the BMP are two escapes."""
    out = ['"']
    for c in text:
        code = ord(c)
        if code > 0xFFFF:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        elif _is_iso_control(c) or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(_ESCAPES.get(c, c))
    out.append('"')
    return "".join(out)


class _JsonWriter:
    """``JSONDataWriter``'s comma/indent state machine (indent < 0: compact)."""

    def __init__(self, *, pretty: bool, python: bool) -> None:
        self.out: list[str] = []
        self.need_comma = False
        self.indent = 0 if pretty else -1
        self.literals = ("None", "True", "False") if python else ("null", "true", "false")

    def write(self, value: Any) -> str:
        self._value(value)
        return "".join(self.out)

    def _newline(self) -> None:
        if self.indent >= 0:
            self.out.append("\n" + " " * (self.indent * 2))

    def _comma(self) -> None:
        if self.need_comma:
            self.out.append(",")
            self._newline()
        self.need_comma = True

    def _data(self, text: str) -> None:
        self._comma()
        self.out.append(text)

    def _open(self, symbol: str) -> None:
        self._comma()
        self.out.append(symbol)
        self.need_comma = False
        if self.indent >= 0:
            self.indent += 1
        self._newline()

    def _close(self, symbol: str) -> None:
        if self.indent >= 0:
            self.indent -= 1
        self._newline()
        self.need_comma = True
        self.out.append(symbol)

    def _value(self, value: Any) -> None:
        if value is None:
            self._data(self.literals[0])
        elif isinstance(value, bool):
            self._data(self.literals[1] if value else self.literals[2])
        elif isinstance(value, int | float):
            self._data(repr(value))
        elif isinstance(value, str):
            self._data(json_string(value))
        elif isinstance(value, dict):
            self._open("{")
            for name, item in value.items():
                self._comma()
                self.out.append(json_string(name) + (":" if self.indent < 0 else " : "))
                self.need_comma = False
                self._value(item)
            self._close("}")
        elif isinstance(value, list | tuple):
            self._open("[")
            for item in value:
                self._value(item)
            self._close("]")
        else:
            raise TypeError(f"not an exported value: {type(value).__name__}")


# Compact output (nearly every request) goes through the C encoder, then its escapes are made Java's:
# json.dumps writes \n \r \t \b \f short and leaves U+007F..U+009F and non-BMP characters raw.
_SHORT_ESCAPES = {"n": "\\u000a", "r": "\\u000d", "t": "\\u0009", "b": "\\u0008", "f": "\\u000c"}
_FIX_ESCAPES = re.compile(r"\\(.)|([\x7f-\x9f\ud800-\udfff\U00010000-\U0010ffff])")
_LITERALS = re.compile(r'"(?:[^"\\]|\\.)*"|\b(null|true|false)\b')
_PYTHON = {"null": "None", "true": "True", "false": "False"}


def _fix_escape(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return _SHORT_ESCAPES.get(m.group(1), m.group(0))
    return json_string(m.group(2))[1:-1]


def _python_literal(m: re.Match[str]) -> str:
    literal = m.group(1)
    return m.group(0) if literal is None else _PYTHON[literal]


def write_streamed(data: Any, *, pretty: bool, python: bool) -> str:
    """The reference writer (``JSONDataWriter``'s state machine, character by character): serves
    ``?pretty``; the compact path below must give the same text, only faster."""
    return _JsonWriter(pretty=pretty, python=python).write(data)


def write_json(data: Any, *, pretty: bool = False) -> str:
    if pretty:
        return write_streamed(data, pretty=True, python=False)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if text.isascii() and "\\" not in text and "\x7f" not in text:
        return text  # the usual case: nothing to re-escape
    return _FIX_ESCAPES.sub(_fix_escape, text)


def write_python(data: Any, *, pretty: bool = False) -> str:
    if pretty:
        return write_streamed(data, pretty=True, python=True)
    return _LITERALS.sub(_python_literal, write_json(data))


# ---------------------------------------------------------------------------------------------- XML

# XML 1.0 NameStartChar / NameChar (the ranges of Stapler's XmlChars)
_NAME_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_NAME_START_RE = re.compile(f"[{_NAME_START}]")
_NOT_NAME_CHAR_RE = re.compile(f"[^{_NAME_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]")


def xml_name(name: str) -> str:
    """``XMLDataWriter.makeXmlName``: drop a bad first character (or prefix ``_``), drop bad others."""
    if not name:
        name = "_"
    if not _NAME_START_RE.match(name[0]):
        name = name[1:] if len(name) > 1 and _NAME_START_RE.match(name[1]) else "_" + name
    return name[0] + _NOT_NAME_CHAR_RE.sub("", name[1:])


def singular(name: str) -> str:
    """``XMLDataWriter.toSingular``: ``jobs`` -> ``job``, ``properties`` -> ``property``."""
    return re.sub("s$", "", re.sub("ies$", "y", name, count=1), count=1)


def decapitalize(name: str) -> str:
    """``java.beans.Introspector.decapitalize``: ``WorkflowRun`` -> ``workflowRun``, ``URL`` stays."""
    if len(name) > 1 and name[0].isupper() and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def root_element(java_class: str) -> str:
    """The XML root of an exported bean: the simple name of its class (``a.b.Queue$WaitingItem``)."""
    simple = re.split(r"[.$]", java_class)[-1]
    if not simple or simple[0].isdigit():
        raise ValueError(f"anonymous class {java_class}: Stapler names the root after its superclass")
    return decapitalize(simple)


def xml_text(text: str) -> str:
    """``Stapler.escape``: only ``<``, ``>`` and ``&``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise TypeError(f"not an exported value: {type(value).__name__}")


def _xml(out: list[str], name: str, value: Any, in_array: bool) -> None:
    if value is None:
        return  # absence means null
    if isinstance(value, list | tuple):
        for item in value:  # nested arrays reuse the outer name, as Stapler's isArray stack does
            _xml(out, name, item, True)
        return
    tag = xml_name(name)
    if in_array:
        tag = singular(tag)
    if isinstance(value, dict):
        java_class = value.get("_class")
        out.append(f"<{tag}")
        if java_class is not None:
            # Stapler writes the class name unescaped; it is a Java class name, escaped here anyway
            out.append(" _class='" + xml_text(str(java_class)).replace("'", "&apos;") + "'")
        out.append(">")
        for key, item in value.items():
            if key != "_class":
                _xml(out, key, item, False)
        out.append(f"</{tag}>")
        return
    out.append(f"<{tag}>{xml_text(_scalar(value))}</{tag}>")


def write_xml(data: dict[str, Any]) -> str:
    """An exported bean as ``XMLDataWriter`` streams it (``data`` carries the bean's ``_class``)."""
    java_class = data.get("_class")
    if not isinstance(java_class, str):
        raise ValueError("an exported bean without _class has no XML root name")
    out: list[str] = []
    _xml(out, root_element(java_class), data, False)
    return "".join(out)
