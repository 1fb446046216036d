"""In-memory state of one sandbox Jenkins: users, the item tree, credential stores.

Everything here is plain data guarded by ``SandboxState.lock`` (one re-entrant lock per instance, so
several instances in one process never share anything). The HTTP layer reads and mutates it under
that lock; the pipeline engine owns the build-side fields of ``Job`` (``next_build_number``,
``builds``, ``queue``, ``engine``) and may hang its own objects there.
"""

from __future__ import annotations

import secrets
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"
WORKFLOW_JOB_CLASS = "org.jenkinsci.plugins.workflow.job.WorkflowJob"
FREESTYLE_CLASS = "hudson.model.FreeStyleProject"

# Permission names as Jenkins spells them in X-Required-Permission.
ADMINISTER = "hudson.model.Hudson.Administer"
READ = "hudson.model.Hudson.Read"
ITEM_READ = "hudson.model.Item.Read"
ITEM_CREATE = "hudson.model.Item.Create"
ITEM_CONFIGURE = "hudson.model.Item.Configure"
ITEM_DELETE = "hudson.model.Item.Delete"
ITEM_BUILD = "hudson.model.Item.Build"
ITEM_CANCEL = "hudson.model.Item.Cancel"
RUN_REPLAY = "hudson.model.Run.Replay"
CREDENTIALS_VIEW = "com.cloudbees.plugins.credentials.CredentialsProvider.View"
CREDENTIALS_CREATE = "com.cloudbees.plugins.credentials.CredentialsProvider.Create"
CREDENTIALS_UPDATE = "com.cloudbees.plugins.credentials.CredentialsProvider.Update"
CREDENTIALS_DELETE = "com.cloudbees.plugins.credentials.CredentialsProvider.Delete"

DEFAULT_USER_PERMISSIONS = frozenset({READ, ITEM_READ, ITEM_BUILD, ITEM_CANCEL})


@dataclass
class User:
    """A user of the Jenkins security realm. ``tokens`` are API tokens (crumb-exempt when used)."""

    id: str
    password: str | None = None
    tokens: list[str] = field(default_factory=list)
    groups: tuple[str, ...] = ()
    is_admin: bool = False
    full_name: str = ""
    permissions: frozenset[str] = DEFAULT_USER_PERMISSIONS

    def has(self, permission: str) -> bool:
        return self.is_admin or permission in self.permissions


@dataclass
class Credential:
    """One credential as a store holds it: type class, common fields and every value in clear.

    ``values`` keys are the XStream field names (``username``, ``password``, ``secret``,
    ``privateKey``, ``passphrase``, ``fileName``, ``secretBytes`` (base64), ``content``,
    ``usernameSecret``); which of them are secrets is a property of the type (``credtypes``).
    """

    cls: str
    id: str
    scope: str = "GLOBAL"
    description: str = ""
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class CredentialStore:
    """A store (system or folder) with its single global domain ``_`` (other domains are not emulated)."""

    credentials: dict[str, Credential] = field(default_factory=dict)


@dataclass(eq=False)
class Item:
    """Common part of folders and jobs (``AbstractItem``)."""

    name: str
    parent: Folder | None
    description: str = ""
    display_name: str | None = None
    # config.xml on disk is a client's XML copied through an identity transform (createItem with a body,
    # POST config.xml) rather than written by Jenkins' XmlFile; the two start differently (see pages).
    config_posted: bool = False

    kind = "item"
    java_class = ""

    @property
    def full_name(self) -> str:
        names: list[str] = []
        node: Item | None = self
        while node is not None and node.parent is not None:
            names.append(node.name)
            node = node.parent
        return "/".join(reversed(names))

    @property
    def url_path(self) -> str:
        """Path below the context root, e.g. ``job/a/job/b/`` ('' for the root)."""
        return "".join(f"job/{_quote(p)}/" for p in self.full_name.split("/") if p)

    def ancestors(self) -> Iterator[Folder]:
        """The enclosing folders, nearest first, ending with the root."""
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


@dataclass(eq=False)
class Folder(Item):
    """A cloudbees folder (or the root ``Jenkins`` object when ``parent`` is None)."""

    children: dict[str, Item] = field(default_factory=dict)
    store: CredentialStore = field(default_factory=CredentialStore)
    properties_xml: list[ET.Element] = field(default_factory=list)

    kind = "folder"
    java_class = FOLDER_CLASS

    @property
    def is_root(self) -> bool:
        return self.parent is None

    def walk(self) -> Iterator[Item]:
        for child in self.children.values():
            yield child
            if isinstance(child, Folder):
                yield from child.walk()


@dataclass
class ParameterDefinition:
    """A job parameter (``hudson.model.*ParameterDefinition``)."""

    type: str  # StringParameterDefinition, ChoiceParameterDefinition, BooleanParameterDefinition, ...
    name: str
    description: str = ""
    default: str | None = None
    choices: list[str] = field(default_factory=list)
    trim: bool = False


@dataclass(eq=False)
class Job(Item):
    """A WorkflowJob (or a FreeStyleProject kept for python-jenkins' ``EMPTY_CONFIG_XML``).

    ``config`` is the stored config.xml tree (returned by GET config.xml); the fields above it are
    what the emulator understood from it. The build-side fields belong to the pipeline engine.
    """

    java_class: str = WORKFLOW_JOB_CLASS
    config: ET.Element | None = None
    disabled: bool = False
    script: str | None = None
    sandbox: bool = True
    scm: dict[str, str] | None = None
    script_path: str | None = None
    parameters: list[ParameterDefinition] = field(default_factory=list)
    concurrent_build: bool = True
    properties: list[str] = field(default_factory=list)
    # --- owned by the pipeline engine -------------------------------------------------------------
    next_build_number: int = 1
    builds: dict[int, Any] = field(default_factory=dict)
    queue: list[Any] = field(default_factory=list)
    engine: dict[str, Any] = field(default_factory=dict)

    kind = "job"


@dataclass
class SandboxState:
    """All state of one instance. Hold ``lock`` while reading or changing anything below it."""

    root: Folder = field(default_factory=lambda: Folder(name="", parent=None))
    users: dict[str, User] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    instance_salt: str = field(default_factory=lambda: secrets.token_hex(16))
    # Extra state other modules register (queue, counters...): name -> object.
    extensions: dict[str, Any] = field(default_factory=dict)

    def find_item(self, full_name: str) -> Item | None:
        node: Item = self.root
        for part in (p for p in full_name.split("/") if p):
            if not isinstance(node, Folder) or part not in node.children:
                return None
            node = node.children[part]
        return node

    def user_by_id(self, user_id: str) -> User | None:
        """Jenkins' default IdStrategy is case-insensitive."""
        found = self.users.get(user_id)
        if found is not None:
            return found
        lowered = user_id.lower()
        return next((u for u in self.users.values() if u.id.lower() == lowered), None)


def _quote(segment: str) -> str:
    return quote(segment, safe="")
