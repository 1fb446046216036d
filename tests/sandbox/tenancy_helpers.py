"""A sandbox Jenkins started from the SHIPPED jenkins-config/, and folders/jobs as the bridge renders them
(the tenancy contract): per-project identity ``jb-project-<name>``, a non-inheriting folder matrix, and an
``AuthorizeProjectProperty`` naming the identity in every job."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import requests

from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from tests.sandbox.pipeline_helpers import SECRETS, credential_xml, fast
from tests.sandbox.wire import XML

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "jenkins-config" / "casc" / "jenkins.yaml"
COMPOSE_AGENT = ROOT / "jenkins-config" / "compose" / "static-agent.yaml"
# Where the image puts the shim library (jenkins-config/Dockerfile), served from the checkout.
LIBRARY_MOUNT = {"/usr/share/jenkins/shared-library": ROOT / "jenkins-config" / "shared-library"}
BRIDGE = "jenkins-bridge"
BRIDGE_TOKEN = "11" + "ab" * 16
ADMIN_PASSWORD = "adm1n-Pa55-from-a-file"
PREFIX = "jb-project-"
FILE_CREDENTIALS = "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl"
FOLDER_PROPERTY = "com.cloudbees.hudson.plugins.folder.properties.AuthorizationMatrixProperty"
AUTHORIZE = "org.jenkinsci.plugins.authorizeproject.AuthorizeProjectProperty"
SPECIFIC = "org.jenkinsci.plugins.authorizeproject.strategy.SpecificUsersAuthorizationStrategy"
NON_INHERITING = "org.jenkinsci.plugins.matrixauth.inheritance.NonInheritingStrategy"
IDENTITY_GRANTS = (
    "hudson.model.Item.Build",
    "hudson.model.Item.Cancel",
    "hudson.model.Item.Configure",
    "hudson.model.Item.Read",
)
ROLE_GRANTS = {
    "viewer": ("hudson.model.Item.Read",),
    "operator": ("hudson.model.Item.Build", "hudson.model.Item.Cancel", "hudson.model.Item.Read"),
    "admin": (
        "hudson.model.Item.Build",
        "hudson.model.Item.Cancel",
        "hudson.model.Item.Read",
        "hudson.model.Run.Replay",
    ),
}


def secrets_dir(tmp: Path) -> Path:
    directory = tmp / "run-secrets"
    directory.mkdir(parents=True)
    (directory / "jenkins-admin-password").write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
    (directory / "bridge-jenkins-password").write_text("br1dge-Pa55-from-a-file\n", encoding="utf-8")
    return directory


def start(
    factory: Any,
    tmp: Path,
    *,
    casc: Any = SHIPPED,
    users: tuple[str, ...] = ("alice", "bob"),
    environ: dict[str, str] | None = None,
    **options: Any,
) -> SandboxJenkins:
    """The shipped configuration, its secrets as files, the bridge's token seeded as the image does."""
    env = {
        "JENKINS_URL": "http://localhost:8080/",
        "BRIDGE_JENKINS_USER": BRIDGE,
        "JENKINS_ADMIN_ID": "admin",
    }
    env.update(environ or {})
    j: SandboxJenkins = factory(
        casc=casc,
        casc_environ=env,
        secrets_dir=secrets_dir(tmp),
        admin_user=BRIDGE,
        admin_token=BRIDGE_TOKEN,
        users=[UserSpec(u, tokens=(f"{u}-token",)) for u in users],
        **{"mounts": LIBRARY_MOUNT, **options},
    )
    fast(j)
    return j


def session(j: SandboxJenkins, user: str = BRIDGE) -> requests.Session:
    s = requests.Session()
    s.auth = (user, BRIDGE_TOKEN if user == BRIDGE else f"{user}-token")
    return s


def create_identity(j: SandboxJenkins, project: str) -> requests.Response:
    """What the bridge does: createAccountByAdmin with a random password."""
    user = PREFIX + project
    return session(j).post(
        f"{j.url}securityRealm/createAccountByAdmin",
        data={
            "username": user,
            "password1": "Rnd-" + project * 2,
            "password2": "Rnd-" + project * 2,
            "fullname": user,
            "email": f"{user}@jenkins-bridge.invalid",
        },
        allow_redirects=False,
    )


