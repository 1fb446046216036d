"""Item and credential-store paths, relative to the Jenkins root URL (which may carry a prefix).

Every path is relative (no leading slash) so ``urljoin("http://host/jenkins/", path)`` keeps the
prefix. Each name segment is percent-encoded on its own.
"""

from __future__ import annotations

from urllib.parse import quote

CRUMB = "crumbIssuer/api/json"
WHOAMI = "whoAmI/api/json"


def item(path: str) -> str:
    """``"a/b"`` → ``"job/a/job/b/"``."""
    return "".join(f"job/{quote(part, safe='')}/" for part in path.split("/") if part)


def parent_and_name(path: str) -> tuple[str, str]:
    """``"a/b/c"`` → ``("a/b", "c")``; a top-level item has parent ``""``."""
    parent, _, name = path.rpartition("/")
    return parent, name


def create_item(parent: str) -> str:
    return item(parent) + "createItem"


def config(path: str) -> str:
    return item(path) + "config.xml"


def delete(path: str) -> str:
    return item(path) + "doDelete"


def folder_store(folder: str) -> str:
    """The folder's credential store, global domain."""
    return item(folder) + "credentials/store/folder/domain/_/"


def credential(folder: str, credential_id: str) -> str:
    return folder_store(folder) + f"credential/{quote(credential_id, safe='')}/"
