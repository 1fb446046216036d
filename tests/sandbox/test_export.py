"""Stapler's tree= / depth= pruning (reference §0.3), on beans and over HTTP."""

from __future__ import annotations

import pytest

from bridge.sandbox.jenkins import SandboxJenkins
from bridge.sandbox.jenkins.errors import Oops
from bridge.sandbox.jenkins.export import Bean, export, parse_tree, pruner_from
from tests.sandbox.wire import FOLDER_MODE, XML, pipeline_xml, token_session


def build(n: int) -> Bean:
    return Bean("Run").add("number", n, 2).add("url", f"u/{n}", 2).add("log", "x", 1)


def job() -> Bean:
    return (
        Bean("Job")
        .add("name", "j", 999)
        .add("color", "blue", 2)
        .add("builds", [build(3), build(2), build(1)])
        .add("hidden", "h", -2)
        .add("inline", [Bean("Prop").add("deep", Bean("V").add("v", 1, 3), 2)], inline=True)
    )


def test_depth_levels_follow_visibility() -> None:
    assert export(job(), pruner_from({})) == {
        "_class": "Job",
        "name": "j",
        "color": "blue",
        "builds": [{"_class": "Run", "number": n, "url": f"u/{n}"} for n in (3, 2, 1)],
        "inline": [{"_class": "Prop", "deep": {"_class": "V", "v": 1}}],
    }
    nested = export(Bean("Top").add("job", job()), pruner_from({"depth": "0"}))
    assert nested["job"] == {"_class": "Job", "name": "j", "color": "blue"}
    deep = export(job(), pruner_from({"depth": "1"}))
    assert deep["builds"][0] == {"_class": "Run", "number": 3, "url": "u/3", "log": "x"}
    assert "hidden" not in deep


def test_tree_selects_names_ignores_visibility_and_slices() -> None:
    data = export(job(), pruner_from({"tree": "hidden,builds[number]{0,2},name"}))
    assert data == {
        "_class": "Job",
        "name": "j",
        "builds": [{"_class": "Run", "number": 3}, {"_class": "Run", "number": 2}],
        "hidden": "h",
    }
    assert export(job(), parse_tree("builds{1}"))["builds"] == [{"_class": "Run"}]
    assert [b["number"] for b in export(job(), parse_tree("builds[number]{1,}"))["builds"]] == [2, 1]
    assert [b["number"] for b in export(job(), parse_tree("builds[number]{,1}"))["builds"]] == [3]


@pytest.mark.parametrize("tree", ["", "a[", "a]", "a[b", "a{x}", ",", "a,,b", "a[]", "a{1"])
def test_malformed_trees_are_oops(tree: str) -> None:
    with pytest.raises(Oops, match="Malformed tree expression"):
        parse_tree(tree)


def test_non_numeric_depth_is_oops() -> None:
    with pytest.raises(Oops, match="Depth parameter must be a number"):
        pruner_from({"depth": "deep"})


def test_tree_queries_over_http(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    s = token_session(j)
    s.post(j.url + "createItem", data={"name": "f", "mode": FOLDER_MODE})
    s.post(j.url + "job/f/createItem", data={"name": "g", "mode": FOLDER_MODE})
    s.post(j.url + "job/f/job/g/createItem", params={"name": "p"}, data=pipeline_xml(), headers=XML)
    data = s.get(j.url + "api/json", params={"tree": "jobs[name,jobs[name,jobs]]"}).json()
    assert data == {
        "_class": "hudson.model.Hudson",
        "jobs": [
            {
                "_class": "com.cloudbees.hudson.plugins.folder.Folder",
                "name": "f",
                "jobs": [
                    {
                        "_class": "com.cloudbees.hudson.plugins.folder.Folder",
                        "name": "g",
                        "jobs": [{"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob"}],
                    }
                ],
            }
        ],
    }
    pretty = s.get(j.url + "job/f/api/json", params={"tree": "name", "pretty": "true"})
    assert pretty.text.startswith("{\n")
    bad = s.get(j.url + "api/json", params={"tree": "jobs[name"})
    assert bad.status_code == 500 and "Malformed tree expression" in bad.text and "Traceback" not in bad.text
    assert s.get(j.url + "api/json", params={"depth": "x"}).status_code == 500
