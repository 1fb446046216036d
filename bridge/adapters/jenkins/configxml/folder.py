"""Folder (cloudbees-folder) config.xml for a DevOps project, with its authorisation matrix."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bridge.adapters.jenkins.configxml.authz import FolderGrants, add_matrix, parse_matrix, replace_matrix
from bridge.adapters.jenkins.configxml.rendered import Rendered, render
from bridge.adapters.jenkins.configxml.xmltext import parse, sub, to_bytes
from bridge.domain.model import Project

FOLDER_CLASS = "com.cloudbees.hudson.plugins.folder.Folder"


def render_folder(project: Project, *, key: bytes, grants: FolderGrants | None = None) -> Rendered:
    """A minimal folder document; Jenkins fills in views and health metrics on create.

    ``grants``: the folder's authorisation matrix (``configxml.authz``); it is part of the hash, so a
    change of members changes the folder's description and the plan updates the folder.
    """

    def build(description: str) -> ET.Element:
        root = ET.Element(FOLDER_CLASS, {"plugin": "cloudbees-folder"})
        sub(root, "actions")
        sub(root, "description", description)
        properties = sub(root, "properties")
        if grants is not None:
            add_matrix(properties, grants)
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


def update_folder(config: bytes | str, description: str, grants: FolderGrants | None) -> bytes:
    """The folder's own config.xml with the description and (when declared) the matrix replaced.

    Every other property (the folder's credential store, anything an administrator added) is kept.
    """
    updated = replace_description(config, description)
    return updated if grants is None else replace_matrix(updated, grants)


def folder_grants_drifted(config: bytes | str, grants: FolderGrants | None) -> bool:
    """Does the folder Jenkins holds grant anything else than the bridge declared (or miss a grant)?"""
    if grants is None:
        return False
    return parse_matrix(parse(config).find("properties")) != grants
