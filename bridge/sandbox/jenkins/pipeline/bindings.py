"""``withCredentials`` bindings, resolved through the host's credential resolver.

Messages are credentials-binding's: a missing id is ``Could not find credentials entry with ID 'x'`` and a
wrong type is ``Credentials 'x' is of type 'A' where 'B' was expected``. Every bound value is returned as
a secret so the console masks it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from bridge.sandbox.jenkins.pipeline.context import CREDENTIAL_TYPE_NAMES, CredentialResolver, CredentialValue
from bridge.sandbox.jenkins.pipeline.errors import StepFailure
from bridge.sandbox.jenkins.pipeline.interpreter import Described, to_text

# binding symbol -> credential kind it accepts
BINDING_KINDS = {
    "usernamePassword": "usernamePassword",
    "string": "string",
    "file": "file",
    "sshUserPrivateKey": "sshUserPrivateKey",
    "kubeconfigFile": "kubeconfig",
    "kubeconfigContent": "kubeconfig",
}


@dataclass(frozen=True)
class Bound:
    variables: dict[str, str]
    secrets: tuple[str, ...]
    files: dict[str, str] = field(default_factory=dict)  # secret files written for the block (path: text)


def credential_not_found(credentials_id: str) -> StepFailure:
    return StepFailure(
        f"Could not find credentials entry with ID '{credentials_id}'",
        java_type="org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException",
        abort_like=True,
    )


def resolve(resolver: CredentialResolver, credentials_id: str, kind: str) -> CredentialValue:
    found = resolver(credentials_id)
    if found is None:
        raise credential_not_found(credentials_id)
    if found.kind != kind:
        raise StepFailure(
            f"Credentials '{credentials_id}' is of type '{CREDENTIAL_TYPE_NAMES.get(found.kind, found.kind)}'"
            " "
            f"where '{CREDENTIAL_TYPE_NAMES[kind]}' was expected",
            java_type="org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException",
            abort_like=True,
        )
    return found


def bind(binding: object, *, resolver: CredentialResolver, workspace: str, run_key: str) -> Bound:
    """Variables one binding defines, and which values to mask."""
    if not isinstance(binding, Described) or binding.symbol not in BINDING_KINDS:
        raise StepFailure(
            f"Unsupported binding {to_text(getattr(binding, 'symbol', binding))}",
            java_type="java.lang.IllegalArgumentException",
        )
    named = {k: to_text(v) for k, v in binding.named.items()}
    credentials_id = named.get("credentialsId", "")
    cred = resolve(resolver, credentials_id, BINDING_KINDS[binding.symbol])
    secret_dir = f"{workspace}@tmp/secretFiles/{uuid.uuid5(uuid.NAMESPACE_URL, run_key + credentials_id)}"
    variables: dict[str, str] = {}
    files: dict[str, str] = {}
    if binding.symbol == "usernamePassword":
        variables[named.get("usernameVariable", "USERNAME")] = cred.username
        variables[named.get("passwordVariable", "PASSWORD")] = cred.secret
    elif binding.symbol in ("string", "kubeconfigContent"):
        variables[named.get("variable", "SECRET")] = cred.secret
    elif binding.symbol in ("file", "kubeconfigFile"):
        name = cred.file_name or "kubeconfig"
        path = f"{secret_dir}/{name}"
        variables[named.get("variable", "FILE")] = path
        text = cred.content.decode("utf-8", "replace") if binding.symbol == "file" else cred.secret
        files[path] = text
    else:  # sshUserPrivateKey
        variables[named.get("keyFileVariable", "KEY_FILE")] = f"{secret_dir}/private_key"
        if "usernameVariable" in named:
            variables[named["usernameVariable"]] = cred.username
        if "passphraseVariable" in named:
            variables[named["passphraseVariable"]] = cred.passphrase
    secrets = tuple(v for v in variables.values() if v)
    # The secret material itself, even where only a file path is bound, is never to be printed.
    material = (cred.secret, cred.passphrase, cred.content.decode("utf-8", "replace") if cred.content else "")
    return Bound(variables, secrets + tuple(m for m in material if m), files)
