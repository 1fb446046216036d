"""The credential types the sandbox knows: their XStream layout, JSON-form fields and display names.

Secrets are kept in clear in memory (the sandbox has to hand them to ``withCredentials``) and leave
the process only three ways, as in Jenkins: ``<secret-redacted/>`` in a credential's config.xml,
an encrypted ``{...}`` value in a folder's config.xml, or bound into a simulated build.

Posting ``<secret-redacted/>`` back in an update stores an *empty* secret: the credentials plugin's
``updateByXml`` unmarshals with ``Items.XSTREAM`` and ``Secret``'s converter reads the element's
text, which is empty (only ``SECRETS_REDACTED``, used for GET, knows the placeholder).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bridge.sandbox.jenkins.errors import Failure, Oops
from bridge.sandbox.jenkins.model import Credential

USERNAME_PASSWORD = "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl"
STRING = "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl"
FILE = "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl"
SSH_KEY = "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey"
KUBECONFIG = "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials"
SSH_DIRECT = SSH_KEY + "$DirectEntryPrivateKeySource"
KUBE_DIRECT = KUBECONFIG + "$DirectEntryKubeconfigSource"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    secret: bool = False
    container: str | None = None  # element wrapping the field (privateKeySource, kubeconfigSource)
    container_class: str | None = None
    default: str | None = None


@dataclass(frozen=True)
class CredType:
    cls: str
    plugin: str
    type_name: str
    fields: tuple[FieldSpec, ...]


TYPES: dict[str, CredType] = {
    t.cls: t
    for t in (
        CredType(
            USERNAME_PASSWORD,
            "credentials@1415.v831096eb_5534",
            "Username with password",
            (
                FieldSpec("username"),
                FieldSpec("password", secret=True),
                FieldSpec("usernameSecret", default="false"),
            ),
        ),
        CredType(
            STRING, "plain-credentials@195.vb_906e9073dee", "Secret text", (FieldSpec("secret", secret=True),)
        ),
        CredType(
            FILE,
            "plain-credentials@195.vb_906e9073dee",
            "Secret file",
            (FieldSpec("fileName"), FieldSpec("secretBytes", secret=True)),
        ),
        CredType(
            SSH_KEY,
            "ssh-credentials@355.v9b_e5b_cde5003",
            "SSH Username with private key",
            (
                FieldSpec("username"),
                FieldSpec("usernameSecret", default="false"),
                FieldSpec("passphrase", secret=True, default=""),
                FieldSpec(
                    "privateKey", secret=True, container="privateKeySource", container_class=SSH_DIRECT
                ),
            ),
        ),
        CredType(
            KUBECONFIG,
            "kubernetes-cd@2.3.1",
            "Kubernetes configuration (kubeconfig)",
            (FieldSpec("content", secret=True, container="kubeconfigSource", container_class=KUBE_DIRECT),),
        ),
    )
}


class SecretCipher:
    """Stands in for ``hudson.util.Secret`` encryption: ``{...}`` values only this instance can read."""

    def __init__(self, salt: str) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(("secret-key:" + salt).encode()).digest())
        self._fernet = Fernet(key)

    def encrypt(self, plain: str) -> str:
        return "{" + self._fernet.encrypt(plain.encode()).decode() + "}"

    def reveal(self, text: str) -> str:
        """``Secret.fromString``: a value that decrypts is replaced by its plain text, others kept."""
        if len(text) > 2 and text[0] == "{" and text[-1] == "}":
            try:
                return self._fernet.decrypt(text[1:-1].encode()).decode()
            except (InvalidToken, UnicodeDecodeError):
                return text
        return text


def type_of(cls: str) -> CredType:
    found = TYPES.get(cls)
    if found is None:
        raise Oops(f"Unable to read credentials of class {cls}")
    return found


def from_xml(root: ET.Element, cipher: SecretCipher) -> Credential:
    """Unmarshal a credential element (createCredentials body, config.xml update, folder config)."""
    ctype = type_of(root.tag)
    values: dict[str, str] = {}
    for spec in ctype.fields:
        parent = root.find(spec.container) if spec.container else root
        elem = parent.find(spec.name) if parent is not None else None
        if elem is None:
            if spec.default is not None:
                values[spec.name] = spec.default
            continue
        if spec.secret:  # an element holding a child (<secret-redacted/>) reads as empty text
            values[spec.name] = cipher.reveal("" if len(elem) else elem.text or "")
        else:
            values[spec.name] = (elem.text or "").strip()
    cred = Credential(
        cls=ctype.cls,
        id=_text(root, "id") or str(uuid.uuid4()),
        scope=_text(root, "scope") or "GLOBAL",
        description=_text(root, "description"),
        values=values,
    )
    _check_bytes(cred)
    return cred


def to_xml(cred: Credential, *, cipher: SecretCipher | None) -> ET.Element:
    """Marshal a credential; secrets as ``<secret-redacted/>`` (cipher None) or encrypted."""
    ctype = type_of(cred.cls)
    root = ET.Element(cred.cls, {"plugin": ctype.plugin})
    ET.SubElement(root, "scope").text = cred.scope
    ET.SubElement(root, "id").text = cred.id
    ET.SubElement(root, "description").text = cred.description
    for spec in ctype.fields:
        if spec.name not in cred.values:
            continue
        parent = root
        if spec.container:
            parent = ET.SubElement(root, spec.container, {"class": spec.container_class or ""})
        elem = ET.SubElement(parent, spec.name)
        value = cred.values[spec.name]
        if not spec.secret:
            elem.text = value
        elif cipher is None:
            ET.SubElement(elem, "secret-redacted")
        else:
            elem.text = cipher.encrypt(value)
    return root


def from_json(data: Any, cipher: SecretCipher) -> Credential:
    """The ``json={"credentials": {...}}`` form (``Descriptor.bindJSON``)."""
    if not isinstance(data, dict):
        raise Failure("Nothing is submitted")
    cls = str(data.get("$class") or data.get("stapler-class") or "")
    ctype = TYPES.get(cls)
    if ctype is None:
        raise Failure(f"No such credentials type: {cls or '(none)'}")
    values: dict[str, str] = {}
    for spec in ctype.fields:
        source = data.get(spec.container) if spec.container else data
        raw = source.get(spec.name) if isinstance(source, dict) else None
        if raw is None:
            if spec.default is not None:
                values[spec.name] = spec.default
            continue
        text = str(raw).lower() if isinstance(raw, bool) else str(raw)
        values[spec.name] = cipher.reveal(text) if spec.secret else text
    cred = Credential(
        cls=cls,
        id=str(data.get("id") or uuid.uuid4()),
        scope=str(data.get("scope") or "GLOBAL"),
        description=str(data.get("description") or ""),
        values=values,
    )
    _check_bytes(cred)
    return cred


def display_name(cred: Credential) -> str:
    """``CredentialsNameProvider`` of each type."""
    desc = f" ({cred.description})" if cred.description else ""
    v = cred.values
    if cred.cls == USERNAME_PASSWORD:
        return f"{v.get('username', '')}/******{desc}"
    if cred.cls == SSH_KEY:
        return f"{v.get('username', '')}{desc}"
    if cred.cls == FILE:
        return f"{v.get('fileName', '')}{desc}"
    if cred.cls == STRING:
        return cred.description or "Secret text"
    return cred.description or cred.id


def file_bytes(cred: Credential) -> bytes:
    """Content of a FileCredentialsImpl (``secretBytes`` is base64; invalid base64 is empty)."""
    try:
        return base64.b64decode(cred.values.get("secretBytes", ""), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _check_bytes(cred: Credential) -> None:
    if cred.cls == FILE and "secretBytes" in cred.values and not file_bytes(cred):
        cred.values["secretBytes"] = ""


def _text(root: ET.Element, tag: str) -> str:
    elem = root.find(tag)
    return (elem.text or "").strip() if elem is not None else ""
