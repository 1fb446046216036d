"""config.xml of folders and pipeline jobs: parse what the emulator needs, render what Jenkins sends.

Jobs keep the XML they were given (Jenkins re-serialises its object model, which for the elements
clients send is the same document) with ``<description>`` and ``<disabled>`` kept in step. Folders
are rendered from the model, because their credentials live in the folder's config.xml
(``FolderCredentialsProvider$FolderCredentialsProperty``) with secrets encrypted.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bridge.sandbox.jenkins import credtypes
from bridge.sandbox.jenkins.credtypes import SecretCipher
from bridge.sandbox.jenkins.errors import Oops
from bridge.sandbox.jenkins.model import (
    FOLDER_CLASS,
    FREESTYLE_CLASS,
    WORKFLOW_JOB_CLASS,
    Folder,
    Job,
    ParameterDefinition,
)

ROOT_TAGS = {
    "flow-definition": WORKFLOW_JOB_CLASS,
    WORKFLOW_JOB_CLASS: WORKFLOW_JOB_CLASS,
    "project": FREESTYLE_CLASS,
    FREESTYLE_CLASS: FREESTYLE_CLASS,
    FOLDER_CLASS: FOLDER_CLASS,
}
FOLDER_CREDS_PROPERTY = (
    "com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty"
)
CPS = "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"
CPS_SCM = "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition"
NO_CONCURRENT = "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
PARAMS_PROPERTY = "hudson.model.ParametersDefinitionProperty"


def parse(body: bytes) -> ET.Element:
    """Parse a submitted document; anything unreadable is Jenkins' IOException (500)."""
    try:
        return fromstring(body)
    except (ET.ParseError, DefusedXmlException, ValueError):
        raise Oops("Failed to persist config.xml") from None


def java_class_of(root: ET.Element) -> str:
    found = ROOT_TAGS.get(root.tag)
    if found is None:
        raise Oops(f"Unable to read config.xml: no class {root.tag}")
    return found


def apply_job_config(job: Job, root: ET.Element) -> None:
    """Take description, disabled, definition, parameters and properties from a job's config.xml."""
    job.config = root
    job.description = _text(root, "description")
    job.disabled = _text(root, "disabled") == "true"
    job.script, job.sandbox, job.scm, job.script_path = None, True, None, None
    definition = root.find("definition")
    if definition is not None:
        cls = definition.get("class", "")
        if cls == CPS:
            job.script = definition.findtext("script") or ""
            job.sandbox = _text(definition, "sandbox") != "false"
        elif cls == CPS_SCM:
            job.script_path = _text(definition, "scriptPath") or "Jenkinsfile"
            job.scm = _scm(definition.find("scm"))
    properties = root.find("properties")
    prop_elems = list(properties) if properties is not None else []
    job.properties = [p.tag for p in prop_elems]
    job.concurrent_build = NO_CONCURRENT not in job.properties and _text(root, "concurrentBuild") != "false"
    job.parameters = []
    for prop in prop_elems:
        if prop.tag == PARAMS_PROPERTY:
            job.parameters = [_parameter(p) for p in prop.iterfind("parameterDefinitions/*")]


def set_job_flag(job: Job, tag: str, value: str) -> None:
    """Keep the stored XML in step with a change made through another endpoint (enable/disable)."""
    if job.config is None:
        job.config = ET.Element("flow-definition")
    elem = job.config.find(tag)
    if elem is None:
        elem = ET.SubElement(job.config, tag)
    elem.text = value


def save_job_properties(job: Job, cipher: SecretCipher) -> None:
    """``Job.save()`` after the ``properties`` step: the parameter and concurrency properties Declarative
    set are written into the stored config.xml (other properties are kept as they were)."""
    if job.config is None:
        job.config = empty_job_config(job.java_class)
    properties = job.config.find("properties")
    if properties is None:
        properties = ET.SubElement(job.config, "properties")
    kept = {p.tag: p for p in properties}
    for child in list(properties):
        properties.remove(child)
    for tag in job.properties:
        if tag == PARAMS_PROPERTY:
            properties.append(_parameters_property(job, cipher))
        elif tag == NO_CONCURRENT:
            prop = ET.SubElement(properties, NO_CONCURRENT)
            ET.SubElement(prop, "abortPrevious").text = "false"
        elif tag in kept:
            properties.append(kept[tag])


def _parameters_property(job: Job, cipher: SecretCipher) -> ET.Element:
    prop = ET.Element(PARAMS_PROPERTY)
    definitions = ET.SubElement(prop, "parameterDefinitions")
    for p in job.parameters:
        elem = ET.SubElement(definitions, f"hudson.model.{p.type}")
        ET.SubElement(elem, "name").text = p.name
        ET.SubElement(elem, "description").text = p.description
        if p.type == "ChoiceParameterDefinition":
            choices = ET.SubElement(elem, "choices", {"class": "java.util.Arrays$ArrayList"})
            array = ET.SubElement(choices, "a", {"class": "string-array"})
            for choice in p.choices:
                ET.SubElement(array, "string").text = choice
            continue
        default = p.default or ""
        if p.type == "PasswordParameterDefinition":
            default = cipher.encrypt(default)  # a Secret, never stored in clear
        ET.SubElement(elem, "defaultValue").text = default
        if p.type in ("StringParameterDefinition", "TextParameterDefinition"):
            ET.SubElement(elem, "trim").text = "true" if p.trim else "false"
    return prop


