"""Credentials of a project. Secret values are write-only: an update that omits a data key keeps the
stored value, so clients never need to read secrets back to change a description.

Reads return ``CredentialInfo`` (metadata, never decrypted); only ``update`` (to merge) and
``current`` (for ``apply``'s comparison) decrypt."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bridge.domain.model import CREDENTIAL_KEYS, Credential, CredentialType, SecretData
from bridge.errors import Conflict, NotFound
from bridge.reconcile.ports import Kind, Ref
from bridge.services.common import check_version, project_must_exist, removed, touched
from bridge.services.validation import Problems, check_label, check_text
from bridge.store import Store, Stored
from bridge.store.credentials import CredentialInfo

MAX_VALUE = 256 * 1024
OPTIONAL_MAY_BE_EMPTY = frozenset({"passphrase"})
#: Values travel to Jenkins as XML 1.0 element text, which cannot hold most C0 controls or U+FFFE/FFFF,
#: and whose parser turns ``\r\n`` and ``\r`` into ``\n``: such a value would reach Jenkins changed,
#: silently, so it is refused instead. Lone surrogates cannot even be encoded as UTF-8.
NOT_CARRIED_IN_XML = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: Sent base64-encoded (``SecretBytes``), so every character survives exactly.
BASE64_CARRIED = frozenset({(CredentialType.SECRET_FILE, "content")})


def credential_key(project: str, id: str) -> Ref:
    return Ref(Kind.CREDENTIAL, project, id)


def validate_credential(c: Credential) -> None:
    problems = Problems()
    check_label(problems, "id", c.id)
    check_text(problems, "description", c.description, limit=1024)
    required, optional = CREDENTIAL_KEYS[c.type]
    for key in sorted(required - set(c.data)):
        problems.add(f"data.{key}", f"is required for a {c.type.value} credential")
    for key in sorted(set(c.data) - required - optional):
        problems.add(f"data.{key}", f"is not a field of a {c.type.value} credential")
    for key, value in c.data.items():
        if not isinstance(value, str):
            problems.add(f"data.{key}", "must be a string")
        elif not value and key not in OPTIONAL_MAY_BE_EMPTY:
            problems.add(f"data.{key}", "must not be empty")
        elif len(value) > MAX_VALUE:
            problems.add(f"data.{key}", f"must be at most {MAX_VALUE} characters")
        else:
            _check_transport(problems, c.type, key, value)
    problems.raise_if_any("credential")


def _check_transport(problems: Problems, type: CredentialType, key: str, value: str) -> None:
    """Refuse characters that could not reach Jenkins exactly; the message names the position, never
    the value."""
    bad = LONE_SURROGATE.search(value)
    if bad is not None:
        problems.add(f"data.{key}", f"is not valid Unicode text (lone surrogate at position {bad.start()})")
        return
    if (type, key) in BASE64_CARRIED:
        return
    bad = NOT_CARRIED_IN_XML.search(value)
    if bad is not None:
        what = "a carriage return" if bad.group() == "\r" else f"control character U+{ord(bad.group()):04X}"
        problems.add(
            f"data.{key}",
            f"contains {what} at position {bad.start()}, which Jenkins cannot store unchanged "
            "(use \\n line ends)",
        )


class CredentialService:
    def __init__(self, store: Store) -> None:
        self.store = store

    def list(
        self, project: str, *, after: str | None = None, limit: int | None = None
    ) -> list[Stored[CredentialInfo]]:
        with self.store.read() as tx:
            project_must_exist(tx, project)
            return tx.credentials.infos(project, after=after, limit=limit)

    def get(self, project: str, id: str) -> Stored[CredentialInfo]:
        with self.store.read() as tx:
            project_must_exist(tx, project)
            found = tx.credentials.info(project, id)
        if found is None:
            raise NotFound(f"credential {id!r} does not exist in project {project!r}")
        return found

    def current(self, project: str, id: str) -> Credential:
        """The credential with its values (decrypted): for callers that must compare values."""
        with self.store.read() as tx:
            project_must_exist(tx, project)
            found = tx.credentials.get(project, id)
        if found is None:
            raise NotFound(f"credential {id!r} does not exist in project {project!r}")
        return found.obj

    def create(self, c: Credential) -> Stored[CredentialInfo]:
        validate_credential(c)
        with self.store.write() as tx:
            project_must_exist(tx, c.project)
            if c.id in tx.credentials.ids(c.project):
                raise Conflict(f"credential {c.id!r} already exists in project {c.project!r}")
            tx.credentials.insert(c)
            touched(tx, credential_key(c.project, c.id))
            created = tx.credentials.info(c.project, c.id)
        assert created is not None
        return created

    def update(
        self,
        project: str,
        id: str,
        *,
        type: CredentialType | None = None,
        description: str | None = None,
        data: Mapping[str, str] | None = None,
        expected_version: int | None = None,
    ) -> Stored[CredentialInfo]:
        """Merge ``data`` over the stored values; changing ``type`` starts from empty data instead."""
        with self.store.write() as tx:
            project_must_exist(tx, project)
            current = tx.credentials.get(project, id)
            if current is None:
                raise NotFound(f"credential {id!r} does not exist in project {project!r}")
            check_version(current, expected_version)
            old = current.obj
            new_type = type or old.type
            base = dict(old.data) if new_type == old.type else {}
            merged = SecretData({**base, **(data or {})})
            c = Credential(
                project=project,
                id=id,
                type=new_type,
                data=merged,
                description=old.description if description is None else description,
            )
            validate_credential(c)
            if c != old:
                tx.credentials.update(c)
                touched(tx, credential_key(project, id))
            updated = tx.credentials.info(project, id)
        assert updated is not None
        return updated

    def delete(self, project: str, id: str, *, expected_version: int | None = None) -> None:
        with self.store.write() as tx:
            project_must_exist(tx, project)
            found = tx.credentials.info(project, id)
            if found is None:
                raise NotFound(f"credential {id!r} does not exist in project {project!r}")
            check_version(found, expected_version)
            tx.credentials.delete(project, id)
            removed(tx, credential_key(project, id))
