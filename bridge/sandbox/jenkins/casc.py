"""A JCasC loader for the subset the shipped ``jenkins-config/casc/jenkins.yaml`` uses.

Variables are resolved in every scalar as configuration-as-code's ``SecretSourceResolver`` does:
``${NAME}`` and ``${NAME:-default}``, ``^${…}`` escapes, ``${readFile:/path}`` / ``${file:/path}``;
``NAME`` comes from the controller's environment (``EnvSecretSource``) or from the file ``NAME`` in the
secrets directory (``DockerSecretSource``: ``$SECRETS``, default ``/run/secrets/``, content trimmed); an
unresolved variable becomes the empty string (JCasC logs "Found unresolved variable").

Modelled: ``jenkins.numExecutors``/``mode``/``systemMessage``, ``securityRealm.local`` users,
``authorizationStrategy`` (``globalMatrix``/``projectMatrix``, ``entries`` and legacy ``permissions``;
``loggedInUsersCanDoAnything``/``unsecured`` are refused), ``nodes[].permanent``,
``clouds[].kubernetes.templates`` (labels, ``nodeUsageMode``), ``security.queueItemAuthenticator``,
``unclassified.globalLibraries`` (``casclibs``),
``unclassified.sonarGlobalConfiguration`` (``cascsonar``); the ``credentials`` root is read for its keys only.
Keys the shipped file uses that the sandbox accepts without modelling are listed in ``NOT_MODELLED``;
any other key is an error (JCasC refuses unknown attributes too), so nothing is ignored silently.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bridge.sandbox.jenkins import acl, casclibs, cascsonar

log = logging.getLogger(__name__)

#: Paths (dot-joined keys) the sandbox accepts but does not model; everything below them is accepted.
NOT_MODELLED = frozenset(
    {
        "jenkins.disableRememberMe",  # no form login in the sandbox
        "jenkins.crumbIssuer",  # the sandbox always issues crumbs (DefaultCrumbIssuer)
        "jenkins.remotingSecurity",  # no remoting
        "jenkins.securityRealm.local.allowsSignup",  # no sign-up page
        "jenkins.nodes.permanent.remoteFS",
        "jenkins.nodes.permanent.launcher",
        "jenkins.nodes.permanent.retentionStrategy",
        "jenkins.clouds.kubernetes.namespace",
        "jenkins.clouds.kubernetes.jenkinsUrl",
        "jenkins.clouds.kubernetes.jenkinsTunnel",
        "jenkins.clouds.kubernetes.serverUrl",
        "jenkins.clouds.kubernetes.containerCapStr",
        "jenkins.clouds.kubernetes.containerCap",
        "jenkins.clouds.kubernetes.webSocket",  # agents are not launched
        "jenkins.clouds.kubernetes.templates.containers",
        "jenkins.clouds.kubernetes.templates.idleMinutes",
        "jenkins.clouds.kubernetes.templates.instanceCap",
        "jenkins.clouds.kubernetes.templates.namespace",
        "unclassified.location",  # the sandbox answers with the URL clients address it by
        "credentials.system",  # the system store is not seeded from JCasC
    }
)
CLASS_PREFIX = "org.jenkinsci.plugins.authorizeproject.strategy."
STRATEGY_SYMBOLS = {
    "triggeringUsersAuthorizationStrategy": CLASS_PREFIX + "TriggeringUsersAuthorizationStrategy",
    "specificUsersAuthorizationStrategy": CLASS_PREFIX + "SpecificUsersAuthorizationStrategy",
    "anonymousAuthorizationStrategy": CLASS_PREFIX + "AnonymousAuthorizationStrategy",
    "systemAuthorizationStrategy": CLASS_PREFIX + "SystemAuthorizationStrategy",
}
_VAR = re.compile(r"\^?\$\{([^}]*)\}")


class CascError(ValueError):
    """The file cannot be applied (JCasC fails the start-up the same way)."""


@dataclass(frozen=True)
class CascUser:
    id: str
    password: str


@dataclass(frozen=True)
class AgentSpec:
    """A static node (``permanent``) or a Kubernetes pod template (``template`` set)."""

    name: str
    labels: tuple[str, ...]
    num_executors: int = 1
    template: bool = False
    mode: str = "NORMAL"  # EXCLUSIVE: only tasks whose label matches (a pod template's default)


@dataclass(frozen=True)
class Authenticator:
    """``project`` (enabled/disabled strategy classes) or ``global`` (one strategy)."""

    kind: str
    enabled: frozenset[str] = frozenset()
    disabled: frozenset[str] = frozenset()
    strategy: str | None = None
    userid: str | None = None


@dataclass(frozen=True)
class CascConfig:
    num_executors: int = 2
    mode: str = "NORMAL"
    system_message: str = ""
    users: tuple[CascUser, ...] = ()
    strategy: acl.Strategy = field(default_factory=acl.Strategy)
    agents: tuple[AgentSpec, ...] = ()
    authenticators: tuple[Authenticator, ...] = ()
    not_modelled: tuple[str, ...] = ()  # the NOT_MODELLED paths this file uses
    libraries: tuple[casclibs.GlobalLibrary, ...] = ()  # unclassified.globalLibraries
    sonar: tuple[cascsonar.SonarInstallation, ...] = ()  # unclassified.sonarGlobalConfiguration


def load(
    paths: str | Path | Sequence[str | Path],
    *,
    environ: Mapping[str, str] | None = None,
    secrets_dir: str | Path | None = None,
) -> CascConfig:
    """Read and apply JCasC YAML files, merged as ``CASC_JENKINS_CONFIG`` with several files merges
    them (mappings merged, sequences appended, a scalar set twice is a conflict)."""
    env = dict(os.environ if environ is None else environ)
    directory = Path(secrets_dir if secrets_dir is not None else env.get("SECRETS", "/run/secrets/"))
    merged: dict[str, Any] = {}
    for path in [paths] if isinstance(paths, str | Path) else list(paths):
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise CascError(f"{path}: not YAML: {e}") from None
        merged = _merge(merged, raw, "")
    resolved = _resolve(merged, _Resolver(env, directory))
    return _Reader().read(resolved)


def _merge(into: Any, extra: Any, path: str) -> Any:
    if isinstance(into, dict) and isinstance(extra, dict):
        out = dict(into)
        for key, value in extra.items():
            out[key] = _merge(out[key], value, f"{path}.{key}") if key in out else value
        return out
    if isinstance(into, list) and isinstance(extra, list):
        return [*into, *extra]
    raise CascError(f"Found conflicting configuration at {path.lstrip('.')}")


class _Resolver:
    def __init__(self, env: Mapping[str, str], secrets_dir: Path) -> None:
        self.env = env
        self.secrets_dir = secrets_dir

    def lookup(self, name: str) -> str | None:
        for prefix in ("readFile:", "file:"):
            if name.startswith(prefix):
                return _read(Path(name[len(prefix) :]), trim=False)
        if not name.strip():
            return None
        if name in self.env:
            return self.env[name]
        if "/" in name or name in (".", ".."):
            return None
        return _read(self.secrets_dir / name, trim=True)

    def substitute(self, text: str) -> str:
        def one(match: re.Match[str]) -> str:
            if match.group(0).startswith("^"):
                return match.group(0)[1:]
            name, sep, default = match.group(1).partition(":-")
            value = self.lookup(name)
            if value is None:
                if sep:
                    return default
                log.warning(
                    "Configuration import: Found unresolved variable '%s'. Will default to empty string", name
                )
                return ""
            return value

        return _VAR.sub(one, text)


def _mode(value: Any, path: str) -> str:
    if str(value) not in ("NORMAL", "EXCLUSIVE"):
        raise CascError(f"{path}: No enum constant hudson.model.Node.Mode.{value}")
    return str(value)


def _read(path: Path, *, trim: bool) -> str | None:
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    return text.strip() if trim else text


def _resolve(node: Any, resolver: _Resolver) -> Any:
    if isinstance(node, dict):
        return {k: _resolve(v, resolver) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, resolver) for v in node]
    if isinstance(node, str):
        return resolver.substitute(node)
    return node


class _Reader:
    def __init__(self) -> None:
        self.used_not_modelled: list[str] = []

    def _mapping(self, node: Any, path: str) -> dict[str, Any]:
        if node is None:
            return {}
        if not isinstance(node, dict):
            raise CascError(f"{path}: expected a mapping")
        return node

    def _check_keys(self, node: dict[str, Any], path: str, known: set[str]) -> None:
        for key in node:
            full = f"{path}.{key}" if path else str(key)
            if key in known:
                continue
            if full in NOT_MODELLED:
                self.used_not_modelled.append(full)
                continue
            raise CascError(f"Invalid configuration elements for {path or 'the root'}: {key}")

    def read(self, root: Any) -> CascConfig:
        top = self._mapping(root, "")
        self._check_keys(top, "", {"jenkins", "security", "unclassified", "credentials"})
        self._check_keys(self._mapping(top.get("credentials"), "credentials"), "credentials", set())
        jenkins = self._mapping(top.get("jenkins"), "jenkins")
        self._check_keys(
            jenkins,
            "jenkins",
            {
                "systemMessage",
                "mode",
                "numExecutors",
                "securityRealm",
                "authorizationStrategy",
                "nodes",
                "clouds",
            },
        )
        security = self._mapping(top.get("security"), "security")
        self._check_keys(security, "security", {"queueItemAuthenticator"})
        unclassified = self._mapping(top.get("unclassified"), "unclassified")
        self._check_keys(unclassified, "unclassified", {"globalLibraries", "sonarGlobalConfiguration"})
        return CascConfig(
            num_executors=int(jenkins.get("numExecutors", 2)),
            mode=_mode(jenkins.get("mode", "NORMAL"), "jenkins.mode"),
            system_message=str(jenkins.get("systemMessage", "")),
            users=self._users(jenkins.get("securityRealm")),
            strategy=self._strategy(jenkins.get("authorizationStrategy")),
            agents=(*self._nodes(jenkins.get("nodes")), *self._clouds(jenkins.get("clouds"))),
            authenticators=self._authenticators(security.get("queueItemAuthenticator")),
            not_modelled=tuple(sorted(set(self.used_not_modelled))),
            libraries=casclibs.read(self, unclassified.get("globalLibraries"), CascError),
            sonar=cascsonar.read(self, unclassified.get("sonarGlobalConfiguration")),
        )

    def _users(self, node: Any) -> tuple[CascUser, ...]:
        realm = self._mapping(node, "jenkins.securityRealm")
        self._check_keys(realm, "jenkins.securityRealm", {"local"})
        local = self._mapping(realm.get("local"), "jenkins.securityRealm.local")
        self._check_keys(local, "jenkins.securityRealm.local", {"users"})
        users = []
        for entry in local.get("users") or []:
            item = self._mapping(entry, "jenkins.securityRealm.local.users")
            self._check_keys(item, "jenkins.securityRealm.local.users", {"id", "password", "name"})
            users.append(CascUser(str(item["id"]), str(item.get("password") or "")))
        return tuple(users)

    def _strategy(self, node: Any) -> acl.Strategy:
        strategy = self._mapping(node, "jenkins.authorizationStrategy")
        self._check_keys(strategy, "jenkins.authorizationStrategy", {"globalMatrix", "projectMatrix"})
        if not strategy:
            return acl.Strategy()
        if len(strategy) != 1:
            raise CascError("jenkins.authorizationStrategy: exactly one strategy")
        kind, body = next(iter(strategy.items()))
        path = f"jenkins.authorizationStrategy.{kind}"
        config = self._mapping(body, path)
        self._check_keys(config, path, {"entries", "permissions"})
        grants: set[acl.Grant] = set()
        try:
            for entry in config.get("entries") or []:
                item = self._mapping(entry, path + ".entries")
                self._check_keys(item, path + ".entries", {"user", "group", "userOrGroup"})
                for key, spec in item.items():
                    sid = self._mapping(spec, f"{path}.entries.{key}")
                    kind_of = {"user": "USER", "group": "GROUP", "userOrGroup": ""}[key]
                    for permission in sid.get("permissions") or []:
                        grants.add(
                            acl.Grant(kind_of, acl.parse_permission(str(permission)), str(sid["name"]))
                        )
            for line in config.get("permissions") or []:
                grant = acl.parse_grant(str(line), known_only=False)
                if grant is None:
                    raise acl.UnknownPermission(str(line))
                grants.add(acl.Grant(grant.type, acl.parse_permission(grant.permission), grant.sid))
        except acl.UnknownPermission as e:
            raise CascError(f"{path}: unknown permission {e}") from None
        return acl.Strategy(kind, acl.Matrix(frozenset(grants)))

    def _nodes(self, node: Any) -> list[AgentSpec]:
        out = []
        for entry in node or []:
            item = self._mapping(entry, "jenkins.nodes")
            self._check_keys(item, "jenkins.nodes", {"permanent"})
            spec = self._mapping(item["permanent"], "jenkins.nodes.permanent")
            self._check_keys(spec, "jenkins.nodes.permanent", {"name", "labelString", "numExecutors", "mode"})
            out.append(
                AgentSpec(
                    name=str(spec["name"]),
                    labels=tuple(str(spec.get("labelString") or "").split()),
                    num_executors=int(spec.get("numExecutors", 1)),
                    mode=_mode(spec.get("mode", "NORMAL"), "jenkins.nodes.permanent.mode"),
                )
            )
        return out

    def _clouds(self, node: Any) -> list[AgentSpec]:
        out = []
        for entry in node or []:
            item = self._mapping(entry, "jenkins.clouds")
            self._check_keys(item, "jenkins.clouds", {"kubernetes"})
            cloud = self._mapping(item["kubernetes"], "jenkins.clouds.kubernetes")
            self._check_keys(cloud, "jenkins.clouds.kubernetes", {"name", "templates"})
            for template in cloud.get("templates") or []:
                spec = self._mapping(template, "jenkins.clouds.kubernetes.templates")
                self._check_keys(
                    spec, "jenkins.clouds.kubernetes.templates", {"name", "label", "nodeUsageMode"}
                )
                labels = tuple(str(spec.get("label") or "").split())
                mode = _mode(spec.get("nodeUsageMode", "EXCLUSIVE"), "jenkins.clouds.kubernetes.templates")
                out.append(AgentSpec(name=str(spec["name"]), labels=labels, template=True, mode=mode))
        return out

    def _authenticators(self, node: Any) -> tuple[Authenticator, ...]:
        config = self._mapping(node, "security.queueItemAuthenticator")
        self._check_keys(config, "security.queueItemAuthenticator", {"authenticators"})
        out = []
        for entry in config.get("authenticators") or []:
            item = self._mapping(entry, "security.queueItemAuthenticator.authenticators")
            self._check_keys(item, "security.queueItemAuthenticator.authenticators", {"project", "global"})
            for kind, body in item.items():
                path = f"security.queueItemAuthenticator.authenticators.{kind}"
                if kind == "project":
                    spec = self._mapping(body, path)
                    self._check_keys(spec, path, {"enabledStrategies", "disabledStrategies"})
                    out.append(
                        Authenticator(
                            "project",
                            enabled=frozenset(str(s) for s in spec.get("enabledStrategies") or []),
                            disabled=frozenset(str(s) for s in spec.get("disabledStrategies") or []),
                        )
                    )
                else:
                    spec = self._mapping(body, path)
                    self._check_keys(spec, path, {"strategy"})
                    out.append(self._global(spec.get("strategy"), path + ".strategy"))
        return tuple(out)

    def _global(self, strategy: Any, path: str) -> Authenticator:
        if isinstance(strategy, str):
            if strategy not in STRATEGY_SYMBOLS:
                raise CascError(f"{path}: unknown strategy {strategy}")
            return Authenticator("global", strategy=STRATEGY_SYMBOLS[strategy])
        spec = self._mapping(strategy, path)
        if len(spec) != 1 or next(iter(spec)) not in STRATEGY_SYMBOLS:
            raise CascError(f"{path}: unknown strategy {list(spec)}")
        symbol, body = next(iter(spec.items()))
        fields = self._mapping(body, f"{path}.{symbol}")
        self._check_keys(fields, f"{path}.{symbol}", {"userid", "dontRestrictJobConfiguration"})
        userid = fields.get("userid")
        return Authenticator(
            "global", strategy=STRATEGY_SYMBOLS[symbol], userid=str(userid) if userid is not None else None
        )
