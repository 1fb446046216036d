"""One typed settings object, read from ``BRIDGE_*`` environment variables and an optional YAML file.

Precedence is environment > YAML > default. Each concern is a frozen pydantic model
(``bridge.settings.groups``); ``Settings`` (``bridge.settings.model``) is a pydantic-settings model over
them, whose sources (``bridge.settings.sources``) are the environment mapping and the YAML file
(``BRIDGE_CONFIG``, groups nested: ``{jenkins: {url: ...}, data_dir: ...}``).

``Settings.load`` is called once, by an entry point; everything below receives settings explicitly.
It validates every field and raises one ``ConfigurationError`` listing every problem. Secrets are
``SecretStr`` (``.get_secret_value()`` where the value is needed), never in ``repr`` and masked by
``masked()``; so is the password inside a URL setting (``postgresql+psycopg://u:PASSWORD@db/x``,
``https://user:PASSWORD@jenkins/``), which ``secrets()`` also hands to the log redaction.

Adding a setting: a typed field with a default and a ``#:`` comment in its group in ``groups.py``
(a new group: a ``Group`` subclass, and a field of that type on ``Settings``), a row in the README's
configuration table, and, for a rule across fields, a line in ``Settings._validate``.
"""

from bridge.settings.groups import (
    ApiSettings,
    AttributionMode,
    AuthSettings,
    JenkinsSettings,
    KubeconfigMode,
    LogFormat,
    LogLevel,
    LogSettings,
    MetricsSettings,
    ReconcileSettings,
    WebhookSettings,
    reveal,
)
from bridge.settings.masking import MASK, mask_url_password, url_passwords
from bridge.settings.model import SECRET_KEY_FILE, Settings
from bridge.settings.sources import PREFIX, env_names

__all__ = [
    "MASK",
    "PREFIX",
    "SECRET_KEY_FILE",
    "ApiSettings",
    "AttributionMode",
    "AuthSettings",
    "JenkinsSettings",
    "KubeconfigMode",
    "LogFormat",
    "LogLevel",
    "LogSettings",
    "MetricsSettings",
    "ReconcileSettings",
    "Settings",
    "WebhookSettings",
    "env_names",
    "mask_url_password",
    "reveal",
    "url_passwords",
]
