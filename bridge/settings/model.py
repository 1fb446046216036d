"""``Settings``: every group, read once by ``Settings.load`` and checked as a whole."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bridge.errors import ConfigurationError
from bridge.settings.clusters import ClusterSettings, cluster_problems
from bridge.settings.controllers import ControllerSettings, controller_for, controller_problems
from bridge.settings.groups import (
    ApiSettings,
    AuthSettings,
    Group,
    JenkinsSettings,
    LogSettings,
    MetricsSettings,
    ReconcileSettings,
    UrlWithPassword,
    WebhookSettings,
    is_url_with_password,
)
from bridge.settings.masking import MASK, mask_url_password, url_passwords
from bridge.settings.sources import PREFIX, EnvironmentSource, YamlFileSource, problems, read_yaml

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret.key"
#: Identity sources that ``BRIDGE_AUTH_ADMIN_SOURCES`` may name (``bridge.identity.principal.AuthSource``).
ADMIN_SOURCES = frozenset({"api-token", "proxy", "token-review"})


@dataclass(frozen=True)
class _Inputs:
    environ: Mapping[str, str]
    document: Mapping[str, Any]


#: What the ``Settings.load`` in progress reads (sources are built by pydantic-settings, not by us).
_LOADING: ContextVar[_Inputs | None] = ContextVar("bridge_settings_inputs", default=None)


class Settings(BaseSettings, Group):
    model_config = SettingsConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)

    #: Holds the SQLite file and the generated secret key.
    data_dir: Path = Path(".data")
    #: SQLAlchemy URL; default ``sqlite:///<data_dir>/bridge.db``. PostgreSQL: ``postgresql+psycopg://``.
    database_url: UrlWithPassword = ""
    #: Fernet key encrypting credential data at rest; generated into ``<data_dir>/secret.key`` if unset.
    secret_key: SecretStr = SecretStr("")
    #: Earlier Fernet keys (comma-separated), still accepted for decryption while ``rotate-key``
    #: re-encrypts everything under ``secret_key``; remove once it reports done.
    secret_key_previous: SecretStr | None = None
    #: Bootstrap admin bearer token for ``/api/v1``; without it every API call is refused.
    admin_token: SecretStr | None = None
    jenkins: JenkinsSettings = JenkinsSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    webhooks: WebhookSettings = WebhookSettings()
    api: ApiSettings = ApiSettings()
    auth: AuthSettings = AuthSettings()
    clusters: ClusterSettings = ClusterSettings()
    log: LogSettings = LogSettings()
    metrics: MetricsSettings = MetricsSettings()
    #: Named Jenkins controllers beside ``jenkins`` (``bridge/settings/controllers.py``): URL,
    #: credentials and the clusters each serves; ``BRIDGE_CONTROLLERS`` holds them as JSON.
    controllers_: dict[str, ControllerSettings] = Field(default_factory=dict, alias="controllers")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        inputs = _LOADING.get()
        if inputs is None:  # built directly (tests): keyword arguments and defaults only
            return (init_settings,)
        return (
            init_settings,
            EnvironmentSource(settings_cls, inputs.environ),
            YamlFileSource(settings_cls, inputs.document),
        )

    @classmethod
    def load(cls, environ: Mapping[str, str], config_path: str | Path | None = None) -> Settings:
        """Read, validate and complete the settings; raises ``ConfigurationError`` listing every problem."""
        path = config_path or environ.get(PREFIX + "CONFIG") or None
        document = read_yaml(Path(path)) if path else {}
        binding = _LOADING.set(_Inputs(environ=environ, document=document))
        try:
            settings = cls()
        except ValidationError as e:
            raise ConfigurationError("invalid settings: " + "; ".join(problems(e, environ))) from None
        finally:
            _LOADING.reset(binding)
        settings = settings._complete()
        settings._validate()
        return settings

    def previous_keys(self) -> tuple[str, ...]:
        """``secret_key_previous`` as a list (decryption only)."""
        raw = self.secret_key_previous.get_secret_value() if self.secret_key_previous else ""
        return tuple(k.strip() for k in raw.split(",") if k.strip())

    def controllers(self) -> dict[str, JenkinsSettings]:
        """The Jenkins controllers by name: ``default`` is ``jenkins``; each named one is ``jenkins``
        with its own URL, credentials, timeout, retries and TLS check (everything else is shared)."""
        named = {
            name: self.jenkins.model_copy(
                update={
                    "url": c.url,
                    "user": c.user,
                    "token": c.token,
                    "timeout": c.timeout,
                    "retries": c.retries,
                    "verify_tls": c.verify_tls,
                }
            )
            for name, c in sorted(self.controllers_.items())
        }
        return {"default": self.jenkins, **named}

    def controller_for(self, cluster: str) -> str | None:
        """The controller serving ``cluster`` (``None``: no Jenkins serves it)."""
        return controller_for(cluster, self.controllers_, self.clusters.jenkins)

    def masked(self) -> dict[str, Any]:
        """Every setting as plain data, secrets replaced by ``***`` (for the start-up log line)."""
        return _masked(self)

    def secrets(self) -> list[str]:
        """The secret values configured, so the log filter can redact them.

        A password inside a URL is listed both as written (percent-encoded, how it appears in the URL)
        and decoded (how a driver's error message may show it).
        """
        held = [self.secret_key, self.admin_token, self.jenkins.token, self.auth.proxy_token]
        held += [c.token for c in self.controllers_.values()]
        values = [s.get_secret_value() for s in held if s is not None] + list(self.previous_keys())
        values += url_passwords(self.database_url) + url_passwords(self.jenkins.url)
        for c in self.controllers_.values():
            values += url_passwords(c.url)
        return list(dict.fromkeys(v for v in values if v))

    def _complete(self) -> Settings:
        data_dir = self.data_dir.expanduser()
        database_url = self.database_url or f"sqlite:///{data_dir / 'bridge.db'}"
        secret_key = self.secret_key.get_secret_value() or _local_secret_key(data_dir)
        return self.model_copy(
            update={"data_dir": data_dir, "database_url": database_url, "secret_key": SecretStr(secret_key)}
        )

    def _validate(self) -> None:
        """Rules across fields and values no type can state; every broken one is reported."""
        found: list[str] = []
        if not all(_is_fernet_key(k) for k in self.previous_keys()):
            found.append(f"{PREFIX}SECRET_KEY_PREVIOUS must be Fernet keys, comma-separated")
        if not _is_fernet_key(self.secret_key.get_secret_value()):
            found.append(
                f"{PREFIX}SECRET_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
                "generate one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            )
        if self.admin_token is not None and len(self.admin_token.get_secret_value()) < 16:
            found.append(f"{PREFIX}ADMIN_TOKEN must be at least 16 characters")
        if not self.database_url.startswith(("sqlite:", "postgresql:", "postgresql+")):
            found.append(f"{PREFIX}DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL")
        found += _jenkins_problems(self.jenkins)
        positive = {
            "JENKINS_TIMEOUT": self.jenkins.timeout,
            "RECONCILE_RESYNC_INTERVAL": self.reconcile.resync_interval,
            "RECONCILE_SECRET_REPUSH_INTERVAL": self.reconcile.secret_repush_interval,
            "RECONCILE_POLL_INTERVAL": self.reconcile.poll_interval,
            "RECONCILE_RUN_CACHE_TTL": self.reconcile.run_cache_ttl,
            "RECONCILE_RUN_REFRESH_MIN": self.reconcile.run_refresh_min,
            "RECONCILE_RUN_REFRESH_MAX": self.reconcile.run_refresh_max,
            "RECONCILE_RUN_DISCOVER_INTERVAL": self.reconcile.run_discover_interval,
        }
        found += [f"{PREFIX}{name} must be greater than 0" for name, v in positive.items() if v <= 0]
        found += _auth_problems(self.auth) + _api_problems(self.api) + cluster_problems(self.clusters)
        found += controller_problems(self.controllers_, self.clusters.jenkins)
        r = self.reconcile
        if r.leases and not self.database_url.startswith("postgresql"):
            found.append(f"{PREFIX}RECONCILE_LEASES needs PostgreSQL (SQLite keeps one worker per database)")
        if r.leases and r.lease_ttl < 2 * r.lease_renew:
            found.append(f"{PREFIX}RECONCILE_LEASE_TTL must be at least twice {PREFIX}RECONCILE_LEASE_RENEW")
        if found:
            raise ConfigurationError("invalid settings: " + "; ".join(found))


def _jenkins_problems(j: JenkinsSettings) -> list[str]:
    found = []
    if not j.url.startswith(("http://", "https://")):
        found.append(f"{PREFIX}JENKINS_URL must start with http:// or https://")
    if bool(j.user) != bool(j.token and j.token.get_secret_value()):
        found.append(f"{PREFIX}JENKINS_USER and {PREFIX}JENKINS_TOKEN must be set together")
    if j.retries < 0:
        found.append(f"{PREFIX}JENKINS_RETRIES must be 0 or more")
    return found + _identity_problems(j)


def _identity_problems(j: JenkinsSettings) -> list[str]:
    """The project identity prefix must make valid Jenkins ids that no configured account can match."""
    prefix = j.project_identity_prefix
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", prefix):
        return [f"{PREFIX}JENKINS_PROJECT_IDENTITY_PREFIX must be 1-40 letters, digits, - or _"]
    taken = [n.strip() for n in [j.user or "", *j.reserved_users] if n.strip()]
    return [
        f"{PREFIX}JENKINS_PROJECT_IDENTITY_PREFIX {prefix!r} matches the configured account {name!r}"
        for name in taken
        if name.casefold().startswith(prefix.casefold())
    ]


def _auth_problems(a: AuthSettings) -> list[str]:
    found = []
    if a.proxy_token is not None and len(a.proxy_token.get_secret_value()) < 32:
        found.append(f"{PREFIX}AUTH_PROXY_TOKEN must be at least 32 characters")
    if a.token_review_ttl < 0:
        found.append(f"{PREFIX}AUTH_TOKEN_REVIEW_TTL must be 0 or more")
    unknown = sorted(set(a.admin_sources) - ADMIN_SOURCES)
    if unknown:
        found.append(
            f"{PREFIX}AUTH_ADMIN_SOURCES may list only {', '.join(sorted(ADMIN_SOURCES))} "
            f"(got {', '.join(unknown)})"
        )
    if not a.platform_admin_group.strip():
        found.append(f"{PREFIX}AUTH_PLATFORM_ADMIN_GROUP must not be empty")
    return found


def _api_problems(api: ApiSettings) -> list[str]:
    found = []
    if api.max_body_bytes < 1024:
        found.append(f"{PREFIX}API_MAX_BODY_BYTES must be at least 1024")
    if not 0 <= api.trusted_proxy_hops <= 8:
        found.append(f"{PREFIX}API_TRUSTED_PROXY_HOPS must be between 0 and 8")
    if bool(api.tls_cert) != bool(api.tls_key):
        found.append(f"{PREFIX}API_TLS_CERT and {PREFIX}API_TLS_KEY must be set together")
    if api.tls_client_ca and not api.tls_cert:
        found.append(f"{PREFIX}API_TLS_CLIENT_CA needs {PREFIX}API_TLS_CERT and {PREFIX}API_TLS_KEY")
    for name, path in (
        ("API_TLS_CERT", api.tls_cert),
        ("API_TLS_KEY", api.tls_key),
        ("API_TLS_CLIENT_CA", api.tls_client_ca),
    ):
        if path and not Path(path).is_file():
            found.append(f"{PREFIX}{name}: no such file {path}")
    return found


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


def _masked(model: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            out[name] = _masked(value)
        elif isinstance(value, dict):
            out[info.alias or name] = {k: _masked(v) for k, v in value.items()}
        elif isinstance(value, SecretStr):
            out[name] = MASK if value.get_secret_value() else None
        elif is_url_with_password(info):
            out[name] = mask_url_password(value)
        elif isinstance(value, Path):
            out[name] = str(value)
        elif isinstance(value, tuple):
            out[name] = list(value)
        else:
            out[name] = value
    return out
