"""Authorisation the bridge writes into Jenkins: who a job's builds run as, who may do what in a folder.

* Jobs: authorize-project's ``AuthorizeProjectProperty`` with ``SpecificUsersAuthorizationStrategy``
  naming the project identity. It is a job property only (the plugin has no folder form), so every job
  the bridge owns carries it, in both attribution modes: builds then run as the project identity
  whoever or whatever triggered them (API, cron, SCM, webhook), never as SYSTEM.
* Folders: matrix-auth's folder ``AuthorizationMatrixProperty`` with ``NonInheritingStrategy`` (only
  the folder's own grants, plus what global administrators hold anyway), one
  ``<permission>TYPE:permission.id:sid</permission>`` line per grant, sorted as matrix-auth writes them
  (permission id, then ``GROUP`` before ``USER``, then sid compared ignoring case, as the default id
  strategies of Jenkins's own user database do; ``AuthorizationContainer.PermissionEntryComparator``).
  The project identity gets Job/Read, Build, Cancel and Configure (Configure implies
  ``CredentialsProvider.UseItem``, which a build that is not SYSTEM needs to use the folder's
  credentials); members get Job/Read (viewer), + Build and Cancel (operator), + Run/Replay (admin).

Both are built and parsed with the XML library; the parsers read Jenkins's own variants (legacy
unprefixed permission lines, ``blocksInheritance``) so a deep check compares meaning, not bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from bridge.adapters.jenkins.configxml.xmltext import parse, sub, text_of, to_bytes
from bridge.identity.roles import Role
from bridge.identity.tenancy import Member, merge_members

AUTHORIZE_PROPERTY = "org.jenkinsci.plugins.authorizeproject.AuthorizeProjectProperty"
SPECIFIC_USERS = "org.jenkinsci.plugins.authorizeproject.strategy.SpecificUsersAuthorizationStrategy"
MATRIX_PROPERTY = "com.cloudbees.hudson.plugins.folder.properties.AuthorizationMatrixProperty"
NON_INHERITING = "org.jenkinsci.plugins.matrixauth.inheritance.NonInheritingStrategy"

READ = "hudson.model.Item.Read"
BUILD = "hudson.model.Item.Build"
CANCEL = "hudson.model.Item.Cancel"
CONFIGURE = "hudson.model.Item.Configure"
REPLAY = "hudson.model.Run.Replay"

IDENTITY_PERMISSIONS = (READ, BUILD, CANCEL, CONFIGURE)
ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.VIEWER: (READ,),
    Role.OPERATOR: (READ, BUILD, CANCEL),
    Role.ADMIN: (READ, BUILD, CANCEL, REPLAY),
}


# -- jobs ------------------------------------------------------------------------------------------


def add_run_as(properties: ET.Element, user_id: str) -> None:
    """Append the job property that makes every build of the job run as ``user_id``."""
    strategy = sub(sub(properties, AUTHORIZE_PROPERTY), "strategy", **{"class": SPECIFIC_USERS})
    sub(strategy, "userid", user_id)
    sub(strategy, "dontRestrictJobConfiguration", "false")


def parse_run_as(properties: ET.Element | None) -> str | None:
    """The user a job's builds run as when it carries exactly the bridge's form of the property.

    ``None`` for anything else: no property, another strategy, several properties, or
    ``dontRestrictJobConfiguration`` on (which would let anyone with Job/Configure change it).
    """
    if properties is None:
        return None
    found = properties.findall(AUTHORIZE_PROPERTY)
    if len(found) != 1:
        return None
    strategy = found[0].find("strategy")
    if strategy is None or strategy.get("class") != SPECIFIC_USERS:
        return None
    if text_of(strategy, "dontRestrictJobConfiguration", "false").strip() != "false":
        return None
    return text_of(strategy, "userid").strip() or None


# -- folders ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderGrants:
    """A folder matrix: the inheritance strategy class and the permission lines."""

    inheritance: str
    lines: tuple[str, ...]


def permission_lines(identity: str, members: Iterable[Member]) -> tuple[str, ...]:
    """Every ``TYPE:permission.id:sid`` line of a project folder, in matrix-auth's order."""
    grants: set[tuple[str, str, str]] = {(p, "USER", identity) for p in IDENTITY_PERMISSIONS}
    for member in merge_members(members):
        kind = "GROUP" if member.group else "USER"
        grants |= {(p, kind, member.subject) for p in ROLE_PERMISSIONS[member.role]}
    return tuple(sorted((f"{kind}:{perm}:{sid}" for perm, kind, sid in grants), key=_line_order))


def folder_grants(identity: str, members: Iterable[Member]) -> FolderGrants:
    return FolderGrants(NON_INHERITING, permission_lines(identity, members))


def add_matrix(properties: ET.Element, grants: FolderGrants) -> ET.Element:
    prop = sub(properties, MATRIX_PROPERTY)
    sub(prop, "inheritanceStrategy", **{"class": grants.inheritance})
    for line in grants.lines:
        sub(prop, "permission", line)
    return prop


def parse_matrix(properties: ET.Element | None) -> FolderGrants | None:
    """The folder matrix Jenkins holds (``None`` when there is none, or more than one).

    Legacy forms read as Jenkins reads them: ``<blocksInheritance>true`` is non-inheriting; a line
    without a ``USER:``/``GROUP:`` prefix stays as written (an ambiguous grant, never the bridge's).
    """
    if properties is None:
        return None
    found = properties.findall(MATRIX_PROPERTY)
    if len(found) != 1:
        return None
    prop = found[0]
    node = prop.find("inheritanceStrategy")
    if node is not None:
        inheritance = node.get("class", "")
    elif text_of(prop, "blocksInheritance").strip() == "true":
        inheritance = NON_INHERITING
    else:
        inheritance = ""
    lines = sorted({(p.text or "").strip() for p in prop.findall("permission")}, key=_line_order)
    return FolderGrants(inheritance, tuple(lines))


def _line_order(line: str) -> tuple[str, int, str, str]:
    """matrix-auth's order: permission id, then EITHER (unprefixed), GROUP, USER, then sid ignoring case."""
    kind, _, rest = line.partition(":")
    if kind not in ("USER", "GROUP"):
        kind, rest = "", line
    perm, _, sid = rest.partition(":")
    return (perm, {"": 0, "GROUP": 1, "USER": 2}[kind], sid.lower(), sid)


def replace_matrix(config: bytes | str, grants: FolderGrants) -> bytes:
    """A folder's own config.xml with its matrix property replaced by ``grants`` (others kept)."""
    root = parse(config)
    properties = root.find("properties")
    if properties is None:
        properties = sub(root, "properties")
    for old in properties.findall(MATRIX_PROPERTY):
        properties.remove(old)
    prop = add_matrix(properties, grants)
    properties.remove(prop)
    properties.insert(0, prop)
    return to_bytes(root)
