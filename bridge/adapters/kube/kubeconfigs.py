"""Kubeconfigs of inventory clusters: normalised, self-contained, and safe to use.

Every source's kubeconfig becomes one canonical document with a single cluster, user and context, all
named after the cluster, so the same credentials always give the same text (and digest):

* KubeSphere ``Cluster``: ``spec.connection.kubeconfig`` (base64 of YAML), its current context;
* Argo CD cluster Secret: ``server`` + ``config`` (bearer token, basic auth or TLS client certificate;
  ``tlsClientConfig`` ``caData``/``certData``/``keyData`` are already base64 of PEM, exactly a
  kubeconfig's ``*-data`` fields);
* static files from settings: the named (or current) context, with referenced files inlined.

A kubeconfig that came from a cluster (not from the operator's own files) may not reference local
files, and none may use ``exec`` or ``auth-provider`` credentials: such a kubeconfig would make the
bridge read its own files or run commands when it probes the cluster, and it could not work inside a
Jenkins folder anyway. ``UnusableKubeconfig`` says why; its message never holds credential values.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

#: Argo CD's name for the cluster Argo CD itself runs in (needs the pod's own service account).
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"

_FILE_FIELDS = {
    "certificate-authority": "certificate-authority-data",
    "client-certificate": "client-certificate-data",
    "client-key": "client-key-data",
}
_CLUSTER_KEYS = (
    "server",
    "certificate-authority-data",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "proxy-url",
    "disable-compression",
)
_USER_KEYS = ("client-certificate-data", "client-key-data", "token", "username", "password")


class UnusableKubeconfig(ValueError):
    """The kubeconfig cannot be used; the message says why (without any credential)."""


def canonical(name: str, cluster: Mapping[str, Any], user: Mapping[str, Any]) -> str:
    """The one-context kubeconfig the inventory stores (deterministic YAML)."""
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {k: cluster[k] for k in _CLUSTER_KEYS if k in cluster}}],
        "users": [{"name": name, "user": {k: user[k] for k in _USER_KEYS if k in user}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    return yaml.safe_dump(document, sort_keys=True)


def load(text: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        raise UnusableKubeconfig("the kubeconfig is not valid YAML") from None
    if not isinstance(document, dict):
        raise UnusableKubeconfig("the kubeconfig is not a YAML mapping")
    return document


def normalise(name: str, text: str, *, context: str | None = None, files_from: Path | None = None) -> str:
    """``text`` reduced to ``context`` (default: its current context) as a canonical kubeconfig.

    ``files_from``: the folder relative file references are resolved in (operator files only); without
    it a file reference is refused.
    """
    document = load(text)
    wanted = context or document.get("current-context")
    contexts = _named(document, "contexts")
    if not wanted or wanted not in contexts:
        raise UnusableKubeconfig(
            f"the kubeconfig has no context {wanted!r}" if wanted else "no current context"
        )
    ctx = contexts[wanted].get("context") or {}
    clusters, users = _named(document, "clusters"), _named(document, "users")
    cluster = dict((clusters.get(str(ctx.get("cluster"))) or {}).get("cluster") or {})
    user = dict((users.get(str(ctx.get("user"))) or {}).get("user") or {})
    if not cluster.get("server"):
        raise UnusableKubeconfig(f"context {wanted!r} names no cluster with a server")
    if "exec" in user or "auth-provider" in user:
        raise UnusableKubeconfig(
            "exec and auth-provider credentials are not supported (use a token or certificate)"
        )
    for holder in (cluster, user):
        _inline(holder, files_from)
    if "tokenFile" in user:
        user["token"] = _read(user.pop("tokenFile"), files_from).decode("utf-8").strip()
    return canonical(name, cluster, user)


def from_base64(name: str, encoded: str) -> str:
    """A KubeSphere ``spec.connection.kubeconfig``."""
    try:
        text = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise UnusableKubeconfig("spec.connection.kubeconfig is not base64 of a UTF-8 kubeconfig") from None
    return normalise(name, text)


def from_argocd(name: str, server: str, config: Mapping[str, Any]) -> str:
    """An Argo CD cluster Secret's ``server`` and ``config`` (``ClusterConfig``) as a kubeconfig."""
    if "awsAuthConfig" in config or "execProviderConfig" in config:
        raise UnusableKubeconfig("Argo CD awsAuthConfig/execProviderConfig credentials are not supported")
    tls = config.get("tlsClientConfig") or {}
    if not isinstance(tls, Mapping):
        raise UnusableKubeconfig("tlsClientConfig must be an object")
    user: dict[str, Any] = {}
    if config.get("bearerToken"):
        user["token"] = str(config["bearerToken"])
    elif config.get("username"):
        user["username"], user["password"] = str(config["username"]), str(config.get("password") or "")
    if tls.get("certData") and tls.get("keyData"):
        user["client-certificate-data"] = str(tls["certData"])
        user["client-key-data"] = str(tls["keyData"])
    if server.rstrip("/") == IN_CLUSTER_SERVER and not user:
        raise UnusableKubeconfig(
            "the in-cluster entry has no credentials (it relies on Argo CD's own service account)"
        )
    if not user:
        raise UnusableKubeconfig("config holds no bearerToken, username/password or client certificate")
    cluster: dict[str, Any] = {"server": server.rstrip("/")}
    if tls.get("caData"):
        cluster["certificate-authority-data"] = str(tls["caData"])
    if tls.get("insecure"):
        cluster["insecure-skip-tls-verify"] = True
    if tls.get("serverName"):
        cluster["tls-server-name"] = str(tls["serverName"])
    if config.get("proxyUrl"):
        cluster["proxy-url"] = str(config["proxyUrl"])
    if config.get("disableCompression"):
        cluster["disable-compression"] = True
    return canonical(name, cluster, user)


def argocd_config(raw: str) -> Mapping[str, Any]:
    try:
        config = json.loads(raw)
    except ValueError:
        raise UnusableKubeconfig("the Secret's config is not JSON") from None
    if not isinstance(config, dict):
        raise UnusableKubeconfig("the Secret's config is not a JSON object")
    return config


def server_of(text: str) -> str:
    document = load(text)
    clusters = document.get("clusters") or []
    return str(((clusters[0] or {}).get("cluster") or {}).get("server", "")) if clusters else ""


def _named(document: Mapping[str, Any], key: str) -> dict[str, dict[str, Any]]:
    entries = document.get(key) or []
    if not isinstance(entries, list):
        raise UnusableKubeconfig(f"{key} must be a list")
    return {str(e.get("name")): e for e in entries if isinstance(e, dict)}


def _inline(holder: dict[str, Any], files_from: Path | None) -> None:
    for file_key, data_key in _FILE_FIELDS.items():
        if file_key in holder:
            content = _read(holder.pop(file_key), files_from)
            holder.setdefault(data_key, base64.b64encode(content).decode("ascii"))


def _read(reference: object, files_from: Path | None) -> bytes:
    if files_from is None:
        raise UnusableKubeconfig("a kubeconfig from a cluster source may not reference local files")
    path = Path(str(reference))
    path = path if path.is_absolute() else files_from / path
    try:
        return path.read_bytes()
    except OSError as e:
        raise UnusableKubeconfig(f"cannot read {path}: {e.strerror}") from None
