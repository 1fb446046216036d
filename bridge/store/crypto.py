"""Encryption of secret material at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

One key seals; earlier keys (``BRIDGE_SECRET_KEY_PREVIOUS``) still open what they sealed
(``MultiFernet``), so a key can be rotated while the bridge runs: ``rotate`` re-seals one token under
the current key (``bridge.store.rotation`` does it for every sealed value).

Secret material is credential data and password parameter defaults. A token that does not
authenticate under the configured key means the key is wrong (or the row was tampered with): that is
a configuration problem an operator must fix, so it raises ``ConfigurationError`` instead of
returning garbage.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bridge.errors import ConfigurationError


class SecretBox:
    """Seals string→string mappings with the current Fernet key; opens them with it or a previous one."""

    def __init__(self, key: str, previous: Sequence[str] = ()) -> None:
        try:
            self._current = Fernet(key.encode("ascii"))
            self._fernet = MultiFernet([self._current, *(Fernet(k.encode("ascii")) for k in previous)])
        except (ValueError, UnicodeEncodeError) as e:
            raise ConfigurationError("the secret key is not a valid Fernet key") from e

    def is_current(self, token: bytes) -> bool:
        """Whether ``token`` is sealed under the current key."""
        try:
            self._current.decrypt(bytes(token))
        except InvalidToken:
            return False
        return True

    def rotate(self, token: bytes) -> bytes:
        """``token`` sealed again under the current key (opened with whichever key sealed it)."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise ConfigurationError(
                "stored secret data cannot be decrypted with BRIDGE_SECRET_KEY or BRIDGE_SECRET_KEY_PREVIOUS"
            ) from None

    def seal(self, data: dict[str, str]) -> bytes:
        return self._fernet.encrypt(json.dumps(data, sort_keys=True).encode("utf-8"))

    def open(self, token: bytes) -> dict[str, str]:
        loaded = json.loads(self._decrypt(bytes(token)))
        return {str(k): str(v) for k, v in loaded.items()}

    def seal_text(self, value: str) -> str:
        """One secret string as a Fernet token (ASCII), for secrets kept inside JSON documents."""
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open_text(self, token: str) -> str:
        return self._decrypt(token.encode("ascii")).decode("utf-8")

    def _decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise ConfigurationError(
                "stored secret data cannot be decrypted with the configured BRIDGE_SECRET_KEY; "
                "the key differs from the one the data was written with"
            ) from None
