"""JCasC ``unclassified.globalLibraries`` (pipeline-groovy-lib ``GlobalLibraries``) and library retrieval.

Keys are the plugin's: ``LibraryConfiguration(name, retriever)`` with ``defaultVersion``, ``implicit``,
``allowVersionOverride``, ``includeInChangesets``, ``cachingConfiguration``; the retriever ``legacySCM``
(``SCMRetriever(scm)`` with ``clone``, ``libraryPath``) around the File System SCM (filesystem_scm,
``@Symbol("filesystem")``: ``path``, ``clearWorkspace``, ``copyHidden``, ``verboseLogging``,
``filterSettings``). Other retrievers (``modernSCM``: Git and the like) are not modelled and refused.

Retrieval happens per build, as ``LibraryAdder`` does: an implicit library without ``defaultVersion``
fails the build with ``No version specified for library NAME``; the directory is read on the sandbox's
host, where ``mounts`` maps a controller path (as in the image) to a host directory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bridge.sandbox.jenkins.pipeline.library import Library, LibraryError, load

LIBRARY_KEYS = frozenset(
    {
        "name",
        "retriever",
        "defaultVersion",
        "implicit",
        "allowVersionOverride",
        "includeInChangesets",
        "cachingConfiguration",
    }
)
RETRIEVER_KEYS = frozenset({"scm", "clone", "libraryPath"})
FILESYSTEM_KEYS = frozenset({"path", "clearWorkspace", "copyHidden", "verboseLogging", "filterSettings"})


class _Reader(Protocol):
    def _mapping(self, node: Any, path: str) -> dict[str, Any]: ...

    def _check_keys(self, node: dict[str, Any], path: str, known: set[str]) -> None: ...


class _Refused(ValueError):
    pass


@dataclass(frozen=True)
class GlobalLibrary:
    name: str
    path: str  # the File System SCM's folder on the controller
    default_version: str | None = None
    implicit: bool = False
    library_path: str | None = None  # subfolder holding vars/ (the retriever's libraryPath)


def read(reader: _Reader, node: Any, error: type[ValueError]) -> tuple[GlobalLibrary, ...]:
    base = "unclassified.globalLibraries"
    config = reader._mapping(node, base)
    reader._check_keys(config, base, {"libraries"})
    out = []
    for entry in config.get("libraries") or []:
        path = base + ".libraries"
        item = reader._mapping(entry, path)
        reader._check_keys(item, path, set(LIBRARY_KEYS))
        if not item.get("name") or "retriever" not in item:
            raise error(f"{path}: name and retriever are required")
        retriever = reader._mapping(item["retriever"], path + ".retriever")
        if set(retriever) != {"legacySCM"}:
            raise error(f"{path}.retriever: only legacySCM (filesystem) is modelled: {list(retriever)}")
        legacy = reader._mapping(retriever["legacySCM"], path + ".retriever.legacySCM")
        reader._check_keys(legacy, path + ".retriever.legacySCM", set(RETRIEVER_KEYS))
        scm = reader._mapping(legacy.get("scm"), path + ".retriever.legacySCM.scm")
        if set(scm) != {"filesystem"}:
            raise error(f"{path}.retriever.legacySCM.scm: only filesystem is modelled: {list(scm)}")
        fs_path = path + ".retriever.legacySCM.scm.filesystem"
        fs = reader._mapping(scm["filesystem"], fs_path)
        reader._check_keys(fs, fs_path, set(FILESYSTEM_KEYS))
        if not fs.get("path"):
            raise error(f"{fs_path}: path is required")
        version = item.get("defaultVersion")
        out.append(
            GlobalLibrary(
                name=str(item["name"]),
                path=str(fs["path"]),
                default_version=str(version) if version not in (None, "") else None,
                implicit=bool(item.get("implicit", False)),
                library_path=str(legacy["libraryPath"]) if legacy.get("libraryPath") else None,
            )
        )
    return tuple(out)


def _host_path(path: str, mounts: Mapping[str, str | Path]) -> Path:
    for prefix, target in sorted(mounts.items(), key=lambda kv: -len(kv[0])):
        stripped = prefix.rstrip("/")
        if path == stripped or path.startswith(stripped + "/"):
            return Path(target) / path[len(stripped) :].lstrip("/")
    return Path(path)


def retrieve(
    libraries: tuple[GlobalLibrary, ...], mounts: Mapping[str, str | Path]
) -> tuple[tuple[Library, ...], str | None]:
    """The implicit libraries a build loads, or the message its build fails with."""
    loaded = []
    for lib in (lib for lib in libraries if lib.implicit):
        if lib.default_version is None:
            return (), f"No version specified for library {lib.name}"
        root = _host_path(lib.path, mounts)
        if lib.library_path:
            if ".." in lib.library_path.split("/"):
                return (), "Library path may not contain '..'"
            root = root / lib.library_path
        try:
            loaded.append(load(lib.name, lib.default_version, root))
        except LibraryError as e:
            return (), str(e)
    return tuple(loaded), None
