"""Folders and pipeline jobs: python-jenkins' public calls and the raw wire (reference §0.2, §2-§4)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import jenkins
import pytest
import requests

from bridge.sandbox.jenkins import SandboxJenkins
from tests.sandbox.wire import FOLDER_MODE, XML, pipeline_xml, python_jenkins, sample, token_session


def test_python_jenkins_item_lifecycle_in_nested_folders(sandbox_jenkins: SandboxJenkins) -> None:
    client = python_jenkins(sandbox_jenkins)
    client.create_folder("a")
    client.create_folder("a/b")
    client.create_job("a/b/deploy", pipeline_xml("echo 'v1'", description="first"))
    assert client.job_exists("a/b/deploy") and not client.job_exists("a/b/nope")
    assert client.is_folder("a/b") and not client.is_folder("a/b/deploy")

    info = client.get_job_info("a/b/deploy")
    assert info["_class"] == "org.jenkinsci.plugins.workflow.job.WorkflowJob"
    assert (info["fullName"], info["description"], info["color"]) == ("a/b/deploy", "first", "notbuilt")
    assert info["nextBuildNumber"] == 1 and info["buildable"] is True

    config = client.get_job_config("a/b/deploy")
    # 2.479.3 serves the file as stored: a client's XML went through the JDK identity transformer.
    assert config.startswith('<?xml version="1.0" encoding="UTF-8"?><flow-definition')
    assert ET.fromstring(config).findtext("definition/script") == "echo 'v1'"
    client.reconfig_job("a/b/deploy", pipeline_xml("echo 'v2'", description="second"))
    assert ET.fromstring(client.get_job_config("a/b/deploy")).findtext("definition/script") == "echo 'v2'"
    assert client.get_job_info("a/b/deploy")["description"] == "second"

    client.disable_job("a/b/deploy")
    info = client.get_job_info("a/b/deploy")
    assert (info["color"], info["buildable"]) == ("disabled", False)
    saved = client.get_job_config("a/b/deploy")  # Job.save(): now written by XmlFile
    assert saved.startswith("<?xml version='1.1' encoding='UTF-8'?>\n<flow-definition")
    assert ET.fromstring(saved).findtext("disabled") == "true"
    client.enable_job("a/b/deploy")
    assert client.get_job_info("a/b/deploy")["color"] == "notbuilt"

    client.rename_job("a/b/deploy", "a/b/release")
    assert client.job_exists("a/b/release") and not client.job_exists("a/b/deploy")
    client.delete_job("a/b/release")
    assert not client.job_exists("a/b/release")


def test_get_jobs_and_get_all_jobs_walk_folders(sandbox_jenkins: SandboxJenkins) -> None:
    client = python_jenkins(sandbox_jenkins)
    path = ""
    for depth in range(12):  # deeper than python-jenkins' 10 levels per request
        path = f"{path}/f{depth}" if path else "f0"
        client.create_folder(path)
    client.create_job(f"{path}/deep", pipeline_xml())
    client.create_job("top", jenkins.EMPTY_CONFIG_XML)
    names = {j["fullname"] for j in client.get_all_jobs()}
    assert f"{path}/deep" in names and "top" in names and len(names) == 14
    top = client.get_jobs()
    assert {j["name"] for j in top} == {"f0", "top"}
    assert next(j for j in top if j["name"] == "top")["_class"] == "hudson.model.FreeStyleProject"


def test_create_item_status_codes_and_redirects(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    created = s.post(
        j.url + "createItem",
        params={"name": "f"},
        data={"name": "ignored", "mode": FOLDER_MODE},
        allow_redirects=False,
    )
    assert created.status_code == 302  # the query-string name wins over the form's
    assert created.headers["Location"] == j.url + "job/f/configure"
    assert s.get(created.headers["Location"]).status_code == 200

    again = s.post(j.url + "createItem", params={"name": "f", "mode": FOLDER_MODE}, data={"x": "1"})
    assert again.status_code == 400
    assert again.headers["X-Error"] == "A job already exists with the name  f "

    job = s.post(j.url + "job/f/createItem", params={"name": "p"}, data=pipeline_xml(), headers=XML)
    assert (job.status_code, job.text) == (200, "")
    assert (
        s.post(
            j.url + "job/nope/createItem", params={"name": "p"}, data=pipeline_xml(), headers=XML
        ).status_code
        == 404
    )
    assert (
        s.post(j.url + "createItem", params={"name": "x"}).headers["X-Error"] == "No Content-Type header set"
    )
    no_name = s.post(j.url + "createItem", data=pipeline_xml(), headers=XML)
    assert no_name.headers["X-Error"] == "Query parameter 'name' is required"
    assert s.post(j.url + "createItem", data={"name": "x"}).headers["X-Error"] == "No mode given"
    unknown = s.post(j.url + "createItem", data={"name": "x", "mode": "hudson.Nope"})
    assert unknown.status_code == 400 and unknown.headers["X-Error"] == "No item type  hudson.Nope  is known"
    assert s.get(j.url + "createItem").status_code == 405


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a@b", "@  is an unsafe character"),
        ("a/b", "/  is an unsafe character"),
        ("semi;colon", ";  is an unsafe character"),
        ("..", " ..  is not an allowed name"),
        ("trailing.", "A name cannot end with  . "),
        ("tab\there", "No control code is allowed: tab\\u9;here"),
        ("   ", "No name is specified"),
    ],
)
def test_invalid_names_are_rejected_like_check_good_name(
    sandbox_jenkins: SandboxJenkins, name: str, message: str
) -> None:
    j = sandbox_jenkins
    resp = token_session(j).post(
        j.url + "createItem", params={"name": name}, data=pipeline_xml(), headers=XML
    )
    assert resp.status_code == 400
    assert resp.headers["X-Error"].strip() == message.strip()


def test_names_are_trimmed_and_unicode_is_fine(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    assert (
        s.post(
            j.url + "createItem", params={"name": "  déploiement ✓ "}, data=pipeline_xml(), headers=XML
        ).status_code
        == 200
    )
    assert python_jenkins(j).job_exists("déploiement ✓")


def test_delete_rename_and_toggle_redirects(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE})
    for name in ("p", "q"):
        s.post(j.url + "job/f/createItem", params={"name": name}, data=pipeline_xml(), headers=XML)

    disabled = s.post(j.url + "job/f/job/p/disable", allow_redirects=False)
    assert (disabled.status_code, disabled.headers["Location"]) == (302, j.url + "job/f/job/p/")
    assert s.get(j.url + "job/f/job/p/disable").status_code == 405
    assert s.post(j.url + "job/f/disable").status_code == 404  # folders have no disable

    renamed = s.post(j.url + "job/f/job/p/confirmRename", params={"newName": "r"}, allow_redirects=False)
    assert (renamed.status_code, renamed.headers["Location"]) == (302, j.url + "job/f/job/r/")
    assert s.get(renamed.headers["Location"]).status_code == 200
    in_use = s.post(j.url + "job/f/job/r/confirmRename", params={"newName": "q"})
    assert (in_use.status_code, in_use.headers["X-Error"]) == (400, "The name  q  is already in use.")
    same = s.post(j.url + "job/f/job/r/confirmRename", params={"newName": "r"})
    assert same.headers["X-Error"] == "The new name is the same as the current name."
    folder = s.post(j.url + "job/f/confirmRename", params={"newName": "g"}, allow_redirects=False)
    assert folder.headers["Location"] == j.url + "job/g/"
    assert s.post(j.url + "job/g/doRename", params={"newName": "h"}).status_code == 404  # jobs only

    deleted = s.post(j.url + "job/g/job/r/doDelete", allow_redirects=False)
    assert (deleted.status_code, deleted.headers["Location"]) == (302, j.url + "job/g/")
    assert s.get(j.url + "job/g/job/q/doDelete").status_code == 405
    assert s.delete(j.url + "job/g/job/q/").status_code == 204
    top = s.post(j.url + "job/g/doDelete", allow_redirects=False)
    assert top.headers["Location"] == j.url
    assert s.get(j.url + "job/g/api/json").status_code == 404


def test_config_xml_errors_copy_jenkins_statuses(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    s.post(j.url + "createItem", params={"name": "p"}, data=pipeline_xml(), headers=XML)
    malformed = s.post(j.url + "job/p/config.xml", data="<flow-definition><oops>", headers=XML)
    assert malformed.status_code == 500 and "Failed to persist config.xml" in malformed.text
    other_class = s.post(j.url + "job/p/config.xml", data=jenkins.EMPTY_CONFIG_XML, headers=XML)
    assert other_class.status_code == 500 and "Expecting class" in other_class.text
    assert s.put(j.url + "job/p/config.xml", data="x").status_code == 400
    bad_create = s.post(j.url + "createItem", params={"name": "x"}, data="not xml", headers=XML)
    assert bad_create.status_code == 500 and s.get(j.url + "job/x/api/json").status_code == 404
    entity = '<!DOCTYPE x [<!ENTITY a "aaaa">]><flow-definition>&a;</flow-definition>'
    assert s.post(j.url + "createItem", params={"name": "y"}, data=entity, headers=XML).status_code == 500
    assert "Traceback" not in malformed.text + other_class.text + bad_create.text
    assert s.get(j.url + "job/p/job/x/api/json").status_code == 404


def test_job_config_is_understood(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    for name in ("workflowjob-config-string-param.xml", "workflowjob-config-legacy-job-level-triggers.xml"):
        assert (
            s.post(
                j.url + "createItem", params={"name": name[:-4]}, data=sample(name), headers=XML
            ).status_code
            == 200
        )
    with j.state.lock:
        param_job = j.state.find_item("workflowjob-config-string-param")
        legacy = j.state.find_item("workflowjob-config-legacy-job-level-triggers")
    assert param_job.script == "echo params.ARG1" and param_job.sandbox  # type: ignore[union-attr]
    assert [(p.name, p.type) for p in param_job.parameters] == [("ARG1", "StringParameterDefinition")]  # type: ignore[union-attr]
    assert legacy.concurrent_build is False and legacy.sandbox is False  # type: ignore[union-attr]
    prop = s.get(j.url + "job/workflowjob-config-string-param/api/json").json()["property"]
    assert prop == [
        {
            "_class": "hudson.model.ParametersDefinitionProperty",
            "parameterDefinitions": [
                {
                    "_class": "hudson.model.StringParameterDefinition",
                    "defaultParameterValue": {
                        "_class": "hudson.model.StringParameterValue",
                        "name": "ARG1",
                        "value": "",
                    },
                    "description": None,
                    "name": "ARG1",
                    "type": "StringParameterDefinition",
                }
            ],
        }
    ]


def test_url_prefix_is_honoured(sandbox_jenkins_factory) -> None:  # type: ignore[no-untyped-def]
    j = sandbox_jenkins_factory(url_prefix="/jenkins")
    assert j.url.endswith("/jenkins/")
    client = python_jenkins(j)
    client.create_folder("f")
    assert client.get_job_info("f")["url"] == j.url + "job/f/"
    root = j.url.removesuffix("jenkins/")
    assert requests.get(root + "api/json", auth=(j.admin_user, j.admin_token)).status_code == 404
    created = token_session(j).post(
        j.url + "job/f/createItem", data={"name": "g", "mode": FOLDER_MODE}, allow_redirects=False
    )
    assert created.headers["Location"] == j.url + "job/f/job/g/configure"


def test_copy_creates_a_disabled_job(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    s.post(j.url + "createItem", params={"name": "p"}, data=pipeline_xml("echo 1"), headers=XML)
    copied = s.post(
        j.url + "createItem", params={"name": "p2", "mode": "copy", "from": "p"}, allow_redirects=False
    )
    assert copied.status_code == 302
    info = s.get(j.url + "job/p2/api/json").json()
    assert info["color"] == "disabled"
    assert (
        s.post(j.url + "createItem", params={"name": "p3", "mode": "copy", "from": "zz"}).headers["X-Error"]
        == "No such job: zz"
    )


def test_more_python_jenkins_calls(sandbox_jenkins: SandboxJenkins) -> None:
    client = python_jenkins(sandbox_jenkins)
    client.create_folder("f")
    client.upsert_job("f/p", pipeline_xml("echo 1"))
    client.upsert_job("f/p", pipeline_xml("echo 2"))
    assert "echo 2" in client.get_job_config("f/p")
    client.copy_job("f/p", "f/p-copy")
    assert client.get_job_name("f/p-copy") == "p-copy"
    assert client.jobs_count() == 3
    assert client.get_info()["_class"] == "hudson.model.Hudson"
    assert [j["name"] for j in client.get_jobs(view_name="all")] == ["f"]
    assert {j["name"] for j in client.get_info("job/f", query="?tree=jobs[name]")["jobs"]} == {"p", "p-copy"}
    with pytest.raises(jenkins.JenkinsException, match="already exists"):
        client.create_job("f/p", pipeline_xml())
    with pytest.raises(jenkins.JenkinsException):
        client.create_job("missing/p", pipeline_xml())
    assert client.get_job_info_regex("p-c", folder_depth=1)[0]["fullName"] == "f/p-copy"


def test_keep_alive_connection_survives_unread_bodies(sandbox_jenkins: SandboxJenkins) -> None:
    """Several requests on one connection, including refused POSTs whose bodies nobody reads."""
    j = sandbox_jenkins
    s = requests.Session()
    s.auth = (j.admin_user, j.admin_password)
    big = "x" * 200_000
    for _ in range(3):
        assert (
            s.post(j.url + "createItem", data={"name": big, "mode": FOLDER_MODE}).status_code == 403
        )  # no crumb
        assert s.get(j.url + "api/json").status_code == 200
        assert s.head(j.url + "api/json").status_code == 200
    chunked = token_session(j).post(
        j.url + "createItem", params={"name": "chunky"}, data=iter([pipeline_xml().encode()]), headers=XML
    )
    assert chunked.status_code == 200 and python_jenkins(j).job_exists("chunky")
