"""The sandbox's JSON and XML compared with real Jenkins samples: keys (and their order), ``_class``
values and JSON types. Where a sample holds data the sandbox has no reason to have (builds, other
job types), the comparison is on what both have."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from bridge.sandbox.jenkins import SandboxJenkins
from tests.sandbox.wire import FOLDER_MODE, XML, pipeline_xml, sample, sample_json, shape, token_session

WRAPPER = "com.cloudbees.plugins.credentials.CredentialsStoreAction$"


def assert_subsequence(expected: list[str], actual: list[str]) -> None:
    it = iter(actual)
    missing = [k for k in expected if k not in it]
    assert not missing, f"keys missing or out of order: {missing} in {actual}"


def assert_same_types(expected: dict[str, Any], actual: dict[str, Any]) -> None:
    for key, value in expected.items():
        if value is not None and actual[key] is not None:
            assert type(actual[key]) is type(value), key
        if key == "_class":
            assert actual[key] == value


def populate(j: SandboxJenkins) -> None:
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "folder", "mode": FOLDER_MODE})
    s.post(j.url + "job/folder/createItem", params={"name": "pipeline"}, data=pipeline_xml(), headers=XML)
    s.post(j.url + "job/folder/createItem", data={"name": "folder2", "mode": FOLDER_MODE})


def test_root_json(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    populate(j)
    expected = sample_json("root-api-json.json")
    actual = token_session(j).get(j.url + "api/json").json()
    assert_subsequence(list(expected), list(actual))
    assert_same_types(expected, actual)
    assert actual["jobs"] == [
        {
            "_class": "com.cloudbees.hudson.plugins.folder.Folder",
            "name": "folder",
            "url": j.url + "job/folder/",
        }
    ]
    assert shape(actual["primaryView"]) == shape(expected["primaryView"])
    deep = (
        token_session(j)
        .get(j.url + "api/json", params={"tree": "jobs[name,url,color,jobs[name,url,color]]"})
        .json()
    )
    nested = {e["name"]: shape(e) for e in expected["jobs"][0]["jobs"]}
    ours = {e["name"]: shape(e) for e in deep["jobs"][0]["jobs"]}
    assert ours["pipeline"] == nested["pipeline"] and ours["folder2"] == nested["folder2"]


def test_folder_json(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    populate(j)
    expected = sample_json("job-folder-api-json.json")
    actual = token_session(j).get(j.url + "job/folder/api/json").json()
    assert_subsequence(list(expected), list(actual))
    assert_same_types(expected, actual)
    assert actual["actions"] == expected["actions"]
    by_name = {e["name"]: shape(e) for e in actual["jobs"]}
    assert by_name["folder2"] == shape(expected["jobs"][3]) and by_name["pipeline"] == shape(
        expected["jobs"][1]
    )
    assert shape(actual["views"]) == shape(expected["views"]) and actual["views"][0]["name"] == "All"


def test_workflow_job_json(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    populate(j)
    expected = sample_json("job-workflowjob-api-json.json")
    actual = token_session(j).get(j.url + "job/folder/job/pipeline/api/json").json()
    assert list(actual) == list(expected)  # same keys, same order
    assert_same_types(expected, actual)
    assert actual["actions"][-1] == {"_class": "com.cloudbees.plugins.credentials.ViewCredentialsAction"}
    assert actual["fullDisplayName"] == "folder » pipeline" and actual["fullName"] == "folder/pipeline"


def test_credential_json(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    base = j.url + "credentials/store/system/domain/_/"
    body = ET.fromstring(sample("credential-createCredentials-UsernamePassword.xml"))
    ET.SubElement(body, "description").text = "for testing"
    s.post(base + "createCredentials", data=ET.tostring(body), headers=XML)
    s.post(base + "createCredentials", data=sample("credential-BasicSSHUserPrivateKey.xml"), headers=XML)

    expected = sample_json("credentials-credential-api-json.json")
    actual = s.get(base + "credential/deploy-key/api/json").json()
    assert list(actual) == list(expected) and shape(actual) == shape(expected)
    assert (
        actual["displayName"] == "wecoyote/****** (for testing)"
        and actual["fullName"] == "system/_/deploy-key"
    )

    expected_domain = sample_json("credentials-domain-api-json-depth1.json")
    domain = s.get(base + "api/json", params={"depth": "1"}).json()
    # The sample's entries predate ``_class`` on every object (Stapler writes it since 2.x): drop it.
    entries = [{k: v for k, v in c.items() if k != "_class"} for c in domain["credentials"]]
    assert entries[0]["displayName"] and list(domain) == list(expected_domain)
    assert shape({**domain, "credentials": entries}) == shape(expected_domain)
    ssh = next(c for c in domain["credentials"] if c["typeName"] == "SSH Username with private key")
    assert ssh["displayName"] == "testing (Just testing)"

    expected_store = sample_json("credentials-store-domains-api-json.json")
    store = token_session(j).post(j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE})
    assert store.status_code == 200
    domains = s.get(
        j.url + "job/f/credentials/store/folder/api/json", params={"tree": "domains[urlName]"}
    ).json()
    assert domains["_class"] == expected_store["_class"]
    assert domains["domains"]["_"] == expected_store["domains"]["_"]


def test_credential_config_xml(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    base = j.url + "credentials/store/system/domain/_/"
    s.post(
        base + "createCredentials",
        data=sample("credential-createCredentials-UsernamePassword.xml"),
        headers=XML,
    )
    expected = ET.fromstring(sample("credential-config-xml-GET-UsernamePassword-redacted.xml"))
    actual = ET.fromstring(s.get(base + "credential/deploy-key/config.xml").text)
    assert actual.tag == expected.tag and actual.get("plugin", "").startswith("credentials@")
    assert_subsequence([e.tag for e in expected], [e.tag for e in actual])
    assert [e.tag for e in actual.find("password")] == ["secret-redacted"]  # type: ignore[union-attr]
    for tag in ("scope", "id", "username"):
        assert actual.findtext(tag) == expected.findtext(tag)


def test_folder_config_xml(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    populate(j)
    resp = token_session(j).get(j.url + "job/folder/config.xml")
    assert resp.headers["Content-Type"].startswith("application/xml")
    expected = ET.fromstring(sample("folder-config.xml"))
    actual = ET.fromstring(resp.text)
    assert actual.tag == expected.tag
    assert [e.tag for e in actual] == [e.tag for e in expected]
    assert actual.find("folderViews").get("class") == expected.find("folderViews").get("class")  # type: ignore[union-attr]
