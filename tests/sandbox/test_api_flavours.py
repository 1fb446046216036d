"""``api/python`` and ``api/xml`` over HTTP: the same export as ``api/json`` for every object, compared
with the Jenkins samples, and ``xpath``/``exclude``/``wrapper``/``jsonp``/``pretty`` as ``hudson.model.Api``
answers them."""

from __future__ import annotations

import ast
import random
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests

from bridge.sandbox.jenkins import SandboxJenkins
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.test_shapes import assert_same_types, assert_subsequence
from tests.sandbox.wire import FOLDER_MODE, XML, pipeline_xml, sample, token_session

STRING_CRED = (
    "<org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl><scope>GLOBAL</scope>"
    "<id>tok</id><description>a &lt;token&gt;</description><secret>s3cr3t-value</secret>"
    "</org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl>"
)
NO_WHITESPACE_BETWEEN_ELEMENTS = re.compile(r">\s+<")


def populate(j: SandboxJenkins) -> requests.Session:
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "folder", "mode": FOLDER_MODE})
    s.post(j.url + "job/folder/createItem", params={"name": "pipeline"}, data=pipeline_xml(), headers=XML)
    s.post(j.url + "job/folder/createItem", data={"name": "folder2", "mode": FOLDER_MODE})
    s.post(j.url + "credentials/store/system/domain/_/createCredentials", data=STRING_CRED, headers=XML)
    return s


def xml_root(text: str) -> ET.Element:
    return ET.fromstring(text)


def singular(name: str) -> str:
    return re.sub("s$", "", re.sub("ies$", "y", name))


