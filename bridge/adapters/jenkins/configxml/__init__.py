"""config.xml and credential XML for Jenkins: builders, parsers, ownership marker, desired hash.

Built and parsed with an XML library only, never by string formatting.
"""

from bridge.adapters.jenkins.configxml.credential import KubeconfigMode, credential_class, render_credential
from bridge.adapters.jenkins.configxml.folder import FOLDER_CLASS, render_folder, replace_description
from bridge.adapters.jenkins.configxml.marker import read_marker, with_marker
from bridge.adapters.jenkins.configxml.pipeline import JOB_CLASS, parse_pipeline, render_pipeline
from bridge.adapters.jenkins.configxml.rendered import Rendered

__all__ = [
    "FOLDER_CLASS",
    "JOB_CLASS",
    "KubeconfigMode",
    "Rendered",
    "credential_class",
    "parse_pipeline",
    "read_marker",
    "render_credential",
    "render_folder",
    "render_pipeline",
    "replace_description",
    "with_marker",
]
