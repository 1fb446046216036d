"""Test doubles: an in-memory DesiredState and an in-memory JenkinsPort with Jenkins' semantics."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field

import defusedxml.ElementTree as SafeET

from bridge.adapters.jenkins.port import ObservedFolder, ObservedItem, RequestCounter
from bridge.domain.model import Credential, Pipeline, Project, SyncState
from bridge.errors import Conflict, NotFound, UpstreamError, UpstreamUnavailable
from bridge.identity.tenancy import Member
from bridge.reconcile.ports import Kind, Ref, Tombstone


@dataclass
class MemoryDesiredState:
    """The store's DesiredState contract, in dicts; deletes leave tombstones as the store does."""

    projects_: dict[str, Project] = field(default_factory=dict)
    credentials_: dict[tuple[str, str], Credential] = field(default_factory=dict)
    pipelines_: dict[tuple[str, str], Pipeline] = field(default_factory=dict)
    tombstones_: list[Tombstone] = field(default_factory=list)
    sync: dict[Ref, SyncState] = field(default_factory=dict)
    dirty: list[Ref] = field(default_factory=list)
    owned_: set[Ref] = field(default_factory=set)
    members_: dict[str, list[Member]] = field(default_factory=dict)
    records: int = 0

    def put(self, obj: Project | Credential | Pipeline) -> None:
        if isinstance(obj, Project):
            self.projects_[obj.name] = obj
            key = Ref(Kind.PROJECT, obj.name)
        elif isinstance(obj, Credential):
            self.credentials_[(obj.project, obj.id)] = obj
            key = Ref(Kind.CREDENTIAL, obj.project, obj.id)
        else:
            self.pipelines_[(obj.project, obj.name)] = obj
            key = Ref(Kind.PIPELINE, obj.project, obj.name)
        self._touch(key)

    def delete(self, key: Ref) -> None:
        if key.kind is Kind.PROJECT:
            self.projects_.pop(key.project)
            for k in [k for k in self.credentials_ if k[0] == key.project]:
                del self.credentials_[k]
            for k in [k for k in self.pipelines_ if k[0] == key.project]:
                del self.pipelines_[k]
        elif key.kind is Kind.CREDENTIAL:
            del self.credentials_[(key.project, key.name)]
        else:
            del self.pipelines_[(key.project, key.name)]
        self.sync.pop(key, None)
        self.tombstones_.append(Tombstone(key))
        self._touch(key)

    def _touch(self, key: Ref) -> None:
        if key not in self.dirty:
            self.dirty.append(key)

    def projects(self) -> Sequence[Project]:
        return sorted(self.projects_.values(), key=lambda p: p.name)

    def project(self, name: str) -> Project | None:
        return self.projects_.get(name)

    def credentials(self, project: str) -> Sequence[Credential]:
        return [c for (p, _), c in sorted(self.credentials_.items()) if p == project]

    def pipelines(self, project: str) -> Sequence[Pipeline]:
        return [c for (p, _), c in sorted(self.pipelines_.items()) if p == project]

    def members(self, project: str) -> Sequence[Member]:
        return list(self.members_.get(project, []))

    def tombstones(self) -> Sequence[Tombstone]:
        return list(self.tombstones_)

    def forget_tombstone(self, tombstone: Tombstone) -> None:
        self.tombstones_.remove(tombstone)

    def record_syncs(self, states: Sequence[tuple[Ref, SyncState]]) -> None:
        for key, state in states:
            self.record_sync(key, state)

    def record_sync(self, key: Ref, state: SyncState) -> None:
        self.records += 1
        self.sync[key] = state

    def take_dirty(self, limit: int = 100) -> Sequence[Ref]:
        taken, self.dirty = self.dirty[:limit], self.dirty[limit:]
        return taken

    def owned(self, projects: Collection[str], *, jenkins: str = "default") -> Set[Ref]:
        """One controller's ledger (these doubles provision into ``default`` only)."""
        return {k for k in self.owned_ if k.project in projects} if jenkins == "default" else set()

    def record_owned(
        self, *, add: Iterable[Ref] = (), remove: Iterable[Ref] = (), jenkins: str = "default"
    ) -> None:
        assert jenkins == "default"
        self.owned_ -= set(remove)
        self.owned_ |= set(add)


def _description(xml: bytes) -> str:
    return SafeET.fromstring(xml).findtext("description") or ""


def _kind(xml: bytes) -> str:
    tag = SafeET.fromstring(xml).tag
    return "org.jenkinsci.plugins.workflow.job.WorkflowJob" if tag == "flow-definition" else tag


@dataclass
class Item:
    config: bytes
    children: dict[str, Item] = field(default_factory=dict)
    credentials: dict[str, bytes] = field(default_factory=dict)


class FakeJenkins:
    """Folders, jobs and folder credentials in memory, observed and written as the adapter does."""

    def __init__(self) -> None:
        self.root: dict[str, Item] = {}
        self.counter = RequestCounter()
        self.down = False

    def _hit(self, method: str) -> None:
        if self.down:
            raise UpstreamUnavailable("cannot reach Jenkins: ConnectionError")
        self.counter.add(method)

    def _find(self, path: str) -> Item:
        parts = path.split("/")
        items = self.root
        for part in parts[:-1]:
            if part not in items:
                raise NotFound(f"no item {path}")
            items = items[part].children
        if parts[-1] not in items:
            raise NotFound(f"no item {path}")
        return items[parts[-1]]

    def observe_folder(self, folder: str) -> ObservedFolder | None:
        self._hit("GET")
        try:
            item = self._find(folder)
        except NotFound:
            return None
        children = {
            n: ObservedItem(name=n, kind=_kind(c.config), description=_description(c.config))
            for n, c in item.children.items()
        }
        return ObservedFolder(kind=_kind(item.config), description=_description(item.config), items=children)

    def observe_credentials(self, folder: str) -> Mapping[str, ObservedItem]:
        self._hit("GET")
        item = self._find(folder)
        return {i: ObservedItem(name=i, description=_description(x)) for i, x in item.credentials.items()}

    def create_item(self, path: str, config: bytes) -> None:
        self._hit("POST")
        parent, _, name = path.rpartition("/")
        items = self._find(parent).children if parent else self.root
        if name in items:
            raise UpstreamError("A job already exists with the name", status=400)
        items[name] = Item(config=config)

    def item_config(self, path: str) -> bytes:
        self._hit("GET")
        return self._find(path).config

    def update_item(self, path: str, config: bytes) -> None:
        self._hit("POST")
        self._find(path).config = config

    def delete_item(self, path: str) -> None:
        self._hit("POST")
        parent, _, name = path.rpartition("/")
        items = self._find(parent).children if parent else self.root
        if name not in items:
            raise NotFound(f"no item {path}")
        del items[name]

    def create_credential(self, folder: str, config: bytes) -> None:
        self._hit("POST")
        store = self._find(folder).credentials
        cid = SafeET.fromstring(config).findtext("id") or ""
        if cid in store:
            raise Conflict("duplicate credential id")
        store[cid] = config

    def update_credential(self, folder: str, credential_id: str, config: bytes) -> None:
        self._hit("POST")
        store = self._find(folder).credentials
        if credential_id not in store:
            raise NotFound("no credential")
        store[credential_id] = config

    def delete_credential(self, folder: str, credential_id: str) -> None:
        self._hit("DELETE")
        if self._find(folder).credentials.pop(credential_id, None) is None:
            raise NotFound("no credential")

    def ping(self) -> str:
        self._hit("GET")
        return "admin"