def assert_xml_matches_json(element: ET.Element, data: dict[str, Any]) -> None:
    """Every non-null property of the JSON export is in the XML: scalars as text (``true``/``false``),
    objects as elements with ``_class``, arrays as that many repeated singular elements."""
    assert element.get("_class") == data.get("_class")
    children = list(element)
    for key, value in data.items():
        if key == "_class" or value is None:
            continue
        if isinstance(value, list):
            present = [v for v in value if v is not None]
            matching = [c for c in children if c.tag == singular(key)]
            assert len(matching) == len(present), key
            for child, item in zip(matching, present, strict=True):
                if isinstance(item, dict):
                    assert_xml_matches_json(child, item)
                else:
                    assert child.text == _text(item), key
            continue
        found = [c for c in children if c.tag == key]
        assert len(found) == 1, key
        if isinstance(value, dict):
            assert_xml_matches_json(found[0], value)
        else:
            assert (found[0].text or "") == _text(value), key
    tags = {c.tag for c in children}
    expected = {singular(k) if isinstance(v, list) else k for k, v in data.items() if k != "_class"}
    assert tags <= expected, tags - expected


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_root_python_and_xml_shapes_match_the_samples(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = populate(j)
    python = s.get(j.url + "api/python")
    assert python.headers["Content-Type"] == "text/x-python;charset=UTF-8"
    assert not python.text.endswith("\n")
    expected = ast.literal_eval(sample("root-api-python.txt"))
    actual = ast.literal_eval(python.text)
    assert_subsequence(list(expected), list(actual))
    assert_same_types(expected, actual)
    assert "False" in python.text and "false" not in python.text
    assert actual == s.get(j.url + "api/json").json()

    xml = s.get(j.url + "api/xml")
    assert xml.headers["Content-Type"] == "application/xml;charset=UTF-8"
    body = xml.text
    sample_xml = sample("root-api-xml.xml").rstrip("\n")
    for text in (body, sample_xml):
        assert text.startswith("<hudson _class='hudson.model.Hudson'><assignedLabel><name>")
        assert not NO_WHITESPACE_BETWEEN_ELEMENTS.search(text)
        assert "<nodeName></nodeName>" in text and "<overallLoad></overallLoad>" in text
    ours, theirs = xml_root(body), xml_root(sample_xml)
    their_tags = [c.tag for c in theirs if c.tag != "description"]  # a system message the sandbox has none of
    assert_subsequence(list(dict.fromkeys(their_tags)), [c.tag for c in ours])
    assert [c.get("_class") for c in ours.iter("job")] == [c.get("_class") for c in theirs.iter("job")]
    assert ours.find("primaryView").get("_class") == theirs.find("primaryView").get("_class")  # type: ignore[union-attr]
    assert_xml_matches_json(ours, s.get(j.url + "api/json").json())


def test_every_exported_object_serves_three_flavours(sandbox_jenkins: SandboxJenkins) -> None:
    """One model: ``api/python`` evaluates to the ``api/json`` document, ``api/xml`` carries every
    property of it, for each kind of object and with ``depth``/``tree``."""
    j = sandbox_jenkins
    fast(j)
    s = populate(j)
    create_job(j, "built", "pipeline { agent any; stages { stage('a') { steps { echo 'x' } } } }")
    s.post(j.url + "job/built/build")
    wait_for(
        lambda: (
            s.get(j.url + "job/built/1/api/json").ok
            and s.get(j.url + "job/built/1/api/json").json()["result"]
        )
    )
    roots = {
        "": "hudson",
        "job/folder/": "folder",
        "job/folder/job/pipeline/": "workflowJob",
        "job/built/1/": "workflowRun",
        "job/built/lastBuild/": "workflowRun",
        "queue/": "queue",
        "queue/item/1/": "leftItem",
        "computer/": "computerSet",
        "view/all/": "allView",
        "job/folder/view/All/": "allView",
        "credentials/store/system/": "userFacingAction",  # SystemCredentialsProvider$UserFacingAction
        "credentials/store/system/domain/_/": "domainWrapper",
        "credentials/store/system/domain/_/credential/tok/": "credentialsWrapper",
        "whoAmI/": "whoAmI",
        "crumbIssuer/": "defaultCrumbIssuer",
        "me/": "user",
        "user/admin/": "user",
    }
    for path, root in roots.items():
        for params in ({}, {"depth": "1"}, {"tree": "name,jobs[name,color],builds[number]"}):
            data = s.get(j.url + path + "api/json", params=params)
            assert data.status_code == 200, path
            python = s.get(j.url + path + "api/python", params=params)
            assert python.status_code == 200, path
            assert python.headers["X-Frame-Options"] == "deny"
            assert python.headers["X-Content-Type-Options"] == "nosniff"
            assert ast.literal_eval(python.text) == data.json(), path
            xml = s.get(j.url + path + "api/xml", params=params)
            assert (xml.status_code, xml.headers["Content-Type"]) == (200, "application/xml;charset=UTF-8"), (
                path
            )
            assert xml.headers["X-Frame-Options"] == "deny"
            element = xml_root(xml.text)
            assert element.tag == root, path
            assert_xml_matches_json(element, data.json())
            assert not xml.text.startswith("<?xml")


def test_xml_escapes_text_and_omits_nulls(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    s.post(
        j.url + "createItem",
        params={"name": "esc"},
        data=pipeline_xml(description="a <b> & \"c\" 'd'"),
        headers=XML,
    )
    body = s.get(j.url + "job/esc/api/xml").text
    assert "<description>a &lt;b&gt; &amp; \"c\" 'd'</description>" in body
    assert xml_root(body).findtext("description") == "a <b> & \"c\" 'd'"
    data = s.get(j.url + "job/esc/api/json").json()
    assert data["lastBuild"] is None and "<lastBuild" not in body
    python = s.get(j.url + "job/esc/api/python").text
    assert '"lastBuild":None' in python


def test_pretty_and_jsonp(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE})
    tree = {"tree": "name,jobs[name]"}
    pretty = s.get(j.url + "job/f/api/json", params={**tree, "pretty": ""})  # any value: hasParameter
    assert pretty.text == (
        '{\n  "_class" : "com.cloudbees.hudson.plugins.folder.Folder",\n  "name" : "f",\n'
        '  "jobs" : [\n    \n  ]\n}'
    )
    python = s.get(j.url + "queue/api/python", params={"pretty": "false"})
    assert python.text == (
        '{\n  "_class" : "hudson.model.Queue",\n  "discoverableItems" : [\n    \n  ],\n'
        '  "items" : [\n    \n  ]\n}'
    )
    assert s.get(j.url + "job/f/api/xml", params={"pretty": "true"}).text.startswith("<folder _class='")
    jsonp = s.get(j.url + "job/f/api/json", params={**tree, "jsonp": "cb"})
    assert jsonp.status_code == 403
    assert "jsonp forbidden; implement jenkins.security.SecureRequester" in jsonp.text


def test_jsonp_and_primitive_xpath_with_the_insecure_property(sandbox_jenkins_factory: Any) -> None:
    j = sandbox_jenkins_factory(system_properties={"hudson.model.Api.INSECURE": "true"})
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE})
    jsonp = s.get(j.url + "job/f/api/json", params={"tree": "name", "jsonp": "cb"})
    assert jsonp.headers["Content-Type"] == "text/javascript;charset=UTF-8"
    assert jsonp.text == 'cb({"_class":"com.cloudbees.hudson.plugins.folder.Folder","name":"f"})'
    count = s.get(j.url + "api/xml", params={"xpath": "count(//job)"})
    assert (count.status_code, count.headers["Content-Type"], count.text) == (
        200,
        "text/plain;charset=UTF-8",
        "1.0",
    )
    name = s.get(j.url + "api/xml", params={"xpath": "/hudson/job/name/text()"})
    assert (name.status_code, name.text) == (200, "f")


