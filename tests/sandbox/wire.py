"""Helpers shared by the sandbox Jenkins tests: clients as the bridge would build them, samples."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jenkins
import requests

from bridge.sandbox.jenkins import SandboxJenkins

SAMPLES = Path(__file__).parent / "samples"

FOLDER_MODE = "com.cloudbees.hudson.plugins.folder.Folder"
XML = {"Content-Type": "application/xml; charset=utf-8"}


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def sample_json(name: str) -> Any:
    return json.loads(sample(name))


def token_session(j: SandboxJenkins) -> requests.Session:
    """API-token Basic auth: what the bridge uses; exempt from crumbs."""
    s = requests.Session()
    s.auth = (j.admin_user, j.admin_token)
    return s


def python_jenkins(j: SandboxJenkins) -> jenkins.Jenkins:
    return jenkins.Jenkins(j.url, username=j.admin_user, password=j.admin_token, timeout=10)


def pipeline_xml(script: str = "echo 'hi'", *, description: str = "") -> str:
    """A WorkflowJob config.xml as a client would post it."""
    root = ET.Element("flow-definition", {"plugin": "workflow-job"})
    ET.SubElement(root, "description").text = description
    ET.SubElement(root, "keepDependencies").text = "false"
    ET.SubElement(root, "properties")
    definition = ET.SubElement(
        root, "definition", {"class": "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"}
    )
    ET.SubElement(definition, "script").text = script
    ET.SubElement(definition, "sandbox").text = "true"
    ET.SubElement(root, "triggers")
    ET.SubElement(root, "disabled").text = "false"
    return "<?xml version='1.1' encoding='UTF-8'?>\n" + ET.tostring(root, encoding="unicode")


def shape(value: Any) -> Any:
    """Keys, ``_class`` values and JSON types of a document, without the data."""
    if isinstance(value, dict):
        return {k: (v if k == "_class" else shape(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__
