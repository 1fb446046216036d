"""No import cycles inside ``bridge``: its module import graph, built from the source by ``ast``, is acyclic.

Every ``import`` and ``from ... import`` counts, at module level or inside a function (a deferred import hides
a cycle, it does not break it); only imports under ``if TYPE_CHECKING:`` do not (they never run). An edge goes
to the module named, or to ``package.name`` when ``from package import name`` names a submodule. Importing a
submodule does not add an edge to its parent packages (like import-linter's graph).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Cycles tolerated for now, each named by the set of modules it runs through, with the reason.
ALLOWED: dict[frozenset[str], str] = {}


def _modules(base: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (a directory under ``base``) by dotted name."""
    found: dict[str, Path] = {}
    for path in sorted((base / package.replace(".", "/")).rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """The modules (of ``modules``) that ``name``'s code imports when it runs; not ``if TYPE_CHECKING:``."""
    out: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in modules:
                    out.add(sub)
                elif base in modules:
                    out.add(base)
        pending.extend(ast.iter_child_nodes(node))
    out.discard(name)
    return out


def import_graph(base: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports."""
    modules = _modules(base, package)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = _imported(tree, name, path.name == "__init__.py", set(modules))
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    pending = list(graph[start])
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            pending.extend(graph[node])
    return seen


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module: each is one or more import cycles."""
    reach = {name: _reachable(graph, name) for name in graph}
    found: set[frozenset[str]] = set()
    for name in graph:
        if name in reach[name]:
            found.add(frozenset({name} | {other for other in reach[name] if name in reach[other]}))
    return sorted(found, key=sorted)


def one_cycle(graph: dict[str, set[str]], members: frozenset[str]) -> list[str]:
    """A shortest import path from the first member back to itself, inside ``members``."""
    start = min(members)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & members):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def _describe(graph: dict[str, set[str]], members: frozenset[str]) -> str:
    return f"{len(members)} modules {sorted(members)}, e.g. " + " -> ".join(one_cycle(graph, members))


# -- the bridge ------------------------------------------------------------------------------------------
def test_bridge_has_no_import_cycles() -> None:
    graph = import_graph(ROOT, "bridge")
    assert len(graph) > 100 and "bridge.sandbox.jenkins.pipeline.run" in graph
    found = [c for c in cycles(graph) if c not in ALLOWED]
    assert not found, "import cycles in bridge:\n" + "\n".join(_describe(graph, c) for c in found)


def test_every_allowed_cycle_still_exists() -> None:
    """An exception that no longer occurs is removed, so that the cycle cannot come back unnoticed."""
    present = set(cycles(import_graph(ROOT, "bridge")))
    stale = [sorted(c) for c in ALLOWED if c not in present]
    assert not stale, f"these cycles are gone: remove them from ALLOWED: {stale}"


# -- the checker itself ------------------------------------------------------------------------------------
def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for name, text in {"pkg/__init__.py": "", **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return import_graph(tmp_path, "pkg")


def test_a_module_level_cycle_is_found(tmp_path: Path) -> None:
    graph = _package(
        tmp_path,
        {
            "pkg/a.py": "from pkg.b import x\n",
            "pkg/b.py": "import pkg.c\n",
            "pkg/c.py": "from pkg import a\n",
        },
    )
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b", "pkg.c"})]
    assert one_cycle(graph, cycles(graph)[0]) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_a_function_level_import_counts(tmp_path: Path) -> None:
    graph = _package(
        tmp_path,
        {
            "pkg/a.py": "from pkg.b import x\n",
            "pkg/b.py": "x = 1\n\n\ndef f():\n    from pkg.a import y\n\n    return y\n",
        },
    )
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b"})]


def test_type_checking_imports_do_not_count(tmp_path: Path) -> None:
    graph = _package(
        tmp_path,
        {
            "pkg/a.py": "from pkg.b import x\n",
            "pkg/b.py": (
                "import typing\nfrom typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.a import A\nelse:\n    import pkg.c\n"
                "if typing.TYPE_CHECKING:\n    import pkg.a\nx = 1\n"
            ),
            "pkg/c.py": "",
        },
    )
    assert graph["pkg.b"] == {"pkg.c"}
    assert cycles(graph) == []


def test_relative_imports_and_packages_resolve(tmp_path: Path) -> None:
    graph = _package(
        tmp_path,
        {
            "pkg/sub/__init__.py": "from .mod import value\n",
            "pkg/sub/mod.py": "from .. import top\nfrom ..top import name\nvalue = 1\n",
            "pkg/top.py": "from pkg.sub import value\nname = 2\n",
        },
    )
    assert graph == {
        "pkg": set(),
        "pkg.sub": {"pkg.sub.mod"},
        "pkg.sub.mod": {"pkg.top"},
        "pkg.top": {"pkg.sub"},
    }
    assert cycles(graph) == [frozenset({"pkg.sub", "pkg.sub.mod", "pkg.top"})]