@pytest.mark.parametrize(
    ("params", "status", "body"),
    [
        ({"xpath": "/hudson/view/name"}, 200, "<name>all</name>"),
        ({"xpath": "/hudson/job/name", "wrapper": "root"}, 200, "<root><name>a</name><name>b</name></root>"),
        ({"xpath": "/hudson/nonexistent", "wrapper": "root"}, 200, "<root/>"),
        ({"xpath": "/hudson/primaryView", "wrapper": "__GoodName-..-OK"}, 200, None),
        ({"xpath": "/hudson/nonexistent"}, 404, "XPath /hudson/nonexistent didn?t match"),
        (
            {"xpath": "/hudson/job/name"},
            500,
            'XPath "/hudson/job/name" matched 2 nodes. Create XPath that only matches one, or use the'
            ' "wrapper" query parameter to wrap them all under a root element.',
        ),
        (
            {"xpath": "*", "wrapper": 'html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script>'},
            400,
            "The wrapper parameter can only contain alphanumeric characters or dash/dot/underscore."
            " The first character has to be a letter or underscore.",
        ),
        ({"xpath": "*", "wrapper": "-badname"}, 400, None),
        ({"xpath": "count(//job)"}, 403, None),
        ({"xpath": "/hudson/job[1]/name/text()"}, 403, None),
        ({"xpath": 'document("/etc/passwd")'}, 500, None),
        ({"xpath": "/hudson/job["}, 500, None),
    ],
)
def test_xpath_wrapper_statuses(
    sandbox_jenkins: SandboxJenkins, params: dict[str, str], status: int, body: str | None
) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    for name in ("a", "b"):
        s.post(j.url + "createItem", data={"name": name, "mode": FOLDER_MODE})
    r = s.get(j.url + "api/xml", params=params)
    assert r.status_code == status
    if not r.headers.get("Content-Type", "").startswith("text/html"):  # not an error page
        assert r.headers["X-Frame-Options"] == "deny"
    if body is not None:
        assert r.text == body
    if status == 403:
        assert "primitive XPath result sets forbidden; implement jenkins.security.SecureRequester" in r.text
    if "document" in params["xpath"]:
        assert "Illegal function: document" in r.text and "root:" not in r.text
    assert "Traceback" not in r.text


