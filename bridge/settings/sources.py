"""Where settings come from, in precedence order: ``BRIDGE_*`` environment variables, then the YAML file
(``BRIDGE_CONFIG``), then the defaults; and how a validation failure is told to the operator.

Both sources are pydantic-settings sources over what ``Settings.load`` was given (an environment
mapping and a file path), never over the process environment behind the caller's back.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bridge.errors import ConfigurationError

PREFIX = "BRIDGE_"


def env_name(*path: str) -> str:
    """``("reconcile", "poll_interval")`` → ``BRIDGE_RECONCILE_POLL_INTERVAL``."""
    return PREFIX + "_".join(path).upper()


def group_model(info: FieldInfo) -> type[BaseModel] | None:
    annotation = info.annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def env_names(settings_cls: type[BaseModel]) -> list[str]:
    """Every setting's environment name (what the README's configuration table lists)."""
    names: list[str] = []
    for name, info in settings_cls.model_fields.items():
        name = info.alias or name
        group = group_model(info)
        names += [env_name(name, sub) for sub in group.model_fields] if group else [env_name(name)]
    return names


class EnvironmentSource(PydanticBaseSettingsSource):
    """``BRIDGE_<GROUP>_<FIELD>`` (or ``BRIDGE_<FIELD>`` at the top) from the given mapping, as text."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.environ = environ

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.environ.get(env_name(field_name)), field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, info in self.settings_cls.model_fields.items():
            name = info.alias or name
            group = group_model(info)
            if group is None:
                if env_name(name) in self.environ:
                    raw = self.environ[env_name(name)]
                    # a mapping (``BRIDGE_CONTROLLERS``) is JSON, as pydantic-settings reads complex fields
                    values[name] = self._json(name, info, raw) if self.field_is_complex(info) else raw
                continue
            found = {
                sub: self.environ[env_name(name, sub)]
                for sub in group.model_fields
                if env_name(name, sub) in self.environ
            }
            if found:
                values[name] = found
        return values

    def _json(self, name: str, info: FieldInfo, raw: str) -> Any:
        try:
            return self.decode_complex_value(name, info, raw)
        except ValueError as e:
            raise ConfigurationError(f"{env_name(name)} must be a JSON object: {e}") from None


class YamlFileSource(PydanticBaseSettingsSource):
    """The YAML document, groups nested; unknown keys are left in for validation to refuse."""

    def __init__(self, settings_cls: type[BaseSettings], document: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self.document = document

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.document.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.document)


def read_yaml(path: Path) -> Mapping[str, Any]:
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


#: pydantic error type -> what the operator must write instead.
_EXPECTED = {
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
}
#: Errors whose input is safe to echo (never a secret: those are strings, and strings pass these checks).
_ECHO = {"int_parsing", "int_from_float", "float_parsing", "bool_parsing", "literal_error"}


def problems(e: ValidationError, environ: Mapping[str, str]) -> list[str]:
    """One line per problem, naming the environment variable or YAML key that holds the bad value."""
    out: list[str] = []
    for err in e.errors(include_url=False):
        full = [str(p) for p in err["loc"] if not isinstance(p, int)]
        path = full[:2]
        dotted = ".".join(path)
        kind = err["type"]
        if len(full) > 2 and env_name(full[0]) in environ:  # inside a JSON mapping (BRIDGE_CONTROLLERS)
            out.append(f"{env_name(full[0])}: {'.'.join(full[1:])}: {_EXPECTED.get(kind, str(err['msg']))}")
            continue
        if kind == "extra_forbidden":
            out.append(f"unknown setting {dotted!r} in the YAML file")
            continue
        if kind in ("model_type", "model_attributes_type", "dict_type"):
            out.append(f"setting {dotted!r} must be a mapping in the YAML file")
            continue
        source = env_name(*path) if env_name(*path) in environ else f"{dotted} (YAML)"
        if kind == "literal_error":
            choices = str(err.get("ctx", {}).get("expected", "")).replace("'", "").replace(" or ", ", ")
            what = f"must be one of {choices}"
        else:
            what = _EXPECTED.get(kind, str(err["msg"]))
        if kind in _ECHO:
            what += f" (got {err['input']!r})"
        out.append(f"{source}: {what}")
    return out
