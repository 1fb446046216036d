"""Dependencies: every declared requirement is pinned by constraints.txt within its declared range,
the packages whose API the code and tests depend on have upper bounds, and what is imported is declared."""

from __future__ import annotations

import ast
import configparser
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).parents[2]
#: Packages whose next major version would change an API the bridge or its tests use.
BOUNDED = ("kubernetes", "alembic", "werkzeug", "waitress", "schemathesis")
#: Import name -> distribution name, where they differ.
DISTRIBUTION = {
    "yaml": "pyyaml",
    "jenkins": "python-jenkins",
    "psycopg": "psycopg",
    "dateutil": "python-dateutil",
}


def _requirements() -> list[Requirement]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].splitlines()
    for extra in ("postgres", "test"):
        lines += cfg["options.extras_require"][extra].splitlines()
    return [Requirement(line) for line in lines if line.strip()]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt pins exact versions only: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def test_every_requirement_is_pinned_within_its_range() -> None:
    pins = _pins()
    for req in _requirements():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is declared in setup.cfg but not pinned in constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {req.name}=={pins[name]}, outside setup.cfg's {req.specifier}"
        )


def test_api_sensitive_packages_have_upper_bounds() -> None:
    declared = {canonicalize_name(r.name): r for r in _requirements()}
    for name in BOUNDED:
        assert any(s.operator in ("<", "<=", "==", "~=") for s in declared[name].specifier), name


def test_every_third_party_module_the_bridge_imports_is_declared() -> None:
    declared = {canonicalize_name(r.name) for r in _requirements()}
    stdlib = set(sys.stdlib_module_names) | {"_typeshed", "bridge"}
    missing = set()
    for path in (ROOT / "bridge").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top not in stdlib and canonicalize_name(DISTRIBUTION.get(top, top)) not in declared:
                    missing.add(f"{top} ({path.relative_to(ROOT)})")
    assert not missing, f"imported but not declared in setup.cfg: {sorted(missing)}"
