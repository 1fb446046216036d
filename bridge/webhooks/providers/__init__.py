"""One reader per provider family, chosen by the endpoint (``/webhooks/<family>``).

``read(family, headers, body)`` returns the ``Delivery``; a body that is not the JSON the headers
announce raises ``BadDelivery`` (a 400). Headers are looked up case-insensitively (``Headers``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bridge.webhooks.events import Delivery
from bridge.webhooks.providers import bitbucket, gitea, github, gitlab
from bridge.webhooks.providers.common import BadDelivery, Headers

Reader = Callable[[Headers, bytes], Delivery]

#: The endpoints: ``gitea`` also reads Forgejo and Gogs; ``bitbucket`` reads Cloud and Data Center.
FAMILIES: Mapping[str, Reader] = {
    "github": github.read,
    "gitlab": gitlab.read,
    "gitea": gitea.read,
    "bitbucket": bitbucket.read,
}


def read(family: str, headers: Mapping[str, str], body: bytes) -> Delivery:
    reader = FAMILIES.get(family)
    if reader is None:
        raise BadDelivery(f"unknown webhook provider {family!r}")
    return reader(Headers(headers), body)


__all__ = ["FAMILIES", "BadDelivery", "Headers", "read"]
