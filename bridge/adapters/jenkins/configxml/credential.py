"""Credential XML for a folder credential store, one builder per credential type.

Class and field names come from credentials, plain-credentials, ssh-credentials and kubernetes-cd.
Secrets are sent in clear (Jenkins encrypts them on receipt, and redacts them on every read); the
rendered document therefore never reaches a log or a ``repr``.

A kubeconfig is stored according to ``jenkins.kubeconfig_credential_mode``:

* ``file`` (default): plain-credentials ``FileCredentialsImpl`` with file name ``kubeconfig``;
  pipelines use ``withKubeConfig`` (kubernetes-cli) or ``file(credentialsId:, variable: 'KUBECONFIG')``;
* ``kubeconfig-plugin``: kubernetes-cd ``KubeconfigCredentials`` (direct entry), for Jenkinses that
  still have that suspended plugin and Jenkinsfiles using ``kubeconfigFile``/``kubeconfigContent``;
* ``secret-text``: ``StringCredentialsImpl`` holding the YAML, as ks-devops' ``saveKubeConfigAs``.
"""

from __future__ import annotations

import base64
import enum
import xml.etree.ElementTree as ET

from bridge.adapters.jenkins.configxml.rendered import Rendered, render
from bridge.adapters.jenkins.configxml.xmltext import sub
from bridge.domain.model import Credential, CredentialType

USERNAME_PASSWORD = "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl"
STRING = "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl"
FILE = "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl"
SSH_KEY = "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey"
SSH_DIRECT = SSH_KEY + "$DirectEntryPrivateKeySource"
KUBECONFIG = "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials"
KUBECONFIG_DIRECT = KUBECONFIG + "$DirectEntryKubeconfigSource"


class KubeconfigMode(enum.StrEnum):
    FILE = "file"
    KUBECONFIG_PLUGIN = "kubeconfig-plugin"
    SECRET_TEXT = "secret-text"


def credential_class(credential: Credential, mode: KubeconfigMode = KubeconfigMode.FILE) -> str:
    """The Jenkins class a credential becomes."""
    return _root(credential.type, mode)


def _root(kind: CredentialType, mode: KubeconfigMode) -> str:
    if kind is CredentialType.KUBECONFIG:
        return {KubeconfigMode.FILE: FILE, KubeconfigMode.KUBECONFIG_PLUGIN: KUBECONFIG}.get(mode, STRING)
    return {
        CredentialType.BASIC_AUTH: USERNAME_PASSWORD,
        CredentialType.SECRET_TEXT: STRING,
        CredentialType.SSH_AUTH: SSH_KEY,
        CredentialType.SECRET_FILE: FILE,
    }[kind]


def render_credential(
    credential: Credential, *, key: bytes, mode: KubeconfigMode = KubeconfigMode.FILE
) -> Rendered:
    """The XML body for createCredentials or a credential's config.xml."""
    return render(
        lambda d: build_credential(credential, description=d, mode=mode),
        description=credential.description,
        key=key,
    )


def build_credential(credential: Credential, *, description: str, mode: KubeconfigMode) -> ET.Element:
    data = credential.data
    root = ET.Element(_root(credential.type, mode))
    sub(root, "scope", "GLOBAL")
    sub(root, "id", credential.id)
    sub(root, "description", description)
    kind = credential.type
    if kind is CredentialType.BASIC_AUTH:
        sub(root, "username", data.get("username", ""))
        sub(root, "password", data.get("password", ""))
        sub(root, "usernameSecret", "false")
    elif kind is CredentialType.SECRET_TEXT:
        sub(root, "secret", data.get("secret", ""))
    elif kind is CredentialType.SSH_AUTH:
        sub(root, "username", data.get("username", ""))
        sub(root, "usernameSecret", "false")
        sub(root, "passphrase", data.get("passphrase", ""))
        source = sub(root, "privateKeySource", **{"class": SSH_DIRECT})
        sub(source, "privateKey", data.get("private_key", ""))
    elif kind is CredentialType.SECRET_FILE:
        _file(root, data.get("filename", "secret"), data.get("content", ""))
    elif mode is KubeconfigMode.FILE:
        _file(root, "kubeconfig", data.get("content", ""))
    elif mode is KubeconfigMode.KUBECONFIG_PLUGIN:
        sub(sub(root, "kubeconfigSource", **{"class": KUBECONFIG_DIRECT}), "content", data.get("content", ""))
    else:
        sub(root, "secret", data.get("content", ""))
    return root


def _file(root: ET.Element, filename: str, content: str) -> None:
    sub(root, "fileName", filename)
    # SecretBytes reads plain base64 (anything not wrapped in {...}); bytes survive exactly.
    sub(root, "secretBytes", base64.b64encode(content.encode("utf-8")).decode("ascii"))
