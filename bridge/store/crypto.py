"""Encryption of secret material at rest (Fernet: AES-128-CBC + HMAC-SHA256, from ``cryptography``).

Secret material is credential data and password parameter defaults. A token that does not
authenticate under the configured key means the key is wrong (or the row was tampered with): that is
a configuration problem an operator must fix, so it raises ``ConfigurationError`` instead of
returning garbage.
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken

from bridge.errors import ConfigurationError


class SecretBox:
    """Seals and opens string→string mappings with one Fernet key."""

    def __init__(self, key: str) -> None:
        try:
            self._fernet = Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError) as e:
            raise ConfigurationError("the secret key is not a valid Fernet key") from e

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
