"""One typed settings object, read from ``BRIDGE_*`` environment variables and an optional YAML file.

Precedence is environment > YAML > default. Each concern is a frozen dataclass; the environment name of
a field is ``BRIDGE_`` + the upper-snake group and field (``reconcile.resync_interval`` →
``BRIDGE_RECONCILE_RESYNC_INTERVAL``); top-level fields have no group (``BRIDGE_DATA_DIR``). The YAML
file (``BRIDGE_CONFIG``) nests groups: ``{jenkins: {url: ...}, data_dir: ...}``.

``Settings.load`` is called once, by an entry point; everything below receives settings explicitly.
It validates every field and raises one ``ConfigurationError`` listing every problem. Secret fields
never appear in ``repr`` and are masked by ``masked()``; so is the password inside a URL setting
(``postgresql+psycopg://u:PASSWORD@db/x``, ``https://user:PASSWORD@jenkins/``), which ``secrets()`` also
hands to the log redaction.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import yaml

from bridge.errors import ConfigurationError
from bridge.settings_clusters import ClusterSettings, cluster_problems

log = logging.getLogger(__name__)

PREFIX = "BRIDGE_"
MASK = "***"
SECRET_KEY_FILE = "secret.key"

KubeconfigMode = Literal["file", "kubeconfig-plugin", "secret-text"]
AttributionMode = Literal["parameter", "user-token"]
LogFormat = Literal["plain", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
#: Identity sources that ``BRIDGE_AUTH_ADMIN_SOURCES`` may name (``bridge.identity.principal.AuthSource``).
ADMIN_SOURCES = frozenset({"api-token", "proxy", "token-review"})


@dataclass(frozen=True)
class JenkinsSettings:
    """The default Jenkins the bridge provisions into."""

    #: May carry ``user:password@``; the password is masked like any secret.
    url: str = field(default="http://127.0.0.1:8080/", metadata={"url_password": True})
    user: str | None = None
    #: API token of ``user``; secret.
    token: str | None = field(default=None, repr=False, metadata={"secret": True})
    #: Seconds per HTTP request.
    timeout: float = 30.0
    #: Bounded retries for retryable failures (connection errors, 429, 5xx).
    retries: int = 3
    verify_tls: bool = True
    #: How ``kubeconfig`` credentials are stored: a secret file (default), kubernetes-cd's
    #: KubeconfigCredentials, or secret text.
    kubeconfig_credential_mode: KubeconfigMode = "file"
    #: How runs and approvals carry the real user (docs/security.md §5): a ``BRIDGE_REQUESTED_BY``
    #: parameter and bridge-side submitter checks, or per-user API tokens minted by ``user``.
    attribution: AttributionMode = "parameter"
    #: Jenkins user id of each project's build identity is this prefix + the project name.
    project_identity_prefix: str = "jb-project-"
    #: Comma-separated Jenkins user ids no bridge user or binding may take (the Jenkins admin's).
    reserved_users: str = "admin"
    #: Accept plain ``http://`` SCM URLs for pipelines (code and credentials then travel unencrypted).
    allow_http_scm: bool = False

    def __repr__(self) -> str:
        return _repr(self)


@dataclass(frozen=True)
class ReconcileSettings:
    #: Seconds between full passes over every project.
    resync_interval: float = 300.0
    #: Seconds between unconditional re-pushes of credential values (Jenkins redacts them, so drift
    #: in secret values cannot be observed).
    secret_repush_interval: float = 3600.0
    #: Seconds between polls of the dirty-key table.
    poll_interval: float = 1.0


@dataclass(frozen=True)
class ApiSettings:
    #: Largest request body accepted; larger ones get 413.
    max_body_bytes: int = 1024 * 1024
    #: PEM certificate chain and key: ``serve`` then terminates TLS itself.
    tls_cert: str = ""
    tls_key: str = ""
    #: PEM CA bundle: with TLS on, clients may present certificates signed by it (their CN is what
    #: ``BRIDGE_AUTH_PROXY_CLIENT_CNS`` matches); without one, no client certificate is asked for.
    tls_client_ca: str = ""
    #: Reverse proxies in front of the bridge whose ``X-Forwarded-For``/``X-Forwarded-Proto`` are
    #: believed (0: none, the client address is the peer's); each proxy must append, not pass through.
    trusted_proxy_hops: int = 0


@dataclass(frozen=True)
class AuthSettings:
    """How callers authenticate beyond the bootstrap admin token (see docs/security.md)."""

    #: Accept ``jbt_`` API tokens minted by ``jenkins-bridge token create``.
    api_tokens: bool = True
    #: Credential of the trusted front proxy (sent in ``X-Bridge-Proxy-Token``); enables proxy mode.
    proxy_token: str | None = field(default=None, repr=False, metadata={"secret": True})
    #: Comma-separated client-certificate CNs also accepted as the proxy (TLS terminated by the bridge).
    proxy_client_cns: str = ""
    #: Validate other bearer tokens with the host cluster's TokenReview API.
    token_review: bool = False
    #: Seconds a TokenReview answer is cached.
    token_review_ttl: float = 10.0
    #: Comma-separated audiences the token must be issued for (empty: the apiserver's own).
    token_review_audiences: str = ""
    #: Kubeconfig file for TokenReview; empty means the in-cluster service account.
    token_review_kubeconfig: str = ""
    #: Comma-separated users and groups that are platform admins (besides ``platform_admin_group``).
    admin_users: str = ""
    admin_groups: str = ""
    #: The group whose members are platform admins.
    platform_admin_group: str = "jenkins-bridge:platform-admins"
    #: Comma-separated identity sources (``api-token``, ``proxy``, ``token-review``) whose users and
    #: groups may make a platform admin; the bootstrap token always is one.
    admin_sources: str = "api-token,proxy"


@dataclass(frozen=True)
class LogSettings:
    format: LogFormat = "plain"
    level: LogLevel = "INFO"


@dataclass(frozen=True)
class Settings:
    #: Holds the SQLite file and the generated secret key.
    data_dir: Path = Path(".data")
    #: SQLAlchemy URL; default ``sqlite:///<data_dir>/bridge.db``. PostgreSQL: ``postgresql+psycopg://``.
    database_url: str = field(default="", metadata={"url_password": True})
    #: Fernet key encrypting credential data at rest; generated into ``<data_dir>/secret.key`` if unset.
    secret_key: str = field(default="", repr=False, metadata={"secret": True})
    #: Bootstrap admin bearer token for ``/api/v1``; without it every API call is refused.
    admin_token: str | None = field(default=None, repr=False, metadata={"secret": True})
    jenkins: JenkinsSettings = field(default_factory=JenkinsSettings)
    reconcile: ReconcileSettings = field(default_factory=ReconcileSettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    clusters: ClusterSettings = field(default_factory=ClusterSettings)
    log: LogSettings = field(default_factory=LogSettings)

    @classmethod
    def load(cls, environ: Mapping[str, str], config_path: str | Path | None = None) -> Settings:
        """Read, validate and complete the settings; raises ``ConfigurationError`` listing every problem."""
        path = config_path or environ.get(PREFIX + "CONFIG") or None
        document = _read_yaml(Path(path)) if path else {}
        problems: list[str] = []
        raw = _collect(cls, environ=environ, document=document, group="", problems=problems)
        if problems:
            raise ConfigurationError("invalid settings: " + "; ".join(problems))
        settings = cls(**raw)
        settings = settings._complete()
        settings._validate()
        return settings

    def masked(self) -> dict[str, Any]:
        """Every setting as plain data, secrets replaced by ``***`` (for the start-up log line)."""
        return _masked(self)

    def secrets(self) -> list[str]:
        """The secret values configured, so the log filter can redact them.

        A password inside a URL is listed both as written (percent-encoded, how it appears in the URL)
        and decoded (how a driver's error message may show it).
        """
        values = [self.secret_key, self.admin_token, self.jenkins.token, self.auth.proxy_token]
        values += url_passwords(self.database_url) + url_passwords(self.jenkins.url)
        return list(dict.fromkeys(v for v in values if v))

    def __repr__(self) -> str:
        return _repr(self)

    def _complete(self) -> Settings:
        data_dir = self.data_dir.expanduser()
        database_url = self.database_url or f"sqlite:///{data_dir / 'bridge.db'}"
        secret_key = self.secret_key or _local_secret_key(data_dir)
        return dataclasses.replace(self, data_dir=data_dir, database_url=database_url, secret_key=secret_key)

    def _validate(self) -> None:
        problems: list[str] = []
        if not _is_fernet_key(self.secret_key):
            problems.append(
                f"{PREFIX}SECRET_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
                "generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            )
        if self.admin_token is not None and len(self.admin_token) < 16:
            problems.append(f"{PREFIX}ADMIN_TOKEN must be at least 16 characters")
        if not self.database_url.startswith(("sqlite:", "postgresql:", "postgresql+")):
            problems.append(f"{PREFIX}DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL")
        if not self.jenkins.url.startswith(("http://", "https://")):
            problems.append(f"{PREFIX}JENKINS_URL must start with http:// or https://")
        if bool(self.jenkins.user) != bool(self.jenkins.token):
            problems.append(f"{PREFIX}JENKINS_USER and {PREFIX}JENKINS_TOKEN must be set together")
        positive = {
            "JENKINS_TIMEOUT": self.jenkins.timeout,
            "RECONCILE_RESYNC_INTERVAL": self.reconcile.resync_interval,
            "RECONCILE_SECRET_REPUSH_INTERVAL": self.reconcile.secret_repush_interval,
            "RECONCILE_POLL_INTERVAL": self.reconcile.poll_interval,
        }
        problems += [f"{PREFIX}{name} must be greater than 0" for name, v in positive.items() if v <= 0]
        if self.jenkins.retries < 0:
            problems.append(f"{PREFIX}JENKINS_RETRIES must be 0 or more")
        problems += _identity_problems(self.jenkins)
        if self.auth.proxy_token is not None and len(self.auth.proxy_token) < 32:
            problems.append(f"{PREFIX}AUTH_PROXY_TOKEN must be at least 32 characters")
        admin_sources = {x.strip() for x in self.auth.admin_sources.split(",") if x.strip()}
        if admin_sources - ADMIN_SOURCES:
            problems.append(
                f"{PREFIX}AUTH_ADMIN_SOURCES may list only {', '.join(sorted(ADMIN_SOURCES))} "
                f"(got {', '.join(sorted(admin_sources - ADMIN_SOURCES))})"
            )
        if not self.auth.platform_admin_group.strip():
            problems.append(f"{PREFIX}AUTH_PLATFORM_ADMIN_GROUP must not be empty")
        if self.auth.token_review_ttl < 0:
            problems.append(f"{PREFIX}AUTH_TOKEN_REVIEW_TTL must be 0 or more")
        if not 0 <= self.api.trusted_proxy_hops <= 8:
            problems.append(f"{PREFIX}API_TRUSTED_PROXY_HOPS must be between 0 and 8")
        if self.api.max_body_bytes < 1024:
            problems.append(f"{PREFIX}API_MAX_BODY_BYTES must be at least 1024")
        if bool(self.api.tls_cert) != bool(self.api.tls_key):
            problems.append(f"{PREFIX}API_TLS_CERT and {PREFIX}API_TLS_KEY must be set together")
        if self.api.tls_client_ca and not self.api.tls_cert:
            problems.append(f"{PREFIX}API_TLS_CLIENT_CA needs {PREFIX}API_TLS_CERT and {PREFIX}API_TLS_KEY")
        for name, path in (
            ("API_TLS_CERT", self.api.tls_cert),
            ("API_TLS_KEY", self.api.tls_key),
            ("API_TLS_CLIENT_CA", self.api.tls_client_ca),
        ):
            if path and not Path(path).is_file():
                problems.append(f"{PREFIX}{name}: no such file {path}")
        problems += cluster_problems(self.clusters)
        if problems:
            raise ConfigurationError("invalid settings: " + "; ".join(problems))


def _identity_problems(j: JenkinsSettings) -> list[str]:
    """The project identity prefix must make valid Jenkins ids that no configured account can match."""
    prefix = j.project_identity_prefix
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", prefix):
        return [f"{PREFIX}JENKINS_PROJECT_IDENTITY_PREFIX must be 1-40 letters, digits, - or _"]
    taken = [n for n in [j.user or "", *j.reserved_users.split(",")] if n.strip()]
    return [
        f"{PREFIX}JENKINS_PROJECT_IDENTITY_PREFIX {prefix!r} matches the configured account {name.strip()!r}"
        for name in taken
        if name.strip().casefold().startswith(prefix.casefold())
    ]


def _read_yaml(path: Path) -> Mapping[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigurationError(f"cannot read {PREFIX}CONFIG file {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigurationError(f"{PREFIX}CONFIG file {path} is not valid YAML: {e}") from e
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigurationError(f"{PREFIX}CONFIG file {path} must hold a mapping at the top level")
    return loaded


def _collect(
    cls: type[Any],
    *,
    environ: Mapping[str, str],
    document: Mapping[str, Any],
    group: str,
    problems: list[str],
) -> dict[str, Any]:
    """Field values of ``cls`` found in env or YAML (absent fields keep their defaults)."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for unknown in sorted(set(document) - known):
        problems.append(f"unknown setting {'.'.join(filter(None, [group, str(unknown)]))!r} in the YAML file")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        hint: Any = hints[f.name]
        dotted = ".".join(filter(None, [group, f.name]))
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            sub = document.get(f.name) or {}
            if not isinstance(sub, dict):
                problems.append(f"setting {dotted!r} must be a mapping in the YAML file")
                continue
            sub_values = _collect(hint, environ=environ, document=sub, group=f.name, problems=problems)
            values[f.name] = typing.cast(Any, hint)(**sub_values)
            continue
        env_name = PREFIX + dotted.replace(".", "_").upper()
        if env_name in environ:
            source, value = env_name, environ[env_name]
        elif f.name in document:
            source, value = f"{dotted} (YAML)", document[f.name]
        else:
            continue
        try:
            values[f.name] = _coerce(value, hint)
        except ValueError as e:
            problems.append(f"{source}: {e}")
    return values


def _coerce(value: Any, hint: Any) -> Any:
    """Turn an env string or YAML scalar into the field's type; ``ValueError`` says what was expected."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or value == "":
            return None
        return _coerce(value, inner[0])
    if origin is Literal:
        allowed = typing.get_args(hint)
        text = str(value).upper() if all(a.isupper() for a in allowed) else str(value)
        if text not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)} (got {value!r})")
        return text
    if hint is bool:
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"must be true or false (got {value!r})")
    if hint in (int, float):
        if isinstance(value, bool):
            raise ValueError(f"must be a number (got {value!r})")
        try:
            return hint(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"must be {'an integer' if hint is int else 'a number'} (got {value!r})"
            ) from None
    if hint is Path:
        return Path(str(value))
    if hint is str:
        if not isinstance(value, str | int | float):
            raise ValueError("must be a string")
        return str(value)
    raise ValueError(f"unsupported setting type {hint!r}")  # pragma: no cover - a programming error


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def _local_secret_key(data_dir: Path) -> str:
    """The key in ``<data_dir>/secret.key``, created (mode 0600) and warned about when absent."""
    from cryptography.fernet import Fernet

    path = data_dir / SECRET_KEY_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key + b"\n")
    except FileExistsError:  # another process created it in between
        return path.read_text(encoding="ascii").strip()
    except OSError as e:
        raise ConfigurationError(f"cannot read or create the secret key file {path}: {e.strerror}") from e
    log.warning(
        "no %sSECRET_KEY configured: generated one into %s; back it up, credential data cannot be "
        "decrypted without it",
        PREFIX,
        path,
    )
    return key.decode("ascii")


def url_passwords(url: str) -> list[str]:
    """The password in ``url``'s userinfo, as written and decoded (empty list when there is none)."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return []
    userinfo, at, _ = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return []
    raw = userinfo.split(":", 1)[1]
    return [v for v in dict.fromkeys([raw, unquote(raw)]) if v]


def mask_url_password(url: str) -> str:
    """``url`` with the password of its userinfo replaced by ``***`` (user, host and path kept).

    Database URLs go through SQLAlchemy's own renderer (``hide_password``); anything it cannot parse,
    and HTTP URLs, are masked by splitting the userinfo off the network location.
    """
    if not url_passwords(url):
        return url
    if not url.startswith(("http://", "https://")):
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(url).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):
            pass
    parts = urlsplit(url)
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return parts._replace(netloc=f"{user}:{MASK}@{host}").geturl()


def _repr(obj: Any) -> str:
    """A dataclass repr built from ``masked()`` data, so no secret or URL password can appear."""
    masked = _masked(obj)
    shown = [
        f"{f.name}={getattr(obj, f.name)!r}"  # a group: its own (masking) repr
        if dataclasses.is_dataclass(getattr(obj, f.name))
        else f"{f.name}={masked[f.name]!r}"
        for f in dataclasses.fields(obj)
        if f.repr or f.metadata.get("secret")
    ]
    return f"{type(obj).__name__}({', '.join(shown)})"


def _masked(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            out[f.name] = _masked(value)
        elif f.metadata.get("secret"):
            out[f.name] = MASK if value else None
        elif f.metadata.get("url_password"):
            out[f.name] = mask_url_password(value)
        else:
            out[f.name] = str(value) if isinstance(value, Path) else value
    return out
