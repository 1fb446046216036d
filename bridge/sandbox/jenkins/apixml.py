"""``api/xml?xpath=…&exclude=…&wrapper=…``: the in-memory path of ``hudson.model.Api.doXml``.

Jenkins writes the export to a string, parses it with dom4j, removes every node each ``exclude``
XPath selects, then applies ``xpath`` (Jaxen, XPath 1.0; here libxml2's through lxml) and
re-serialises with dom4j's ``XMLWriter`` (attributes in double quotes, empty elements as ``<a/>``):

* ``exclude`` without ``xpath``: the whole document, with dom4j's ``<?xml version="1.0"
  encoding="UTF-8"?>`` declaration and a line break;
* ``wrapper=W``: every match under ``<W>`` (``<W/>`` when none); ``W`` must match
  ``^[a-zA-Z_][\\w-\\.]*$`` or the answer is 400 with ``Api.WrapperParamInvalid``;
* no wrapper: no match is 404 ``XPath X didn\u2019t match``, several are 500 ``XPath "X" matched N
  nodes…``, written as plain bodies without a content type (the servlet writer is ISO-8859-1, so
  the typographic apostrophe arrives as ``?``);
* a text node, string, number or boolean is a *primitive* result: ``api.serve`` answers 403 unless
  a ``SecureRequester`` permits, then ``text/plain``;
* ``document()`` is refused (``FilteredFunctionContext``: 500 "Illegal function: document"); a
  malformed XPath is Jaxen's uncaught exception, a 500.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from bridge.sandbox.jenkins.errors import Oops

WRAPPER_RE = re.compile(r"^[a-zA-Z_][\w\-.]*\Z", re.ASCII)
WRAPPER_INVALID = (
    "The wrapper parameter can only contain alphanumeric characters or dash/dot/underscore."
    " The first character has to be a letter or underscore."
)
DOM4J_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_DOCUMENT_FUNCTION = re.compile(r"\bdocument\s*\(", re.IGNORECASE)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class Selected:
    """What ``doXml`` writes: a body, its kind (``xml``, ``text``, ``none`` = no content type), status."""

    body: str
    kind: str = "xml"
    status: int = 200
    primitive: bool = False


def select(document: str, xpath: str | None, excludes: list[str], wrapper: str | None) -> Selected:
    try:
        root = etree.fromstring(document.encode("utf-8"), _PARSER)
    except etree.XMLSyntaxError:
        raise Oops("Failed to do XPath/wrapper handling. Turn on FINER logging to view XML.") from None
    tree = root.getroottree()
    for exclude in excludes:
        for node in _evaluate(tree, exclude):
            _remove(node)
    if xpath is None:
        return Selected(DOM4J_DECLARATION + _serialise(tree.getroot()))
    found = _evaluate(tree, xpath)
    if wrapper is not None:
        if not WRAPPER_RE.match(wrapper):
            return Selected(WRAPPER_INVALID, "none", 400)
        return Selected(_serialise(_wrap(wrapper, found)))
    if not found:
        return Selected(_latin1(f"XPath {xpath} didn\u2019t match"), "none", 404)
    if len(found) > 1:
        message = (
            f'XPath "{xpath}" matched {len(found)} nodes. Create XPath that only matches one,'
            ' or use the "wrapper" query parameter to wrap them all under a root element.'
        )
        return Selected(_latin1(message), "none", 500)
    return _single(found[0])


def _evaluate(tree: Any, expression: str) -> list[Any]:
    """``selectNodes``: a node-set as a list; any other result as a one-element list (Jaxen)."""
    try:
        result = tree.xpath(expression)
    except (etree.XPathError, ValueError) as e:  # ValueError: characters libxml2 refuses (NUL...)
        if _DOCUMENT_FUNCTION.search(expression):
            raise Oops("Illegal function: document") from None
        raise Oops(f"org.dom4j.InvalidXPathException: Invalid XPath expression: {expression} {e}") from None
    return list(result) if isinstance(result, list) else [result]


def _remove(node: Any) -> None:
    if isinstance(node, etree._Element):
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
    elif isinstance(node, etree._ElementUnicodeResult):
        owner = node.getparent()
        if owner is None:
            return
        if node.is_attribute and node.attrname in owner.attrib:
            del owner.attrib[node.attrname]
        elif node.is_text:
            owner.text = None
        elif node.is_tail:
            owner.tail = None
    else:  # Jaxen hands a number/boolean/string to a cast to Node: ClassCastException
        raise _class_cast(node)


def _wrap(name: str, found: list[Any]) -> Any:
    """``DocumentFactory.createElement(wrapper)`` plus ``add(node.detach())`` / ``addText(string)``."""
    root = etree.Element(name)
    for node in found:
        if isinstance(node, etree._Element):
            root.append(copy.deepcopy(node))
        elif isinstance(node, etree._ElementUnicodeResult) and node.is_attribute:
            root.set(str(node.attrname), str(node))
        elif isinstance(node, str):  # text nodes and strings both become text of the wrapper
            _append_text(root, str(node))
        else:
            raise _class_cast(node)
    return root


def _append_text(element: Any, text: str) -> None:
    if len(element):
        last = element[-1]
        last.tail = (last.tail or "") + text
    else:
        element.text = (element.text or "") + text


def _single(node: Any) -> Selected:
    if isinstance(node, etree._Element):
        return Selected(_serialise(node))
    if isinstance(node, etree._ElementUnicodeResult) and node.is_attribute:
        # dom4j's XMLWriter writes an Attribute node as it would inside a start tag
        return Selected(" " + _serialise(etree.Element("a", {str(node.attrname): str(node)}))[3:-2])
    if isinstance(node, bool):
        return Selected("true" if node else "false", "text", primitive=True)
    if isinstance(node, float):
        text = str(int(node)) + ".0" if node.is_integer() else repr(node)  # java.lang.Double.toString
        return Selected(text, "text", primitive=True)
    return Selected(str(node), "text", primitive=True)


def _serialise(element: Any) -> str:
    out: str = etree.tostring(element, encoding="unicode", with_tail=False)
    return out


def _latin1(text: str) -> str:
    """What a servlet writer without a charset (ISO-8859-1) makes of the text."""
    return text.encode("latin-1", errors="replace").decode("latin-1")


def _class_cast(value: Any) -> Oops:
    return Oops(f"java.lang.ClassCastException: {type(value).__name__} cannot be cast to org.dom4j.Node")