def folder_xml(project: str, bindings: dict[str, str]) -> str:
    """The folder's config.xml with the matrix property of the contract (sorted lines)."""
    lines = {("USER", p, PREFIX + project) for p in IDENTITY_GRANTS}
    for sid, role in bindings.items():
        kind = "GROUP" if sid.startswith("@") else "USER"
        lines |= {(kind, p, sid.lstrip("@")) for p in ROLE_GRANTS[role]}
    root = ET.Element("com.cloudbees.hudson.plugins.folder.Folder", {"plugin": "cloudbees-folder"})
    ET.SubElement(root, "description").text = f"project {project}"
    properties = ET.SubElement(root, "properties")
    prop = ET.SubElement(properties, FOLDER_PROPERTY)
    ET.SubElement(prop, "inheritanceStrategy", {"class": NON_INHERITING})
    for kind, permission, sid in sorted(lines, key=lambda t: (t[1], t[0] != "GROUP", t[2])):
        ET.SubElement(prop, "permission").text = f"{kind}:{permission}:{sid}"
    ET.SubElement(root, "folderViews")
    ET.SubElement(root, "healthMetrics")
    return ET.tostring(root, encoding="unicode")


def job_xml(project: str, script: str, parameters: tuple[str, ...] = ()) -> str:
    root = ET.Element("flow-definition", {"plugin": "workflow-job"})
    ET.SubElement(root, "description").text = ""
    ET.SubElement(root, "keepDependencies").text = "false"
    properties = ET.SubElement(root, "properties")
    if parameters:
        prop = ET.SubElement(properties, "hudson.model.ParametersDefinitionProperty")
        defs = ET.SubElement(prop, "parameterDefinitions")
        for name in parameters:
            d = ET.SubElement(defs, "hudson.model.StringParameterDefinition")
            ET.SubElement(d, "name").text = name
            ET.SubElement(d, "defaultValue").text = ""
    authorize = ET.SubElement(properties, AUTHORIZE)
    strategy = ET.SubElement(authorize, "strategy", {"class": SPECIFIC})
    ET.SubElement(strategy, "userid").text = PREFIX + project
    ET.SubElement(strategy, "dontRestrictJobConfiguration").text = "false"
    definition = ET.SubElement(
        root, "definition", {"class": "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"}
    )
    ET.SubElement(definition, "script").text = script
    ET.SubElement(definition, "sandbox").text = "true"
    ET.SubElement(root, "triggers")
    ET.SubElement(root, "disabled").text = "false"
    return ET.tostring(root, encoding="unicode")


def secret_file_xml(cred_id: str) -> str:
    """A kubeconfig as the bridge stores it by default: a Secret file named ``kubeconfig``."""
    root = ET.Element(FILE_CREDENTIALS)
    ET.SubElement(root, "scope").text = "GLOBAL"
    ET.SubElement(root, "id").text = cred_id
    ET.SubElement(root, "fileName").text = "kubeconfig"
    ET.SubElement(root, "secretBytes").text = base64.b64encode(str(SECRETS[cred_id]).encode()).decode()
    return ET.tostring(root, encoding="unicode")


def project(
    j: SandboxJenkins,
    name: str,
    bindings: dict[str, str],
    credentials: tuple[str, ...] = (),
    secret_files: tuple[str, ...] = (),
) -> None:
    """A project folder with ``credentials`` (each of its type in SECRETS; kubeconfigs as kubernetes-cd
    ``KubeconfigCredentials``) and ``secret_files`` (kubeconfigs as Secret files)."""
    s = session(j)
    assert create_identity(j, name).status_code == 302
    r = s.post(f"{j.url}createItem", params={"name": name}, data=folder_xml(name, bindings), headers=XML)
    assert r.status_code == 200, r.text
    documents = [credential_xml(c) for c in credentials] + [secret_file_xml(c) for c in secret_files]
    for document in documents:
        r = s.post(
            f"{j.url}job/{name}/credentials/store/folder/domain/_/createCredentials",
            data=document,
            headers=XML,
        )
        assert r.status_code == 200, r.text


def job(j: SandboxJenkins, folder: str, name: str, script: str, parameters: tuple[str, ...] = ()) -> None:
    r = session(j).post(
        f"{j.url}job/{folder}/createItem",
        params={"name": name},
        data=job_xml(folder, script, parameters),
        headers=XML,
    )
    assert r.status_code == 200, r.text
