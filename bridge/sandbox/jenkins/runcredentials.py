"""Credentials as a running build sees them (``CredentialsProvider.findCredentialById(id, type, run)``).

The lookup runs as the build's identity first: the folder and system stores return nothing to a
non-SYSTEM identity; a second lookup as SYSTEM happens only if the identity has Credentials/UseItem on
the job, a permission disabled by default and implied by Job/Configure (matrix-auth follows the
implication). A SYSTEM build sees the folder chain and the system store's GLOBAL credentials.
"""

from __future__ import annotations

from bridge.sandbox.jenkins import acl, credtypes
from bridge.sandbox.jenkins.credentials import resolve_credential
from bridge.sandbox.jenkins.model import Credential, Job, SandboxState
from bridge.sandbox.jenkins.pipeline import CredentialValue

USE_ITEM = "com.cloudbees.plugins.credentials.CredentialsProvider.UseItem"
KINDS = {
    credtypes.USERNAME_PASSWORD: "usernamePassword",
    credtypes.STRING: "string",
    credtypes.FILE: "file",
    credtypes.SSH_KEY: "sshUserPrivateKey",
    credtypes.KUBECONFIG: "kubeconfig",
}


def find_for_run(
    state: SandboxState, job: Job, who: acl.Identity, credentials_id: str
) -> CredentialValue | None:
    """Call with the instance lock held."""
    if not acl.has_permission(state, who, job, USE_ITEM):
        return None
    found = resolve_credential(job, credentials_id)
    return credential_value(found) if found is not None else None


def credential_value(cred: Credential) -> CredentialValue | None:
    kind = KINDS.get(cred.cls)
    if kind is None:
        return None
    v = cred.values
    secret = {
        "usernamePassword": "password",
        "string": "secret",
        "sshUserPrivateKey": "privateKey",
        "kubeconfig": "content",
    }.get(kind, "")
    return CredentialValue(
        id=cred.id,
        kind=kind,
        username=v.get("username", ""),
        secret=v.get(secret, ""),
        passphrase=v.get("passphrase", ""),
        file_name=v.get("fileName", ""),
        content=credtypes.file_bytes(cred) if kind == "file" else b"",
    )
