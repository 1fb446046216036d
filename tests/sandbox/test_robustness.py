"""Odd requests never break the sandbox: no traceback, no unplanned 500.

Real Jenkins answers 500 for a few client mistakes (malformed config.xml, unknown XStream class,
malformed ``tree=``, non-numeric ``depth``); the sandbox copies those and nothing else. The fixture
also checks that no request reached an emulator bug (``unhandled_errors``)."""

from __future__ import annotations

import base64
import json
import random

import requests

from bridge.sandbox.jenkins import SandboxJenkins
from tests.sandbox.wire import FOLDER_MODE, XML, pipeline_xml, token_session

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
SEGMENTS = (
    "job",
    "f",
    "p",
    "api",
    "json",
    "xml",
    "config.xml",
    "createItem",
    "doDelete",
    "credentials",
    "store",
    "folder",
    "system",
    "domain",
    "_",
    "credential",
    "c",
    "createCredentials",
    "enable",
    "disable",
    "confirmRename",
    "doRename",
    "",
    "..",
    "%2e%2e",
    "%00",
    "é",
    "✓",
    "x" * 300,
    "crumbIssuer",
    "whoAmI",
    "lastBuild",
    "1",
    "-1",
    "queue",
    "item",
    "updateSubmit",
    "configure",
    "%2F",
)
BODIES: tuple[tuple[dict[str, str], bytes], ...] = (
    ({}, b""),
    (XML, b"<flow-definition"),
    (XML, b"\xff\xfe\x00garbage"),
    (XML, pipeline_xml().encode()),
    ({"Content-Type": "application/x-www-form-urlencoded"}, b"json=%7B&mode=x&name=%00"),
    ({"Content-Type": "application/json"}, b'{"credentials": []}'),
    ({"Content-Type": "text/xml; charset=bogus"}, "<a>é</a>".encode("latin-1")),
)


def planned_500(resp: requests.Response) -> bool:
    return resp.status_code == 500 and any(
        m in resp.text
        for m in (
            "Failed to persist config.xml",
            "Unable to read",
            "Expecting class",
            "Malformed tree",
            "Depth parameter",
        )
    )


def check(resp: requests.Response) -> None:
    assert "Traceback" not in resp.text and 'File "' not in resp.text
    assert resp.status_code != 500 or planned_500(resp), (
        resp.request.method,
        resp.request.url,
        resp.text[:200],
    )
    assert resp.headers.get("X-Jenkins")


def seed_items(j: SandboxJenkins) -> requests.Session:
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE})
    s.post(j.url + "job/f/createItem", params={"name": "p"}, data=pipeline_xml(), headers=XML)
    return s


def test_random_paths_methods_and_bodies(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = seed_items(j)
    rng = random.Random(7)
    for _ in range(400):
        path = "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(0, 7)))
        headers, body = rng.choice(BODIES)
        resp = s.request(rng.choice(METHODS), j.url + path, headers=headers, data=body, allow_redirects=False)
        check(resp)


def test_specific_odd_requests(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = seed_items(j)
    odd = [
        ("GET", "job/", {}, b""),
        ("GET", "job//api/json", {}, b""),
        ("GET", "api/json?tree=jobs[" + "a," * 500 + "b]", {}, b""),
        ("GET", "api/json?depth=-5", {}, b""),
        ("GET", "api/json?depth=99999", {}, b""),
        ("POST", "createItem?name=" + "n" * 10000, XML, pipeline_xml().encode()),
        ("POST", "createItem?name=%E2%9C%93%F0%9F%9A%80", XML, pipeline_xml().encode()),
        ("POST", "createItem?name=a&name=b", XML, pipeline_xml().encode()),
        (
            "POST",
            "createItem?name=c",
            XML,
            b"<?xml version='1.0'?><!DOCTYPE a SYSTEM 'file:///etc/passwd'><a/>",
        ),
        ("POST", "createItem?name=d", XML, b"<unknown.Class/>"),
        ("POST", "job/f/job/p/config.xml", XML, b"<com.cloudbees.hudson.plugins.folder.Folder/>"),
        ("POST", "job/f/job/p/config.xml", XML, b""),
        ("POST", "credentials/store/system/domain/_/createCredentials", XML, b"<x>"),
        (
            "POST",
            "credentials/store/system/domain/_/createCredentials",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"json=%5B%5D",
        ),
        (
            "POST",
            "credentials/store/system/domain/_/createCredentials",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b'json={"credentials":"s"}',
        ),
        (
            "POST",
            "credentials/store/system/domain/_/createCredentials",
            {"Content-Type": "application/x-www-form-urlencoded"},
            b'json={"credentials":{"$class":"x"}}',
        ),
        ("POST", "job/f/job/p/confirmRename", {}, b""),
        ("POST", "job/f/job/p/confirmRename?newName=" + "%01", {}, b""),
        ("GET", "job/f/credentials/store/folder/domain/_/credential/%00/config.xml", {}, b""),
    ]
    for method, path, headers, body in odd:
        check(s.request(method, j.url + path, headers=headers, data=body, allow_redirects=False))


def test_malformed_authorization_headers(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    for value in (
        "Basic !!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
        "Bearer abc",
        "Basic",
    ):
        resp = requests.get(j.url + "api/json", headers={"Authorization": value})
        check(resp)
        assert resp.status_code in (401, 403)
    junk_crumb = requests.post(
        j.url + "createItem",
        auth=(j.admin_user, j.admin_password),
        headers={"Jenkins-Crumb": "\u00e9" * 3},
        data={"x": json.dumps([1])},
    )
    assert junk_crumb.status_code == 403
