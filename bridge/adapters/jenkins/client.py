"""JenkinsAdapter: the ``JenkinsPort`` (provisioning) over one controller's ``JenkinsConnection``.

Every write is a single request (the reconciler already observed, so nothing checks first); reads and
idempotent writes are retried by the connection. The adapter owns no session, crumb or counter of its
own: those belong to the connection, which the controller's other ports share.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from bridge.adapters.jenkins import paths
from bridge.adapters.jenkins.connection import JenkinsConnection
from bridge.adapters.jenkins.port import ObservedFolder, ObservedItem
from bridge.errors import NotFound, UpstreamError

FOLDER_TREE = "description,jobs[name,description]"
CREDENTIALS_TREE = "credentials[id,description,typeName]"


class JenkinsAdapter:
    """Provisioning for the controller behind ``connection``."""

    def __init__(self, connection: JenkinsConnection) -> None:
        self.connection = connection
        self.counter = connection.counter
        self.user = connection.user  # who Jenkins will record for this adapter's requests

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        user: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        verify_tls: bool = True,
    ) -> JenkinsAdapter:
        """An adapter over a new connection of its own (scripts and tests; the bridge shares one)."""
        return cls(
            JenkinsConnection(
                url,
                user=user,
                token=token,
                timeout=timeout,
                retries=retries,
                backoff=backoff,
                verify_tls=verify_tls,
            )
        )

    def __repr__(self) -> str:
        return f"JenkinsAdapter({self.connection.url!r})"

    # -- observation ---------------------------------------------------------------------------

    def observe_folder(self, folder: str) -> ObservedFolder | None:
        try:
            data = self.connection.get_json(
                paths.item(folder) + "api/json", operation="observe", tree=FOLDER_TREE
            )
        except NotFound:
            return None
        items = {
            str(job.get("name")): ObservedItem(
                name=str(job.get("name")), kind=str(job.get("_class", "")), description=job.get("description")
            )
            for job in data.get("jobs") or []
            if isinstance(job, dict) and job.get("name")
        }
        kind = str(data.get("_class", ""))
        if "jobs" not in data and not kind:
            kind = "unknown"  # an item without children is not a folder
        return ObservedFolder(kind=kind, description=data.get("description"), items=items)

    def observe_credentials(self, folder: str) -> Mapping[str, ObservedItem]:
        data = self.connection.get_json(
            paths.folder_store(folder) + "api/json", operation="observe", tree=CREDENTIALS_TREE
        )
        return {
            str(c["id"]): ObservedItem(
                name=str(c["id"]), kind=str(c.get("typeName", "")), description=c.get("description")
            )
            for c in data.get("credentials") or []
            if isinstance(c, dict) and c.get("id")
        }

    def item_config(self, path: str) -> bytes:
        return self.connection.request(
            "GET", paths.config(path), operation="read_config", idempotent=True
        ).content

    def ping(self) -> str:
        return str(self.connection.get_json(paths.WHOAMI, operation="ping").get("name", ""))

    # -- writes --------------------------------------------------------------------------------

    def create_item(self, path: str, config: bytes) -> None:
        parent, name = paths.parent_and_name(path)
        self.connection.request(
            "POST", paths.create_item(parent), operation="create_item", params={"name": name}, xml=config
        )

    def update_item(self, path: str, config: bytes) -> None:
        self.connection.request(
            "POST", paths.config(path), operation="update_item", xml=config, idempotent=True
        )

    def delete_item(self, path: str) -> None:
        self.connection.request("POST", paths.delete(path), operation="delete_item", idempotent=True)

    def create_credential(self, folder: str, config: bytes) -> None:
        self.connection.request(
            "POST",
            paths.folder_store(folder) + "createCredentials",
            operation="create_credential",
            xml=config,
        )

    def update_credential(self, folder: str, credential_id: str, config: bytes) -> None:
        self.connection.request(
            "POST",
            paths.credential(folder, credential_id) + "config.xml",
            operation="update_credential",
            xml=config,
            idempotent=True,
        )

    def delete_credential(self, folder: str, credential_id: str) -> None:
        self.connection.request(
            "DELETE",
            paths.credential(folder, credential_id) + "config.xml",
            operation="delete_credential",
            idempotent=True,
        )

    # -- primitives for the other ports of this controller --------------------------------------

    def get_json(self, path: str, **params: str) -> dict[str, Any]:
        """``GET path`` (relative to the root URL) as a JSON object; retried when Jenkins is unavailable."""
        return self.connection.get_json(path, **params)

    def get_json_any(self, path: str, **params: str) -> Any:
        """``GET path`` as any JSON value (Stage View answers some reads with a list)."""
        response = self.connection.request(
            "GET", path, operation="read", params=params or None, idempotent=True
        )
        try:
            return json.loads(response.content)
        except ValueError as e:
            raise UpstreamError(f"Jenkins sent invalid JSON for GET {path}") from e

    def post_form(
        self, path: str, form: Mapping[str, str] | None = None, *, idempotent: bool = False
    ) -> requests.Response:
        """``POST path`` with an ``application/x-www-form-urlencoded`` body (typed errors, no redirects)."""
        return self.connection.request("POST", path, operation="form", form=form or {}, idempotent=idempotent)
