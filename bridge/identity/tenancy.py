"""Jenkins-side tenancy, the names part: project build identities, folder members, reserved user ids.

Each project's builds run in Jenkins as its own user, ``<prefix><project>`` (the project identity,
``jenkins.project_identity_prefix``); the project folder grants it and the project's members (the role
bindings on the project and on its workspace) what they may do there. Jenkins compares user ids
case-insensitively, so a bridge name that equals, ignoring case, a Jenkins account with other powers
would inherit them: the Jenkins admin, the bridge's own account, ``SYSTEM``, ``anonymous``, the
``authenticated`` group, any project identity, and the configured reserved ids. ``ReservedNames``
refuses those as binding subjects (400) and as users acting in Jenkins in ``user-token`` mode (403).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bridge.errors import Forbidden, InvalidRequest
from bridge.identity.roles import Role

#: Jenkins's built-in identities and group: SYSTEM passes every check, anonymous and authenticated
#: name everyone (a grant to them would reach every project identity too).
BUILT_IN = ("SYSTEM", "anonymous", "authenticated")
DEFAULT_PREFIX = "jb-project-"


def project_identity(prefix: str, project: str) -> str:
    """The Jenkins user id a project's builds run as."""
    return f"{prefix}{project}"


@dataclass(frozen=True, order=True)
class Member:
    """One role binding as a project folder in Jenkins sees it (project and workspace bindings merged)."""

    group: bool
    subject: str
    role: Role


def merge_members(members: Iterable[Member]) -> tuple[Member, ...]:
    """One entry per subject (user or group), with its highest role; sorted.

    Subjects that differ only in case are one subject, as they are in Jenkins (its default id
    strategies ignore case, and matrix-auth writes one line for them); the smallest spelling stays.
    """
    best: dict[tuple[bool, str], Member] = {}
    for m in members:
        key = (m.group, m.subject.lower())
        seen = best.get(key)
        if seen is not None:
            m = Member(m.group, min(seen.subject, m.subject), max(seen.role, m.role))
        best[key] = m
    return tuple(sorted(best.values()))


@dataclass(frozen=True)
class ReservedNames:
    """Names no bridge user or binding may take in Jenkins (compared case-insensitively)."""

    names: frozenset[str]
    prefix: str = DEFAULT_PREFIX

    @classmethod
    def of(cls, *, prefix: str, service_account: str | None, reserved: Iterable[str] = ()) -> ReservedNames:
        listed = [*BUILT_IN, *(n.strip() for n in reserved), service_account or ""]
        return cls(names=frozenset(n.casefold() for n in listed if n), prefix=prefix)

    def reason(self, name: str) -> str | None:
        """Why ``name`` is reserved, or ``None`` when it is free."""
        folded = name.casefold()
        if folded in self.names:
            return "it names a Jenkins account or group with other powers (compared ignoring case)"
        if self.prefix and folded.startswith(self.prefix.casefold()):
            return f"names starting with {self.prefix!r} are the projects' Jenkins build identities"
        return None

    def check_subject(self, name: str, *, what: str = "user") -> str:
        """A binding subject: 400 when reserved."""
        reason = self.reason(name)
        if reason is not None:
            raise InvalidRequest(f"{what} name {name[:80]!r} is reserved: {reason}")
        return name

    def check_jenkins_user(self, name: str) -> str:
        """A bridge user about to act in Jenkins as itself (``user-token`` mode): 403 when reserved."""
        reason = self.reason(name)
        if reason is not None:
            raise Forbidden(
                f"user {name[:80]!r} cannot act in Jenkins: the name is reserved ({reason}); "
                "use another user name"
            )
        return name


#: Nothing reserved but Jenkins's built-ins (tests and callers without settings).
BUILT_IN_ONLY = ReservedNames.of(prefix=DEFAULT_PREFIX, service_account=None)
