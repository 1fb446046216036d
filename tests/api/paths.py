"""Concrete request paths for Flask rules, for tests that walk every route."""

from __future__ import annotations

import re

from bridge.api.registry import RULE_PARAM

SAMPLES = {
    "project": "demo",
    "workspace": "ws",
    "credential": "c",
    "pipeline": "p",
    "run": "1",
    "delivery": "1",
}
_ANY = re.compile(r"<any\(([^,)]+)[^>]*:(\w+)>")


def concrete(rule: str) -> str:
    """``/x/<project>/<any(user,group):kind>`` → ``/x/demo/user``."""
    rule = _ANY.sub(lambda m: m.group(1), rule)
    return RULE_PARAM.sub(lambda m: SAMPLES.get(m.group(1), "x"), rule)


def openapi_path(rule: str) -> str:
    return RULE_PARAM.sub(r"{\1}", rule)
