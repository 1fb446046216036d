"""matrix-auth's item properties (three inheritance strategies, the parent-read rule, legacy lines) and the
executors' causes of blockage, over HTTP."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bridge.sandbox.jenkins import SandboxJenkins, UserSpec
from tests.sandbox.pipeline_helpers import fast, wait_for
from tests.sandbox.tenancy_helpers import COMPOSE_AGENT, SHIPPED, job, project, session, start
from tests.sandbox.wire import XML, pipeline_xml

MATRIX = """
jenkins:
  numExecutors: 0
  securityRealm:
    local:
      users:
        - id: admin
          password: "${admin-pw}"
  authorizationStrategy:
    STRATEGY:
      entries:
        - user: {name: admin, permissions: [Overall/Administer]}
        - group: {name: authenticated, permissions: [Overall/Read]}
        - user: {name: gina, permissions: [Job/Read, Job/Build]}
"""
PARENT = "org.jenkinsci.plugins.matrixauth.inheritance.InheritParentStrategy"
GLOBAL = "org.jenkinsci.plugins.matrixauth.inheritance.InheritGlobalStrategy"
NONE = "org.jenkinsci.plugins.matrixauth.inheritance.NonInheritingStrategy"


def matrix_jenkins(factory: Any, tmp: Path, strategy: str) -> SandboxJenkins:
    path = tmp / f"{strategy}.yaml"
    path.write_text(MATRIX.replace("STRATEGY", strategy), encoding="utf-8")
    (tmp / "s").mkdir(exist_ok=True)
    (tmp / "s" / "admin-pw").write_text("pw", encoding="utf-8")
    users = [UserSpec(u, tokens=(f"{u}-token",)) for u in ("gina", "ursula")]
    j: SandboxJenkins = factory(
        casc=path, casc_environ={}, secrets_dir=tmp / "s", admin_user="admin", admin_token="adm", users=users
    )
    fast(j)
    return j


def _property(tag: str, strategy: str | None, lines: list[str]) -> ET.Element:
    prop = ET.Element(tag)
    if strategy:
        ET.SubElement(prop, "inheritanceStrategy", {"class": strategy})
    for line in lines:
        ET.SubElement(prop, "permission").text = line
    return prop


def folder(j: SandboxJenkins, path: str, strategy: str | None = None, lines: tuple[str, ...] = ()) -> None:
    root = ET.Element("com.cloudbees.hudson.plugins.folder.Folder")
    properties = ET.SubElement(root, "properties")
    if strategy:
        tag = "com.cloudbees.hudson.plugins.folder.properties.AuthorizationMatrixProperty"
        properties.append(_property(tag, strategy, list(lines)))
    _create(j, path, ET.tostring(root, encoding="unicode"))


def pipeline(j: SandboxJenkins, path: str, strategy: str | None = None, lines: tuple[str, ...] = ()) -> None:
    root = ET.fromstring(pipeline_xml("echo hi").split("\n", 1)[1])
    if lines:
        root.find("properties").append(  # type: ignore[union-attr]
            _property("hudson.security.AuthorizationMatrixProperty", strategy, list(lines))
        )
    _create(j, path, ET.tostring(root, encoding="unicode"))


def _create(j: SandboxJenkins, path: str, body: str) -> None:
    parent, _, name = path.rpartition("/")
    base = j.url + "".join(f"job/{p}/" for p in parent.split("/") if p)
    s = session(j)
    s.auth = ("admin", "adm")
    r = s.post(f"{base}createItem", params={"name": name}, data=body, headers=XML)
    assert r.status_code == 200, r.text


def status(j: SandboxJenkins, user: str, path: str) -> int:
    url = j.url + "".join(f"job/{p}/" for p in path.split("/")) + "api/json"
    s = session(j, user)
    s.auth = (user, "adm" if user == "admin" else f"{user}-token")
    return int(s.get(url).status_code)


def test_inheritance_strategies_under_project_matrix(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    j = matrix_jenkins(sandbox_jenkins_factory, tmp_path, "projectMatrix")
    folder(j, "inh", PARENT, ("USER:hudson.model.Item.Read:ursula",))
    folder(j, "glob", GLOBAL, ("USER:hudson.model.Item.Read:ursula",))
    folder(j, "none", NONE, ("USER:hudson.model.Item.Read:ursula",))
    folder(j, "plain")  # no property: the global matrix
    for name in ("inh", "glob", "none", "plain"):
        pipeline(j, f"{name}/j")
    expected = {  # (gina: global Job/Read, ursula: granted in the folder)
        "inh": (200, 200),
        "glob": (200, 200),
        "none": (404, 200),
        "plain": (200, 404),
    }
    for name, (gina, ursula) in expected.items():
        for path in (name, f"{name}/j"):
            assert (status(j, "gina", path), status(j, "ursula", path)) == (gina, ursula), path
    assert status(j, "admin", "none/j") == 200, "NonInheriting still lets global administrators through"
    # a job-level property: legacy unprefixed lines count for users and groups alike
    pipeline(j, "plain/mine", NONE, ("hudson.model.Item.Read:ursula",))
    assert status(j, "ursula", "plain/mine") == 404, "parent-read rule: no Job/Read on the folder"
    pipeline(j, "glob/mine", NONE, ("hudson.model.Item.Read:ursula",))
    assert status(j, "ursula", "glob/mine") == 200
    assert status(j, "gina", "glob/mine") == 404


def test_inherit_global_skips_the_parent_folder(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    """gina holds Job/Build globally; ``outer`` (non-inheriting) only lets her read. Below it, a folder that
    inherits from the global matrix gives her Build; one that inherits from its parent does not."""
    j = matrix_jenkins(sandbox_jenkins_factory, tmp_path, "projectMatrix")
    folder(j, "outer", NONE, ("USER:hudson.model.Item.Read:gina",))
    folder(j, "outer/g", GLOBAL, ("USER:hudson.model.Item.Read:nobody",))
    folder(j, "outer/p", PARENT, ("USER:hudson.model.Item.Read:nobody",))
    pipeline(j, "outer/g/j")
    pipeline(j, "outer/p/j")
    gina = session(j, "gina")
    assert gina.post(f"{j.url}job/outer/job/g/job/j/build").status_code == 201
    r = gina.post(f"{j.url}job/outer/job/p/job/j/build")
    assert r.status_code == 403 and r.headers["X-Required-Permission"] == "hudson.model.Item.Build"


def test_parent_read_rule_hides_running_builds(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    """A job-level Job/Read without Job/Read on its folder is no Job/Read (the executors API)."""
    j = matrix_jenkins(sandbox_jenkins_factory, tmp_path, "projectMatrix")
    folder(j, "plain")
    root = ET.fromstring(pipeline_xml("input message: 'go?'").split("\n", 1)[1])
    root.find("properties").append(  # type: ignore[union-attr]
        _property("hudson.security.AuthorizationMatrixProperty", NONE, ["USER:hudson.model.Item.Read:ursula"])
    )
    _create(j, "plain/mine", ET.tostring(root, encoding="unicode"))
    admin = session(j)
    admin.auth = ("admin", "adm")
    assert admin.post(f"{j.url}job/plain/job/mine/build").status_code == 201
    wait_for(lambda: admin.get(f"{j.url}job/plain/job/mine/1/wfapi/pendingInputActions").json())
    tree = {"tree": "computer[oneOffExecutors[currentExecutable[url]]]"}
    for user, visible in (("admin", True), ("gina", False), ("ursula", False)):
        s = session(j, user)
        s.auth = (user, "adm" if user == "admin" else f"{user}-token")
        executors = s.get(f"{j.url}computer/api/json", params=tree).json()["computer"][0]["oneOffExecutors"]
        assert (executors[0]["currentExecutable"] is not None) is visible, user
    admin.post(f"{j.url}job/plain/job/mine/1/stop")


def test_global_matrix_ignores_item_properties(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    j = matrix_jenkins(sandbox_jenkins_factory, tmp_path, "globalMatrix")
    folder(j, "none", NONE, ("USER:hudson.model.Item.Read:ursula",))
    pipeline(j, "none/j")
    assert (status(j, "gina", "none/j"), status(j, "ursula", "none/j")) == (200, 404)


def test_discover_without_read_is_a_403_naming_the_item(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    j = matrix_jenkins(sandbox_jenkins_factory, tmp_path, "projectMatrix")
    folder(j, "outer", NONE, ("USER:hudson.model.Item.Discover:ursula",))
    folder(j, "outer/inner", NONE, ("USER:hudson.model.Item.Discover:ursula",))
    r = session(j, "ursula").get(f"{j.url}job/outer/api/json")
    assert r.status_code == 403 and "Please login to access job outer" in r.text
    assert "X-Required-Permission" not in r.headers
    # inside a folder the message differs; the parent-read rule needs Discover on outer too (granted)
    r = session(j, "ursula").get(f"{j.url}job/outer/job/inner/api/json")
    assert r.status_code == 403


@pytest.fixture
def with_agent(sandbox_jenkins_factory: Any, tmp_path: Path) -> SandboxJenkins:
    j = start(sandbox_jenkins_factory, tmp_path, casc=[SHIPPED, COMPOSE_AGENT])
    project(j, "team-a", {"alice": "operator"})
    return j


def console(j: SandboxJenkins, path: str, number: int = 1) -> str:
    url = j.url + "".join(f"job/{p}/" for p in path.split("/")) + f"{number}/consoleText"
    return str(session(j).get(url).text)


def trigger(j: SandboxJenkins, path: str) -> None:
    url = j.url + "".join(f"job/{p}/" for p in path.split("/")) + "build"
    assert session(j).post(url).status_code == 201


def test_static_agent_executors_and_what_blocks_a_node(with_agent: SandboxJenkins) -> None:
    j = with_agent
    job(j, "team-a", "hold", "node('static') { input message: 'go?' }")
    for number in (1, 2, 3):  # one after the other: identical queued requests would be merged
        trigger(j, "team-a/hold")
        wait_for(lambda n=number: console(j, "team-a/hold", n))
    here = "Running on static-agent in /home/jenkins/agent/workspace/team-a_hold"
    queued = "Waiting for next available executor on \u2018static-agent\u2019"

    def split() -> tuple[list[str], list[str], list[str]]:
        texts = [console(j, "team-a/hold", n) for n in (1, 2, 3)]
        return texts, [t for t in texts if here in t], [t for t in texts if queued in t]

    texts, running, waiting = wait_for(lambda: (r := split()) and len(r[1]) == 2 and len(r[2]) == 1 and r)
    assert not [t for t in running if queued in t]
    # the first block ends: its executor goes to the waiting one
    first = texts.index(running[0]) + 1
    waiter = texts.index(waiting[0]) + 1
    base = f"{j.url}job/team-a/job/hold/"
    pending = wait_for(lambda: session(j).get(f"{base}{first}/wfapi/pendingInputActions").json())
    assert session(j).post(f"{base}{first}/input/{pending[0]['id']}/proceedEmpty").status_code == 200
    assert wait_for(lambda: "Running on static-agent" in console(j, "team-a/hold", waiter))
    # more blockages, each with Jenkins's cause
    job(j, "team-a", "nolabel", "node('nope') { echo 'x' }")
    job(j, "team-a", "builtin", "node('built-in') { echo 'x' }")
    trigger(j, "team-a/nolabel")
    trigger(j, "team-a/builtin")
    assert wait_for(
        lambda: "There are no nodes with the label \u2018nope\u2019" in console(j, "team-a/nolabel")
    )
    assert wait_for(lambda: "executor on \u2018Jenkins\u2019" in console(j, "team-a/builtin"))
    # a job without the authorize-project property runs as anonymous: no Agent/Build (shown while the
    # label has an idle executor, so free the static agent first)
    s = session(j)
    for number in (1, 2, 3):
        s.post(f"{base}{number}/stop")
    wait_for(lambda: all(s.get(f"{base}{n}/api/json").json()["result"] for n in (1, 2, 3)))
    body = pipeline_xml("node('static') { echo 'x' }")
    assert s.post(f"{j.url}job/team-a/createItem", params={"name": "stray"}, data=body, headers=XML).ok
    trigger(j, "team-a/stray")
    assert wait_for(
        lambda: (
            "\u2018anonymous\u2019 lacks permission to run on \u2018static-agent\u2019"
            in console(j, "team-a/stray")
        )
    )
    for path in ("team-a/hold", "team-a/nolabel", "team-a/builtin", "team-a/stray"):
        with j.state.lock:
            numbers = list(j.state.find_item(path).builds)  # type: ignore[union-attr]
        for number in numbers:
            url = j.url + "".join(f"job/{p}/" for p in path.split("/")) + f"{number}/stop"
            s.post(url)
