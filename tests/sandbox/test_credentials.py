"""Credential stores (reference §5): python-jenkins' credential calls, the XML and json= forms,
redaction, the folder-config persistence and resolution through the folder chain."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jenkins
import pytest

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.credentials import resolve_credential
from bridge.sandbox.jenkins.credtypes import file_bytes
from tests.sandbox.wire import FOLDER_MODE, XML, pipeline_xml, python_jenkins, sample, token_session

UP = "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl"
SECRET_VALUES = ("secret123", "MIIEpAIBAAKCAQEAu1r", "VGhpcyBpcyBCYXNlNjQ", "c2VjcmV0")


def kubeconfig_xml(cred_id: str, content: str) -> str:
    root = ET.Element("com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials")
    ET.SubElement(root, "scope").text = "GLOBAL"
    ET.SubElement(root, "id").text = cred_id
    source = ET.SubElement(root, "kubeconfigSource")
    source.set(
        "class",
        "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials$DirectEntryKubeconfigSource",
    )
    ET.SubElement(source, "content").text = content
    return ET.tostring(root, encoding="unicode")


@pytest.fixture
def folder(sandbox_jenkins: SandboxJenkins) -> str:
    token_session(sandbox_jenkins).post(
        sandbox_jenkins.url + "createItem", data={"name": "team", "mode": FOLDER_MODE}
    )
    return "team"


def test_python_jenkins_credential_calls(sandbox_jenkins: SandboxJenkins, folder: str) -> None:
    client = python_jenkins(sandbox_jenkins)
    client.create_credential(folder, sample("credential-createCredentials-UsernamePassword.xml"))
    assert client.credential_exists("deploy-key", folder)
    assert client.list_credentials(folder) == [
        {
            "_class": "com.cloudbees.plugins.credentials.CredentialsStoreAction$CredentialsWrapper",
            "id": "deploy-key",
        }
    ]
    info = client.get_credential_info("deploy-key", folder)
    assert info["displayName"] == "wecoyote/******" and info["typeName"] == "Username with password"
    assert info["fullName"] == "team/folder/_/deploy-key"

    config = client.get_credential_config("deploy-key", folder)
    assert not config.startswith("<?xml") and "secret123" not in config
    root = ET.fromstring(config)
    assert root.tag == UP and root.find("password/secret-redacted") is not None

    with pytest.raises(jenkins.JenkinsException, match="already exists"):
        client.create_credential(folder, sample("credential-createCredentials-UsernamePassword.xml"))
    client.reconfig_credential(
        folder, sample("credential-createCredentials-UsernamePassword.xml").replace("wecoyote", "roadrunner")
    )
    assert client.get_credential_info("deploy-key", folder)["displayName"] == "roadrunner/******"
    client.delete_credential("deploy-key", folder)
    assert not client.credential_exists("deploy-key", folder)


def test_every_type_round_trips_with_secrets_redacted(sandbox_jenkins: SandboxJenkins, folder: str) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    base = j.url + "job/team/credentials/store/folder/domain/_/"
    bodies = {
        "deploy-key": sample("credential-createCredentials-UsernamePassword.xml"),
        "wecoyote": sample("credential-createCredentials-StringCredentials.xml"),
        "secret-file": sample("credential-FileCredentials.xml"),
        "bc07f814-78bd-4b29-93d4-d25b93285f93": sample("credential-BasicSSHUserPrivateKey.xml"),
        "kube": kubeconfig_xml("kube", "c2VjcmV0 apiVersion: v1"),
    }
    for body in bodies.values():
        assert s.post(base + "createCredentials", data=body, headers=XML).status_code == 200
    listing = s.get(base + "api/json", params={"depth": "1"}).json()
    types = {c["id"]: c["typeName"] for c in listing["credentials"]}
    assert types == {
        "deploy-key": "Username with password",
        "wecoyote": "Secret text",
        "secret-file": "Secret file",
        "bc07f814-78bd-4b29-93d4-d25b93285f93": "SSH Username with private key",
        "kube": "Kubernetes configuration (kubeconfig)",
    }
    for cred_id in bodies:
        text = s.get(base + f"credential/{cred_id}/config.xml").text
        assert not any(v in text for v in SECRET_VALUES), cred_id
        assert "<secret-redacted" in text
    with j.state.lock:
        job_folder = j.state.find_item("team")
        assert job_folder is not None
        secret_file = resolve_credential(job_folder, "secret-file")
        ssh = resolve_credential(job_folder, "bc07f814-78bd-4b29-93d4-d25b93285f93")
        kube = resolve_credential(job_folder, "kube")
    assert secret_file is not None and file_bytes(secret_file) == b"This is Base64 encoded plain text\n"
    assert ssh is not None and ssh.values["privateKey"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert ssh.values["username"] == "testing"
    assert kube is not None and kube.values["content"] == "c2VjcmV0 apiVersion: v1"


def test_duplicate_id_is_409_and_missing_is_404(sandbox_jenkins: SandboxJenkins, folder: str) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    base = j.url + "job/team/credentials/store/folder/domain/_/"
    body = sample("credential-createCredentials-StringCredentials.xml")
    assert s.post(base + "createCredentials", data=body, headers=XML).status_code == 200
    assert s.post(base + "createCredentials", data=body, headers=XML).status_code == 409
    assert s.get(base + "credential/nope/api/json").status_code == 404
    assert s.get(j.url + "job/team/credentials/store/folder/domain/other/api/json").status_code == 404
    assert s.get(j.url + "job/team/credentials/store/system/domain/_/api/json").status_code == 404
    assert s.post(base + "createCredentials", data=body).status_code == 400  # no Content-Type
    bogus = s.post(
        base + "createCredentials", data="<com.example.Nope><id>x</id></com.example.Nope>", headers=XML
    )
    assert bogus.status_code == 500 and "Traceback" not in bogus.text


def test_redacted_secret_posted_back_clears_the_secret(sandbox_jenkins: SandboxJenkins, folder: str) -> None:
    """What the credentials plugin does (``updateByXml`` with ``Items.XSTREAM``): not a no-op."""
    j = sandbox_jenkins
    s = token_session(j)
    base = j.url + "job/team/credentials/store/folder/domain/_/"
    s.post(
        base + "createCredentials",
        data=sample("credential-createCredentials-StringCredentials.xml"),
        headers=XML,
    )
    redacted = s.get(base + "credential/wecoyote/config.xml").text
    assert s.post(base + "credential/wecoyote/config.xml", data=redacted, headers=XML).status_code == 200
    with j.state.lock:
        cred = resolve_credential(j.state.find_item("team"), "wecoyote")  # type: ignore[arg-type]
    assert cred is not None and cred.values["secret"] == ""
    assert s.post(base + "credential/nope/config.xml", data=redacted, headers=XML).status_code == 404


def test_json_form_create_update_and_delete(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    base = j.url + "credentials/store/system/domain/_/"
    form = {
        "credentials": {
            "$class": "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials",
            "stapler-class": "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials",
            "id": "kc",
            "scope": "GLOBAL",
            "description": "prod",
            "kubeconfigSource": {
                "stapler-class": "x$DirectEntryKubeconfigSource",
                "content": "apiVersion: v1",
            },
        }
    }
    created = s.post(base + "createCredentials", data={"json": json.dumps(form)}, allow_redirects=False)
    assert (created.status_code, created.headers["Location"]) == (
        302,
        j.url + "credentials/store/system/domain/_",
    )
    again = s.post(
        base + "createCredentials", data={"json": json.dumps(form)}, headers={"Accept": "application/json"}
    )
    assert again.json() == {
        "message": "Credentials with specified ID already exist",
        "notificationType": "ERROR",
    }
    info = s.get(base + "credential/kc/api/json").json()
    assert (info["fullName"], info["displayName"]) == ("system/_/kc", "prod")

    form["credentials"]["description"] = "production"
    updated = s.post(
        base + "credential/kc/updateSubmit", data={"json": json.dumps(form)}, allow_redirects=False
    )
    assert (updated.status_code, updated.headers["Location"]) == (302, base + "credential/kc/")
    assert s.get(base + "credential/kc/api/json").json()["description"] == "production"

    deleted = s.post(base + "credential/kc/doDelete", allow_redirects=False)
    assert (deleted.status_code, deleted.headers["Location"]) == (302, base)
    assert s.get(base).status_code == 200
    assert s.post(base + "createCredentials", data={"json": "{"}).status_code == 400
    assert s.get(base + "credential/kc/doDelete").status_code in (404, 405)


def test_folder_config_carries_folder_credentials_encrypted(
    sandbox_jenkins: SandboxJenkins, folder: str
) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    base = j.url + "job/team/credentials/store/folder/domain/_/"
    s.post(
        base + "createCredentials",
        data=sample("credential-createCredentials-UsernamePassword.xml"),
        headers=XML,
    )
    config = s.get(j.url + "job/team/config.xml").text
    assert config.startswith("<?xml version='1.1' encoding='UTF-8'?>") and "secret123" not in config
    root = ET.fromstring(config)
    cred = root.find(
        "properties/com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty"
        f"/domainCredentialsMap/entry/java.util.concurrent.CopyOnWriteArrayList/{UP}"
    )
    assert cred is not None and (cred.findtext("password") or "").startswith("{")
    # Posting the folder's config back keeps the credential (its encrypted secret decrypts) ...
    assert s.post(j.url + "job/team/config.xml", data=config, headers=XML).status_code == 200
    with j.state.lock:
        kept = resolve_credential(j.state.find_item("team"), "deploy-key")  # type: ignore[arg-type]
    assert kept is not None and kept.values["password"] == "secret123"
    # ... and a folder config without the property empties the store, as in Jenkins.
    assert (
        s.post(j.url + "job/team/config.xml", data=sample("folder-config.xml"), headers=XML).status_code
        == 200
    )
    assert s.get(base + "api/json", params={"tree": "credentials[id]"}).json()["credentials"] == []
    # The sample with a folder store is accepted as a createItem body.
    body = sample("folder-config-with-folder-credentials.xml").replace(
        "UsersPrivateKeySource", "DirectEntryPrivateKeySource"
    )
    assert s.post(j.url + "createItem", params={"name": "f2"}, data=body, headers=XML).status_code == 200
    ids = s.get(
        j.url + "job/f2/credentials/store/folder/domain/_/api/json", params={"tree": "credentials[id]"}
    ).json()
    assert ids["credentials"][0]["id"] == "From SSH"


def test_resolution_walks_the_folder_chain_to_the_system_store(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "a", "mode": FOLDER_MODE})
    s.post(j.url + "job/a/createItem", data={"name": "b", "mode": FOLDER_MODE})
    s.post(j.url + "job/a/job/b/createItem", params={"name": "p"}, data=pipeline_xml(), headers=XML)

    def add(store_url: str, cred_id: str, secret: str) -> None:
        body = ET.Element("org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl")
        ET.SubElement(body, "id").text = cred_id
        ET.SubElement(body, "secret").text = secret
        assert s.post(store_url + "createCredentials", data=ET.tostring(body), headers=XML).status_code == 200

    add(j.url + "credentials/store/system/domain/_/", "shared", "from-system")
    add(j.url + "credentials/store/system/domain/_/", "only-system", "sys")
    add(j.url + "job/a/credentials/store/folder/domain/_/", "shared", "from-a")
    add(j.url + "job/a/job/b/credentials/store/folder/domain/_/", "only-b", "b")
    with j.state.lock:
        job = j.state.find_item("a/b/p")
        assert job is not None
        assert resolve_credential(job, "shared").values["secret"] == "from-a"  # type: ignore[union-attr]
        assert resolve_credential(job, "only-system").values["secret"] == "sys"  # type: ignore[union-attr]
        assert resolve_credential(job, "only-b").values["secret"] == "b"  # type: ignore[union-attr]
        assert resolve_credential(job, "missing") is None
        assert resolve_credential(j.state.find_item("a"), "only-b") is None  # type: ignore[arg-type]


def test_domain_json_depth_rules(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    base = j.url + "credentials/store/system/domain/_/"
    s.post(
        base + "createCredentials",
        data=sample("credential-createCredentials-StringCredentials.xml"),
        headers=XML,
    )
    depth0 = s.get(base + "api/json").json()
    assert depth0["credentials"] == [
        {"_class": "com.cloudbees.plugins.credentials.CredentialsStoreAction$CredentialsWrapper"}
    ]
    assert depth0["urlName"] == "_" and depth0["global"] is True
    store = s.get(j.url + "credentials/store/system/api/json", params={"tree": "domains[urlName]"}).json()
    assert store["domains"] == {
        "_": {
            "_class": "com.cloudbees.plugins.credentials.CredentialsStoreAction$DomainWrapper",
            "urlName": "_",
        }
    }