def test_exclude_and_xpath_reserialise_like_dom4j(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "a", "mode": FOLDER_MODE})
    excluded = s.get(
        j.url + "api/xml",
        params=[("exclude", "/hudson/job"), ("exclude", "//view"), ("exclude", "//@_class")],
    )
    assert excluded.status_code == 200
    assert excluded.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<hudson>')
    root = ET.fromstring(excluded.text.split("\n", 1)[1])
    assert root.find("job") is None and root.find("view") is None and root.find("primaryView") is not None
    assert "<nodeName/>" in excluded.text  # dom4j writes empty elements collapsed
    job = s.get(j.url + "api/xml", params={"xpath": "/hudson/job"})
    assert job.text == (
        f'<job _class="com.cloudbees.hudson.plugins.folder.Folder"><name>a</name><url>{j.url}job/a/</url>'
        "</job>"
    )
    deep = s.get(j.url + "api/xml", params={"tree": "jobs[name]", "xpath": "/hudson/job/url", "wrapper": "w"})
    assert deep.text == "<w/>"  # tree= prunes before the XPath applies


XPATH_TOKENS = (
    "/",
    "//",
    "hudson",
    "job",
    "name",
    "*",
    "@_class",
    "text()",
    "[",
    "]",
    "1",
    "(",
    ")",
    "count",
    "..",
    "|",
    "'x'",
    "=",
    "string",
    "document",
    "node()",
    "::",
    "child",
    ",",
    "and",
    "-",
    "$v",
    "{",
    "\x00",
    "é",
)


def test_random_xpath_exclude_and_wrapper_never_break_it(sandbox_jenkins: SandboxJenkins) -> None:
    """Whatever the expressions, the answer is one of doXml's (200, 400, 403, 404, 500 with Jenkins'
    message); the fixture fails the test on any emulator bug."""
    j = sandbox_jenkins
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "a", "mode": FOLDER_MODE})
    rng = random.Random(9)
    for _ in range(150):
        expression = "".join(rng.choice(XPATH_TOKENS) for _ in range(rng.randint(1, 6)))
        params: list[tuple[str, str]] = [(rng.choice(("xpath", "exclude")), expression)]
        if rng.random() < 0.3:
            params.append(("wrapper", rng.choice(("w", "-w", "a b", "x.y"))))
        if rng.random() < 0.3:
            params.append(("exclude", "".join(rng.choice(XPATH_TOKENS) for _ in range(3))))
        r = s.get(j.url + rng.choice(("", "job/a/", "queue/", "computer/")) + "api/xml", params=params)
        assert r.status_code in (200, 400, 403, 404, 500), (params, r.status_code)
        assert "Traceback" not in r.text
    assert j.unhandled_errors == 0


def test_input_action_and_running_build_in_three_flavours(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    script = (
        "pipeline { agent any; stages { stage('a') { steps { input(id: 'go', message: 'Go?', "
        "parameters: [string(name: 'NOTE', defaultValue: 'n')]) } } } }"
    )
    create_job(j, "gate", script)
    s = token_session(j)
    s.post(j.url + "job/gate/build")
    wait_for(lambda: s.get(j.url + "job/gate/1/wfapi/pendingInputActions").json())
    for path, root in (("job/gate/1/input/", "inputAction"), ("job/gate/1/", "workflowRun")):
        for params in ({}, {"depth": "2"}):
            data = s.get(j.url + path + "api/json", params=params).json()
            assert ast.literal_eval(s.get(j.url + path + "api/python", params=params).text) == data
            element = xml_root(s.get(j.url + path + "api/xml", params=params).text)
            assert element.tag == root
            assert_xml_matches_json(element, data)
    xml = s.get(j.url + "job/gate/1/input/api/xml", params={"depth": "2"}).text
    assert "<execution _class='org.jenkinsci.plugins.workflow.support.steps.input.InputStepExecution'>" in xml
    assert "<waitingForInput>true</waitingForInput>" in xml
    name = s.get(j.url + "job/gate/1/input/api/xml", params={"depth": "2", "xpath": "//parameter/name"})
    assert name.text == "<name>NOTE</name>"
