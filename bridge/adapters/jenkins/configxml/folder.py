"""Folder (cloudbees-folder) config.xml for a DevOps project."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bridge.adapters.jenkins.configxml.rendered import Rendered, render
from bridge.adapters.jenkins.configxml.xmltext import parse, sub, to_bytes
from bridge.domain.model import Project

FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"


def render_folder(project: Project, *, key: bytes) -> Rendered:
    """A minimal folder document; Jenkins fills in views and health metrics on create."""

    def build(description: str) -> ET.Element:
        root = ET.Element(FOLDER_CLASS, {"plugin": "cloudbees-folder"})
        sub(root, "actions")
        sub(root, "description", description)
        sub(root, "properties")
        sub(root, "folderViews")
        sub(root, "healthMetrics")
        return root

    return render(build, description=project.description, key=key)


def replace_description(config: bytes | str, description: str) -> bytes:
    """The folder's own config.xml with only its description changed.

    Folder updates edit what Jenkins holds rather than posting a fresh document: a folder's
    config.xml also carries its credential store and views, which a fresh document would wipe.
    """
    root = parse(config)
    node = root.find("description")
    if node is None:
        node = ET.Element("description")
        root.insert(0, node)
    node.text = description
    return to_bytes(root)
