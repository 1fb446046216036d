"""Helpers for the build-side sandbox tests: folders with credentials, pipeline jobs, waiting for runs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jenkins
import requests

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.buildstate import SIMULATION
from bridge.sandbox.jenkins.pipeline import ShellRule, Simulation
from tests.sandbox.wire import XML, pipeline_xml, token_session
from tests.waiting import wait_until

DATA = Path(__file__).parent / "data"
SEED = (DATA / "seed-multicluster.Jenkinsfile").read_text(encoding="utf-8")
SECRETS = {
    "dockerhub-id": ("docker-bot", "d0cker-Pa55word"),
    "sonar-token": "sq-t0ken-1234567890",
    "rohan": "apiVersion: v1\nkind: Config\n# rohan-kubeconfig-secret",
    "gondor": "apiVersion: v1\nkind: Config\n# gondor-kubeconfig-secret",
    "shire": "apiVersion: v1\nkind: Config\n# shire-kubeconfig-secret",
}
KUBECONFIG = "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials"


def fast(j: SandboxJenkins, *rules: ShellRule, scale: float = 0.0) -> None:
    j.services[SIMULATION] = Simulation(time_scale=scale, shell_rules=rules)


def credential_xml(cred_id: str) -> str:
    value = SECRETS[cred_id]
    if cred_id == "dockerhub-id":
        root = ET.Element("com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl")
        ET.SubElement(root, "scope").text = "GLOBAL"
        ET.SubElement(root, "id").text = cred_id
        ET.SubElement(root, "username").text = value[0]
        ET.SubElement(root, "password").text = value[1]
    elif cred_id == "sonar-token":
        root = ET.Element("org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl")
        ET.SubElement(root, "scope").text = "GLOBAL"
        ET.SubElement(root, "id").text = cred_id
        ET.SubElement(root, "secret").text = str(value)
    else:
        root = ET.Element(KUBECONFIG)
        ET.SubElement(root, "scope").text = "GLOBAL"
        ET.SubElement(root, "id").text = cred_id
        source = ET.SubElement(
            root, "kubeconfigSource", {"class": KUBECONFIG + "$DirectEntryKubeconfigSource"}
        )
        ET.SubElement(source, "content").text = str(value)
    return ET.tostring(root, encoding="unicode")


def folder_with_credentials(j: SandboxJenkins, folder: str, ids: list[str]) -> requests.Session:
    s = token_session(j)
    r = s.post(
        f"{j.url}createItem",
        params={"name": folder},
        data={"mode": "com.cloudbees.hudson.plugins.folder.Folder"},
        allow_redirects=False,
    )
    assert r.status_code == 302, r.text
    for cred_id in ids:
        r = s.post(
            f"{j.url}job/{folder}/credentials/store/folder/domain/_/createCredentials",
            data=credential_xml(cred_id),
            headers=XML,
        )
        assert r.status_code == 200, r.text
    return s


def create_job(j: SandboxJenkins, path: str, script: str) -> None:
    s = token_session(j)
    parent, _, name = path.rpartition("/")
    base = j.url + "".join(f"job/{p}/" for p in parent.split("/") if p)
    r = s.post(f"{base}createItem", params={"name": name}, data=pipeline_xml(script), headers=XML)
    assert r.status_code == 200, r.text


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """``wait_until`` over python-jenkins: a 404 page or a body that is not JSON yet means "not yet"."""
    return wait_until(predicate, timeout=timeout, retry_on=(jenkins.JenkinsException, ValueError))
