"""Authorisation as matrix-auth computes it: who holds which permission on the root, a folder or a job.

Three strategies:

* ``legacy`` (no JCasC file): the sandbox's permissive default — every user has a flat permission set
  (``User.permissions``; admins everything) whatever the item.
* ``globalMatrix`` (``GlobalMatrixAuthorizationStrategy``): one matrix; item properties are ignored.
* ``projectMatrix`` (``ProjectMatrixAuthorizationStrategy``): the global matrix plus the
  ``AuthorizationMatrixProperty`` of folders (``com.cloudbees.hudson.plugins.folder.properties.…``) and
  jobs (``hudson.security.…``) with their inheritance strategy: ``InheritParentStrategy`` (own grants or
  the parent item's ACL, the global one for a top-level item), ``InheritGlobalStrategy`` (own or global),
  ``NonInheritingStrategy`` (own only, but global administrators keep everything). An item without a
  property uses its parent's ACL. Job/Read and Job/Discover also need the same permission on the parent
  item (matrix-auth's parent-read rule).

A permission is granted when it, or any permission that implies it (``Permission.impliedBy`` chain up to
Overall/Administer), is granted to the identity's user id (case-insensitive, Jenkins' default
``IdStrategy``) or to one of its authorities (``authenticated`` and the groups; ``anonymous`` for the
anonymous identity). SYSTEM passes every check (``ACL.SYSTEM2``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from bridge.sandbox.jenkins.model import Folder, Item, Job, SandboxState

# id -> (title as AccessDeniedException3 prints it, the permission that implies it)
PERMISSIONS: dict[str, tuple[str, str | None]] = {
    "hudson.model.Hudson.Administer": ("Overall/Administer", None),
    "hudson.security.Permission.GenericRead": ("Permission/GenericRead", "hudson.model.Hudson.Administer"),
    "hudson.security.Permission.GenericWrite": ("Permission/GenericWrite", "hudson.model.Hudson.Administer"),
    "hudson.security.Permission.GenericCreate": (
        "Permission/GenericCreate",
        "hudson.security.Permission.GenericWrite",
    ),
    "hudson.security.Permission.GenericUpdate": (
        "Permission/GenericUpdate",
        "hudson.security.Permission.GenericWrite",
    ),
    "hudson.security.Permission.GenericDelete": (
        "Permission/GenericDelete",
        "hudson.security.Permission.GenericWrite",
    ),
    "hudson.security.Permission.GenericConfigure": (
        "Permission/GenericConfigure",
        "hudson.security.Permission.GenericUpdate",
    ),
    "hudson.model.Hudson.Read": ("Overall/Read", "hudson.security.Permission.GenericRead"),
    "hudson.model.Hudson.RunScripts": ("Overall/RunScripts", "hudson.model.Hudson.Administer"),
    "hudson.model.Item.Read": ("Job/Read", "hudson.security.Permission.GenericRead"),
    "hudson.model.Item.Discover": ("Job/Discover", "hudson.model.Item.Read"),
    "hudson.model.Item.Build": ("Job/Build", "hudson.security.Permission.GenericUpdate"),
    "hudson.model.Item.Cancel": ("Job/Cancel", "hudson.security.Permission.GenericUpdate"),
    "hudson.model.Item.Configure": ("Job/Configure", "hudson.security.Permission.GenericConfigure"),
    "hudson.model.Item.Create": ("Job/Create", "hudson.security.Permission.GenericCreate"),
    "hudson.model.Item.Delete": ("Job/Delete", "hudson.security.Permission.GenericDelete"),
    "hudson.model.Item.Workspace": ("Job/Workspace", "hudson.security.Permission.GenericRead"),
    "hudson.model.Item.Move": ("Job/Move", "hudson.security.Permission.GenericCreate"),
    "hudson.model.Run.Delete": ("Run/Delete", "hudson.security.Permission.GenericDelete"),
    "hudson.model.Run.Update": ("Run/Update", "hudson.security.Permission.GenericUpdate"),
    "hudson.model.Run.Replay": ("Run/Replay", "hudson.model.Item.Configure"),
    "hudson.model.Computer.Build": ("Agent/Build", "hudson.security.Permission.GenericWrite"),
    "com.cloudbees.plugins.credentials.CredentialsProvider.View": (
        "Credentials/View",
        "hudson.security.Permission.GenericRead",
    ),
    "com.cloudbees.plugins.credentials.CredentialsProvider.Create": (
        "Credentials/Create",
        "hudson.security.Permission.GenericCreate",
    ),
    "com.cloudbees.plugins.credentials.CredentialsProvider.Update": (
        "Credentials/Update",
        "hudson.security.Permission.GenericUpdate",
    ),
    "com.cloudbees.plugins.credentials.CredentialsProvider.Delete": (
        "Credentials/Delete",
        "hudson.security.Permission.GenericDelete",
    ),
    "com.cloudbees.plugins.credentials.CredentialsProvider.ManageDomains": (
        "Credentials/ManageDomains",
        "hudson.security.Permission.GenericConfigure",
    ),
    "com.cloudbees.plugins.credentials.CredentialsProvider.UseItem": (
        "Credentials/UseItem",
        "hudson.model.Item.Configure",
    ),
    "com.cloudbees.plugins.credentials.CredentialsProvider.UseOwn": (
        "Credentials/UseOwn",
        "hudson.model.Item.Build",
    ),
    "hudson.scm.SCM.Tag": ("SCM/Tag", "hudson.security.Permission.GenericCreate"),
}
BY_TITLE = {title: pid for pid, (title, _) in PERMISSIONS.items()}
# Permission groups whose grants apply to items (``PermissionScope.ITEM``/``RUN``); others are dropped
# from item properties ("Tried to add inapplicable permission").
ITEM_SCOPED = ("hudson.model.Item.", "hudson.model.Run.", "com.cloudbees.plugins.credentials.", "hudson.scm.")

ITEM_READ = "hudson.model.Item.Read"
PERMISSIONS_BUILD = "hudson.model.Item.Build"
ITEM_DISCOVER = "hudson.model.Item.Discover"
ADMINISTER = "hudson.model.Hudson.Administer"

FOLDER_PROPERTY = "com.cloudbees.hudson.plugins.folder.properties.AuthorizationMatrixProperty"
JOB_PROPERTY = "hudson.security.AuthorizationMatrixProperty"
INHERIT_PARENT = "org.jenkinsci.plugins.matrixauth.inheritance.InheritParentStrategy"
INHERIT_GLOBAL = "org.jenkinsci.plugins.matrixauth.inheritance.InheritGlobalStrategy"
NON_INHERITING = "org.jenkinsci.plugins.matrixauth.inheritance.NonInheritingStrategy"
STRATEGY_KEY = "acl.strategy"  # state.extensions key


class UnknownPermission(ValueError):
    """A permission name JCasC could not parse (``parsePermission``)."""


def title(permission: str) -> str:
    """``Group/Name`` of a permission id (the id itself when unknown)."""
    return PERMISSIONS.get(permission, (permission, None))[0]


def implied_by_chain(permission: str) -> list[str]:
    """The permission and every permission that implies it, nearest first."""
    chain = [permission]
    parent = PERMISSIONS.get(permission, ("", None))[1]
    while parent is not None:
        chain.append(parent)
        parent = PERMISSIONS[parent][1]
    return chain


def parse_permission(text: str) -> str:
    """``Job/Build`` or ``hudson.model.Item.Build`` → the id."""
    if text in PERMISSIONS:
        return text
    if text in BY_TITLE:
        return BY_TITLE[text]
    raise UnknownPermission(text)


@dataclass(frozen=True)
class Identity:
    """Who an ACL is asked about: a user (with authorities), ``anonymous`` or ``SYSTEM``."""

    name: str
    authorities: tuple[str, ...] = ()
    kind: str = "user"  # user | anonymous | system

    @property
    def is_system(self) -> bool:
        return self.kind == "system"


SYSTEM = Identity("SYSTEM", kind="system")
ANONYMOUS = Identity("anonymous", ("anonymous",), kind="anonymous")


@dataclass(frozen=True)
class Grant:
    type: str  # USER | GROUP | "" (legacy "either")
    permission: str
    sid: str

    def matches(self, who: Identity) -> bool:
        if self.type in ("USER", "") and self.sid.lower() == who.name.lower():
            return True
        return self.type in ("GROUP", "") and self.sid in who.authorities


@dataclass(frozen=True)
class Matrix:
    grants: frozenset[Grant] = frozenset()

    def explicit(self, who: Identity, permission: str) -> bool:
        return any(g.permission == permission and g.matches(who) for g in self.grants)

    def has(self, who: Identity, permission: str) -> bool:
        return any(self.explicit(who, p) for p in implied_by_chain(permission))


@dataclass(frozen=True)
class Strategy:
    kind: str = "legacy"  # legacy | globalMatrix | projectMatrix
    matrix: Matrix = field(default_factory=Matrix)


def strategy(state: SandboxState) -> Strategy:
    found = state.extensions.get(STRATEGY_KEY)
    return found if isinstance(found, Strategy) else Strategy()


def identity_of_user(state: SandboxState, user_id: str | None) -> Identity:
    """``User.impersonate2``: a user the realm knows, else anonymous (``None``: anonymous)."""
    user = state.user_by_id(user_id) if user_id else None
    if user is None:
        return ANONYMOUS
    return Identity(user.id, ("authenticated", *user.groups))


def item_property(item: Item) -> tuple[str, Matrix] | None:
    """The matrix property of a folder or job, as (inheritance strategy class, grants)."""
    element: ET.Element | None = None
    if isinstance(item, Folder):
        element = next((e for e in item.properties_xml if e.tag == FOLDER_PROPERTY), None)
    elif isinstance(item, Job) and item.config is not None:
        element = item.config.find(f"properties/{JOB_PROPERTY}")
    if element is None:
        return None
    return parse_property(element)


def parse_property(element: ET.Element) -> tuple[str, Matrix]:
    """``AbstractAuthorizationPropertyConverter.unmarshal``: prefixed and legacy forms."""
    inheritance = INHERIT_PARENT
    grants: set[Grant] = set()
    for child in element:
        if child.tag == "inheritanceStrategy":
            inheritance = child.get("class", INHERIT_PARENT)
        elif child.tag == "blocksInheritance" and (child.text or "").strip() == "true":
            inheritance = NON_INHERITING
        elif child.tag == "permission" and child.text:
            grant = parse_grant(child.text.strip())
            if grant is not None and grant.permission.startswith(ITEM_SCOPED):
                grants.add(grant)
    return inheritance, Matrix(frozenset(grants))


def parse_grant(text: str, *, known_only: bool = True) -> Grant | None:
    """``TYPE:permission.id:sid`` or legacy ``permission.id:sid``; unknown permissions are skipped."""
    kind = ""
    for prefix in ("USER:", "GROUP:"):
        if text.startswith(prefix):
            kind, text = prefix[:-1], text[len(prefix) :]
    permission, sep, sid = text.partition(":")
    if not sep or (known_only and permission not in PERMISSIONS):
        return None
    return Grant(kind, permission, sid)


def has_permission(state: SandboxState, who: Identity, item: Item, permission: str) -> bool:
    if who.is_system:
        return True
    config = strategy(state)
    if config.kind == "legacy":
        user = state.user_by_id(who.name) if who.kind == "user" else None
        return bool(user and any(user.has(p) for p in implied_by_chain(permission)))
    if config.kind == "globalMatrix" or (isinstance(item, Folder) and item.is_root):
        return config.matrix.has(who, permission)
    return _item_has(state, config, who, item, permission)


def _item_has(state: SandboxState, config: Strategy, who: Identity, item: Item, permission: str) -> bool:
    parent = item.parent
    parent_read = permission in (ITEM_READ, ITEM_DISCOVER) and parent is not None and not parent.is_root
    if parent_read and not _item_has(state, config, who, parent, permission):  # type: ignore[arg-type]
        return False  # the parent-read rule
    return _acl(config, who, item, permission)


def _acl(config: Strategy, who: Identity, item: Item | None, permission: str) -> bool:
    """``ProjectMatrixAuthorizationStrategy.getACL(item)``: the item's property with its inheritance
    strategy, or the parent's ACL when it has none; the root is the global matrix."""
    if item is None or (isinstance(item, Folder) and item.is_root):
        return config.matrix.has(who, permission)
    found = item_property(item)
    if found is None:
        return _acl(config, who, item.parent, permission)
    inheritance, own = found
    if own.has(who, permission):
        return True
    if inheritance == NON_INHERITING:
        return config.matrix.has(who, ADMINISTER)
    if inheritance == INHERIT_GLOBAL:
        return config.matrix.has(who, permission)
    return _acl(config, who, item.parent, permission)


def visible(state: SandboxState, who: Identity, item: Item) -> bool:
    """``Jenkins.getItem`` / ``AbstractFolder.getItem``: an item without Job/Read does not exist."""
    if isinstance(item, Folder) and item.is_root:
        return True
    if strategy(state).kind == "legacy":
        return True
    return has_permission(state, who, item, ITEM_READ)


def discoverable(state: SandboxState, who: Identity, item: Item) -> bool:
    return strategy(state).kind != "legacy" and has_permission(state, who, item, ITEM_DISCOVER)
