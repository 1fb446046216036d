"""Stapler's three data writers on exported models, and the sandbox standing apart from the bridge."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from bridge.sandbox.jenkins import writers
from bridge.sandbox.jenkins.export import Bean, export, pruner_from

MODEL = {
    "_class": "hudson.model.Hudson",
    "assignedLabels": [{"name": "master"}],
    "description": None,
    "jobs": [
        {"_class": "com.cloudbees.hudson.plugins.folder.Folder", "name": "folder"},
        {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob", "name": "p"},
    ],
    "overallLoad": {},
    "properties": [{"a": 1}],
    "quietingDown": False,
    "useSecurity": True,
    "numExecutors": 2,
}


def test_xml_writer_follows_stapler() -> None:
    assert writers.write_xml(MODEL) == (
        "<hudson _class='hudson.model.Hudson'><assignedLabel><name>master</name></assignedLabel>"
        "<job _class='com.cloudbees.hudson.plugins.folder.Folder'><name>folder</name></job>"
        "<job _class='org.jenkinsci.plugins.workflow.job.WorkflowJob'><name>p</name></job>"
        "<overallLoad></overallLoad><property><a>1</a></property><quietingDown>false</quietingDown>"
        "<useSecurity>true</useSecurity><numExecutors>2</numExecutors></hudson>"
    )


def test_python_writer_is_json_with_python_literals() -> None:
    text = writers.write_python(MODEL)
    assert '"description":None' in text and '"quietingDown":False' in text and '"useSecurity":True' in text
    assert ast.literal_eval(text) == MODEL
    assert writers.write_json(MODEL) == json.dumps(MODEL, separators=(",", ":"))


def test_json_strings_escape_controls_and_surrogates_as_java_does() -> None:
    text = 'a"b\\c\nd\te\x7f\u0085é😀'
    written = writers.json_string(text)
    assert written == '"a\\"b\\\\c\\u000ad\\u0009e\\u007f\\u0085é\\ud83d\\ude00"'
    assert json.loads(written) == text
    assert ast.literal_eval(writers.write_python({"s": "x\ny"})) == {"s": "x\ny"}


TRICKY = [
    "plain",
    'quote " backslash \\ slash /',
    "\\n is not a newline, \n is; \r \t \b \f \x00 \x1f",
    "\x7f \x80 \x9f \xa0 é ü ß",
    "astral 😀 𝄞",
    "null true false None",
    '\\"',
    "\\\\u000a",
]


@pytest.mark.parametrize("text", TRICKY)
def test_compact_writers_equal_the_reference_writer(text: str) -> None:
    model = {"_class": "C", "s": text, text: [None, True, False, 1, 2.5, {}, [], {"k": text}]}
    json_text = writers.write_json(model)
    assert json_text == writers.write_streamed(model, pretty=False, python=False)
    python_text = writers.write_python(model)
    assert python_text == writers.write_streamed(model, pretty=False, python=True)
    assert json.loads(json_text) == model
    # a Python literal keeps Java's surrogate pairs as two code points: equal once both are ASCII JSON
    assert json.dumps(ast.literal_eval(python_text)) == json.dumps(model)


def test_pretty_json_and_python_as_stapler_indents() -> None:
    model = {"_class": "C", "a": [1, {"b": None}], "e": {}}
    assert writers.write_python(model, pretty=True) == (
        '{\n  "_class" : "C",\n  "a" : [\n    1,\n    {\n      "b" : None\n    }\n  ],\n'
        '  "e" : {\n    \n  }\n}'
    )


def test_xml_names_and_text_cannot_inject_markup() -> None:
    hostile = {
        "_class": "a.B$Inner",
        "x><script>": "<script>&amp;</script>",
        "1st": "one",
        "": "empty",
        "entries": [["nested", "array"]],
        "ok": ["<a>", "b"],
    }
    text = writers.write_xml(hostile)
    root = ET.fromstring(text)
    assert root.tag == "inner"
    assert [c.tag for c in root] == ["xscript", "st", "_", "entry", "entry", "ok", "ok"]
    assert root.findtext("xscript") == "<script>&amp;</script>"
    assert [c.text for c in root.findall("ok")] == ["<a>", "b"]
    assert "<script>" not in text


@pytest.mark.parametrize(
    ("name", "singular"),
    [
        ("jobs", "job"),
        ("properties", "property"),
        ("assignedLabels", "assignedLabel"),
        ("ies", "y"),
        ("x", "x"),
    ],
)
def test_singular(name: str, singular: str) -> None:
    assert writers.singular(name) == singular


@pytest.mark.parametrize(
    ("java_class", "root"),
    [
        ("hudson.model.Hudson", "hudson"),
        ("hudson.model.Queue$WaitingItem", "waitingItem"),
        ("org.jenkinsci.plugins.workflow.job.WorkflowRun", "workflowRun"),
        ("a.URLThing", "URLThing"),
    ],
)
def test_root_element(java_class: str, root: str) -> None:
    assert writers.root_element(java_class) == root


def test_tree_and_depth_prune_before_any_writer() -> None:
    bean = (
        Bean("a.Top").add("name", "t").add("child", Bean("a.Child").add("deep", "d", 2).add("hidden", "h", 0))
    )
    for args, expected in [
        ({}, "<top _class='a.Top'><name>t</name><child _class='a.Child'><deep>d</deep></child></top>"),
        (
            {"tree": "child[hidden]"},
            "<top _class='a.Top'><child _class='a.Child'><hidden>h</hidden></child></top>",
        ),
    ]:
        assert writers.write_xml(export(bean, pruner_from(args))) == expected


def test_the_sandbox_loads_nothing_of_the_bridge_outside_it() -> None:
    """Run a sandbox in a fresh interpreter: every route module is imported, no bridge module outside
    ``bridge.sandbox`` is (the import contract checks the source; this checks what actually loads)."""
    code = (
        "import sys\n"
        "from bridge.sandbox.jenkins import SandboxJenkins\n"
        "with SandboxJenkins(admin_token='t') as j:\n"
        "    assert len(j.app.modules) > 5\n"
        "outside = [m for m in sys.modules if m.split('.')[:2] != ['bridge', 'sandbox']]\n"
        "outside = [m for m in outside if m.startswith('bridge.')]\n"
        "print(sorted(outside))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