def empty_job_config(java_class: str) -> ET.Element:
    """What a job created with ``mode=`` (no XML) stores."""
    root = ET.Element("flow-definition" if java_class == WORKFLOW_JOB_CLASS else "project")
    ET.SubElement(root, "actions")
    ET.SubElement(root, "description")
    ET.SubElement(root, "keepDependencies").text = "false"
    ET.SubElement(root, "properties")
    if java_class == WORKFLOW_JOB_CLASS:
        ET.SubElement(root, "triggers")
    ET.SubElement(root, "disabled").text = "false"
    return root


def apply_folder_config(folder: Folder, root: ET.Element, cipher: SecretCipher) -> None:
    """Description, properties and the folder credentials store (replaced by what the XML holds)."""
    folder.description = _text(root, "description")
    folder.properties_xml = []
    folder.store.credentials = {}
    properties = root.find("properties")
    for prop in list(properties) if properties is not None else []:
        if prop.tag != FOLDER_CREDS_PROPERTY:
            folder.properties_xml.append(prop)
            continue
        for cred_elem in prop.iterfind(
            "domainCredentialsMap/entry/java.util.concurrent.CopyOnWriteArrayList/*"
        ):
            cred = credtypes.from_xml(cred_elem, cipher)
            folder.store.credentials[cred.id] = cred


def render_folder(folder: Folder, cipher: SecretCipher) -> ET.Element:
    root = ET.Element(FOLDER_CLASS, {"plugin": "cloudbees-folder@6.999.v42253c105443"})
    ET.SubElement(root, "actions")
    ET.SubElement(root, "description").text = folder.description
    properties = ET.SubElement(root, "properties")
    properties.extend(folder.properties_xml)
    if folder.store.credentials:
        prop = ET.SubElement(properties, FOLDER_CREDS_PROPERTY)
        dmap = ET.SubElement(prop, "domainCredentialsMap", {"class": "hudson.util.CopyOnWriteMap$Hash"})
        entry = ET.SubElement(dmap, "entry")
        domain = ET.SubElement(entry, "com.cloudbees.plugins.credentials.domains.Domain")
        domain.set("plugin", "credentials@1415.v831096eb_5534")
        ET.SubElement(domain, "specifications")
        creds = ET.SubElement(entry, "java.util.concurrent.CopyOnWriteArrayList")
        creds.extend(credtypes.to_xml(c, cipher=cipher) for c in folder.store.credentials.values())
    views = ET.SubElement(
        root, "folderViews", {"class": "com.cloudbees.hudson.plugins.folder.views.DefaultFolderViewHolder"}
    )
    all_view = ET.SubElement(ET.SubElement(views, "views"), "hudson.model.AllView")
    ET.SubElement(all_view, "owner", {"class": FOLDER_CLASS, "reference": "../../../.."})
    ET.SubElement(all_view, "name").text = "All"
    ET.SubElement(all_view, "filterExecutors").text = "false"
    ET.SubElement(all_view, "filterQueue").text = "false"
    ET.SubElement(all_view, "properties", {"class": "hudson.model.View$PropertyList"})
    ET.SubElement(views, "tabBar", {"class": "hudson.views.DefaultViewsTabBar"})
    health = ET.SubElement(root, "healthMetrics")
    metric = ET.SubElement(health, "com.cloudbees.hudson.plugins.folder.health.WorstChildHealthMetric")
    ET.SubElement(metric, "nonRecursive").text = "false"
    ET.SubElement(root, "icon", {"class": "com.cloudbees.hudson.plugins.folder.icons.StockFolderIcon"})
    return root


def _parameter(elem: ET.Element) -> ParameterDefinition:
    kind = elem.tag.rsplit(".", 1)[-1]
    choices = [c.text or "" for c in elem.iterfind("choices//string")]
    default = elem.findtext("defaultValue")
    if kind == "ChoiceParameterDefinition" and choices:
        default = choices[0]
    elif kind == "BooleanParameterDefinition":
        default = "true" if (default or "").strip() == "true" else "false"
    return ParameterDefinition(
        type=kind,
        name=_text(elem, "name"),
        description=elem.findtext("description") or "",
        default=default,
        choices=choices,
        trim=_text(elem, "trim") == "true",
    )


def _scm(scm: ET.Element | None) -> dict[str, str]:
    if scm is None:
        return {}
    return {
        "class": scm.get("class", ""),
        "url": _text(scm, "userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/url"),
        "credentialsId": _text(scm, "userRemoteConfigs/hudson.plugins.git.UserRemoteConfig/credentialsId"),
        "branch": _text(scm, "branches/hudson.plugins.git.BranchSpec/name"),
    }


def _text(root: ET.Element, path: str) -> str:
    return (root.findtext(path) or "").strip()
