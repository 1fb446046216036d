"""config.xml and credential XML for Jenkins: builders, parsers, ownership marker, desired hash.

Built and parsed with an XML library only, never by string formatting.
"""

from bridge.adapters.jenkins.configxml.authz import FolderGrants, folder_grants, parse_run_as
from bridge.adapters.jenkins.configxml.credential import KubeconfigMode, credential_class, render_credential
from bridge.adapters.jenkins.configxml.folder import (
    FOLDER_CLASS,
    folder_grants_drifted,
    render_folder,
    replace_description,
    update_folder,
)
from bridge.adapters.jenkins.configxml.marker import read_marker, with_marker
from bridge.adapters.jenkins.configxml.pipeline import JOB_CLASS, parse_pipeline, render_pipeline
from bridge.adapters.jenkins.configxml.rendered import Rendered

__all__ = [
    "FOLDER_CLASS",
    "JOB_CLASS",
    "FolderGrants",
    "KubeconfigMode",
    "Rendered",
    "credential_class",
    "folder_grants",
    "folder_grants_drifted",
    "parse_pipeline",
    "parse_run_as",
    "read_marker",
    "render_credential",
    "render_folder",
    "render_pipeline",
    "replace_description",
    "update_folder",
    "with_marker",
]
