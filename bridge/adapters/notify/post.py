"""One signed notification POST (``services.approval_notify.Sender``) with ``requests``.

No redirects are followed (a receiver that moved must be reconfigured, and a redirect must not carry
the body elsewhere); the timeout bounds the worker's wait for a slow receiver.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

TIMEOUT = 10.0


def post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    response = requests.post(url, data=body, headers=dict(headers), timeout=TIMEOUT, allow_redirects=False)
    response.close()
    return response.status_code
