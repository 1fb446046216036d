"""Optional on-disk state (``state_dir``): the item tree and credential stores survive a restart.

One JSON document, written atomically after every successful change. Items are kept as the config.xml
Jenkins would write (folder credentials encrypted with the instance key, which is saved too, like
Jenkins' ``secrets/`` directory). Other modules (the pipeline engine) add their own sections with
``register_section``.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

from defusedxml.ElementTree import fromstring

from bridge.sandbox.jenkins import credtypes, itemxml
from bridge.sandbox.jenkins.credtypes import SecretCipher
from bridge.sandbox.jenkins.model import FOLDER_CLASS, Folder, Job, SandboxState

STATE_FILE = "sandbox-jenkins.json"

Dump = Callable[[SandboxState], Any]
Load = Callable[[SandboxState, Any], None]
_sections: dict[str, tuple[Dump, Load]] = {}


def register_section(name: str, dump: Dump, load: Load) -> None:
    """Persist extra state: ``dump`` returns JSON data, ``load`` puts it back after the items."""
    _sections[name] = (dump, load)


def save(state: SandboxState, state_dir: Path) -> None:
    cipher = SecretCipher(state.instance_salt)
    with state.lock:  # held while writing too: saves from build threads and requests never interleave
        doc = {
            "salt": state.instance_salt,
            "system_credentials": [
                ET.tostring(credtypes.to_xml(c, cipher=cipher), encoding="unicode")
                for c in state.root.store.credentials.values()
            ],
            "items": [_item_record(item, cipher) for item in state.root.walk()],
            "sections": {name: dump(state) for name, (dump, _) in _sections.items()},
        }
        state_dir.mkdir(parents=True, exist_ok=True)
        tmp = state_dir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        os.replace(tmp, state_dir / STATE_FILE)


def load(state: SandboxState, state_dir: Path) -> bool:
    """Fill a fresh state from ``state_dir``; False when there is nothing saved yet."""
    path = state_dir / STATE_FILE
    if not path.exists():
        return False
    doc = json.loads(path.read_text(encoding="utf-8"))
    state.instance_salt = doc["salt"]
    cipher = SecretCipher(state.instance_salt)
    for text in doc["system_credentials"]:
        cred = credtypes.from_xml(fromstring(text), cipher)
        state.root.store.credentials[cred.id] = cred
    for record in doc["items"]:
        parent = state.find_item(record["parent"])
        assert isinstance(parent, Folder)
        root = fromstring(record["config"])
        if record["class"] == FOLDER_CLASS:
            folder = Folder(name=record["name"], parent=parent)
            itemxml.apply_folder_config(folder, root, cipher)
            parent.children[folder.name] = folder
        else:
            job = Job(name=record["name"], parent=parent, java_class=record["class"])
            itemxml.apply_job_config(job, root)
            job.next_build_number = record.get("next_build_number", 1)
            parent.children[job.name] = job
        parent.children[record["name"]].config_posted = record.get("posted", False)
    for name, data in doc.get("sections", {}).items():
        if name in _sections:
            _sections[name][1](state, data)
    return True


def _item_record(item: Any, cipher: SecretCipher) -> dict[str, Any]:
    parent = item.parent.full_name if item.parent is not None else ""
    if isinstance(item, Folder):
        config = itemxml.render_folder(item, cipher)
        return {
            "parent": parent,
            "name": item.name,
            "class": FOLDER_CLASS,
            "config": _xml(config),
            "posted": item.config_posted,
        }
    config = item.config if item.config is not None else itemxml.empty_job_config(item.java_class)
    return {
        "parent": parent,
        "name": item.name,
        "class": item.java_class,
        "config": _xml(config),
        "next_build_number": item.next_build_number,
        "posted": item.config_posted,
    }


def _xml(root: ET.Element) -> str:
    return ET.tostring(root, encoding="unicode")
