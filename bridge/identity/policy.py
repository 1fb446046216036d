"""The one place that decides whether a principal may use a permission.

``Policy.grants`` reads the principal's bindings once per request, in one query that also names each
bound project's workspace; ``Grants.check`` then answers from memory. A project the caller holds no
role on is reported as missing (404), so names of other teams' projects cannot be probed; a project
the caller can see but lacks the role for is a 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from bridge.errors import Forbidden, NotFound
from bridge.identity.bindings import Binding, Scope
from bridge.identity.principal import PLATFORM_ADMINS_GROUP, AuthSource, Principal
from bridge.identity.roles import RULES, Role, RuleScope

#: Identity sources whose users and groups may be platform admins unless settings say otherwise.
DEFAULT_ADMIN_SOURCES = frozenset({AuthSource.API_TOKEN, AuthSource.PROXY})

#: Maps a project name to its workspace, or None when the project does not exist.
WorkspaceOf = Callable[[str], str | None]


class BindingReader(Protocol):
    def for_principal(self, principal: Principal) -> list[Binding]: ...


def _highest(*roles: Role | None) -> Role | None:
    present = [r for r in roles if r is not None]
    return max(present) if present else None


@dataclass(frozen=True)
class Grants:
    """What one principal holds; computed once per request."""

    principal: Principal
    platform_admin: bool = False
    projects: Mapping[str, Role] = field(default_factory=dict)
    workspaces: Mapping[str, Role] = field(default_factory=dict)
    #: Workspaces of the projects in ``projects``: their members may read the workspace itself.
    project_workspaces: frozenset[str] = frozenset()
    #: Bound project -> its workspace, as read with the bindings (spares a lookup per request).
    project_homes: Mapping[str, str] = field(default_factory=dict)

    def project_role(self, project: str, workspace: str | None) -> Role | None:
        if self.platform_admin:
            return Role.ADMIN
        return _highest(self.projects.get(project), self.workspaces.get(workspace) if workspace else None)

    def workspace_role(self, workspace: str) -> Role | None:
        if self.platform_admin:
            return Role.ADMIN
        role = self.workspaces.get(workspace)
        return role or (Role.VIEWER if workspace in self.project_workspaces else None)

    def can_see_project(self, project: str, workspace: str | None) -> bool:
        return self.project_role(project, workspace) is not None

    def can_see_workspace(self, workspace: str) -> bool:
        """A workspace is visible to its members and (as viewers) to members of any of its projects."""
        return self.workspace_role(workspace) is not None

    def check(
        self,
        permission: str,
        *,
        project: str | None = None,
        workspace: str | None = None,
        workspace_of: WorkspaceOf | None = None,
        workspace_in_path: bool = True,
    ) -> None:
        """Return when allowed; raise ``NotFound`` (invisible) or ``Forbidden`` (visible, not allowed)."""
        rule = RULES.get(permission)
        if rule is None:
            raise Forbidden(f"no access rule is defined for permission {permission!r}")
        if (
            rule.scope in (RuleScope.PUBLIC, RuleScope.SIGNATURE, RuleScope.AUTHENTICATED)
            or self.platform_admin
        ):
            return
        if rule.scope is RuleScope.PLATFORM:
            raise Forbidden("this needs a platform administrator")
        assert rule.role is not None
        if rule.scope is RuleScope.PROJECT:
            if project is None:
                raise Forbidden(f"permission {permission!r} needs a project")
            owner = workspace_of(project) if workspace_of else None
            role = self.project_role(project, owner)
            if role is None or (workspace_of is not None and owner is None):
                raise NotFound(f"project {project!r} not found")
            if role < rule.role:
                raise Forbidden(f"this needs the {rule.role.label} role on project {project!r}")
            return
        if workspace is None:
            raise Forbidden(f"permission {permission!r} needs a workspace")
        ws_role = self.workspace_role(workspace)
        if ws_role is None and workspace_in_path:
            raise NotFound(f"workspace {workspace!r} not found")
        if ws_role is None or ws_role < rule.role:
            raise Forbidden(f"this needs the {rule.role.label} role on workspace {workspace!r}")

    def visible_projects(self, names_and_workspaces: Iterable[tuple[str, str]]) -> set[str]:
        return {name for name, ws in names_and_workspaces if self.can_see_project(name, ws)}


class Policy:
    """Platform admins are the bootstrap token's principal, and the users and groups configured as
    admins when the identity source that asserted them is one of ``admin_sources``: a source whose
    users can choose their own group names must not be able to name themselves admins."""

    def __init__(
        self,
        bindings: BindingReader,
        *,
        admin_users: Iterable[str] = (),
        admin_groups: Iterable[str] = (),
        platform_admin_group: str = PLATFORM_ADMINS_GROUP,
        admin_sources: Iterable[AuthSource] = DEFAULT_ADMIN_SOURCES,
    ) -> None:
        self._bindings = bindings
        self._admin_users = frozenset(admin_users)
        self._admin_groups = frozenset(admin_groups) | {platform_admin_group}
        self._admin_sources = frozenset(admin_sources)

    def is_platform_admin(self, principal: Principal) -> bool:
        if principal.source is AuthSource.BOOTSTRAP:
            return True
        if principal.source not in self._admin_sources:
            return False
        return principal.name in self._admin_users or principal.in_any(self._admin_groups)

    def grants(self, principal: Principal, *, workspace_of: WorkspaceOf | None = None) -> Grants:
        if self.is_platform_admin(principal):
            return Grants(principal, platform_admin=True)
        projects: dict[str, Role] = {}
        workspaces: dict[str, Role] = {}
        homes: dict[str, str] = {}
        for b in self._bindings.for_principal(principal):
            table = projects if b.scope is Scope.PROJECT else workspaces
            table[b.scope_name] = _highest(table.get(b.scope_name), b.role) or b.role
            if b.scope is Scope.PROJECT:
                # A reader that does not join the workspace in falls back to one lookup per project.
                home = b.project_workspace or (workspace_of(b.scope_name) if workspace_of else None)
                if home:
                    homes[b.scope_name] = home
        return Grants(
            principal,
            projects=projects,
            workspaces=workspaces,
            project_workspaces=frozenset(homes.values()),
            project_homes=homes,
        )
