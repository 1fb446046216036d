"""The signed sample deliveries (``samples/``: headers and exact body bytes, secret ``test-secret``),
and re-signing a body for another secret the way each provider signs."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "samples"
SECRET = "test-secret"
HEAD = "2c4c6cb67abab6e6cb46d0e94b6b646c8523ebf6"
FAMILY = {
    "github": "github",
    "gitlab": "gitlab",
    "gitea": "gitea",
    "forgejo": "gitea",
    "gogs": "gitea",
    "bitbucket-cloud": "bitbucket",
    "bitbucket-dc": "bitbucket",
}
NAMES = sorted(p.name[: -len(".json")] for p in HERE.glob("*.json"))


@dataclass
class Sample:
    name: str
    headers: dict[str, str]
    body: bytes

    @property
    def provider(self) -> str:
        return self.name.rsplit("-tag-push", 1)[0].rsplit("-push", 1)[0]

    @property
    def family(self) -> str:
        return FAMILY[self.provider]

    def doc(self) -> Any:
        return json.loads(self.body)

    def with_body(self, doc: Any, secret: str = SECRET) -> Sample:
        """Another body (2-space indented like the samples), signed for ``secret`` as the provider would."""
        body = json.dumps(doc, indent=2).encode()
        return Sample(self.name, sign(self.provider, dict(self.headers), body, secret), body)

    def resigned(self, secret: str) -> Sample:
        return Sample(self.name, sign(self.provider, dict(self.headers), self.body, secret), self.body)

    def with_headers(self, **changes: str | None) -> Sample:
        headers = dict(self.headers)
        for name, value in changes.items():
            key = name.replace("_", "-")
            headers = {k: v for k, v in headers.items() if k.lower() != key.lower()}
            if value is not None:
                headers[key] = value
        return Sample(self.name, headers, self.body)


def load(name: str) -> Sample:
    headers: dict[str, str] = {}
    for line in (HERE / f"{name}.headers").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() and key.strip().lower() != "content-length":
            headers[key.strip()] = value.strip()
    return Sample(name, headers, (HERE / f"{name}.json").read_bytes())


def sign(provider: str, headers: dict[str, str], body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    sha1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    out = dict(headers)
    for key in list(out):
        low = key.lower()
        if low == "x-hub-signature-256":
            out[key] = "sha256=" + digest
        elif low == "x-hub-signature":
            out[key] = ("sha256=" + digest) if provider.startswith("bitbucket") else ("sha1=" + sha1)
        elif low in ("x-gitea-signature", "x-gogs-signature", "x-forgejo-signature"):
            out[key] = digest
        elif low == "x-gitlab-token":
            out[key] = secret
    return out
