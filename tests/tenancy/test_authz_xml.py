"""The tenancy XML the bridge writes: exact shapes, matrix-auth's order, hostile names, parsing back."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
import pytest

from bridge.adapters.jenkins.configxml import (
    folder_grants,
    folder_grants_drifted,
    parse_run_as,
    render_folder,
    render_pipeline,
    update_folder,
)
from bridge.adapters.jenkins.configxml.authz import NON_INHERITING, FolderGrants, parse_matrix
from bridge.domain.model import Pipeline, Project
from bridge.identity.roles import Role
from bridge.identity.tenancy import Member
from bridge.reconcile.render import pipeline_drifted

KEY = b"k" * 32
RUN_AS = (
    "<org.jenkinsci.plugins.authorizeproject.AuthorizeProjectProperty>"
    '<strategy class="org.jenkinsci.plugins.authorizeproject.strategy.SpecificUsersAuthorizationStrategy">'
    "<userid>jb-project-demo</userid>"
    "<dontRestrictJobConfiguration>false</dontRestrictJobConfiguration>"
    "</strategy>"
    "</org.jenkinsci.plugins.authorizeproject.AuthorizeProjectProperty>"
)
MATRIX = "com.cloudbees.hudson.plugins.folder.properties.AuthorizationMatrixProperty"
PIPELINE = Pipeline(project="demo", name="build", jenkinsfile="echo hi")


def _properties(xml: bytes) -> ET.Element:
    node = SafeET.fromstring(xml).find("properties")
    assert node is not None
    return node


@pytest.mark.parametrize("requested_by", [True, False], ids=["parameter", "user-token"])
def test_every_job_runs_as_the_project_identity(requested_by: bool) -> None:
    rendered = render_pipeline(PIPELINE, key=KEY, requested_by=requested_by, run_as="jb-project-demo")
    properties = _properties(rendered.xml)
    assert ET.tostring(properties[0], encoding="unicode") == RUN_AS
    assert parse_run_as(properties) == "jb-project-demo"


def test_the_folder_matrix_is_exact_and_sorted_as_matrix_auth_writes_it() -> None:
    members = [
        Member(group=False, subject="zoe", role=Role.VIEWER),
        Member(group=True, subject="devs", role=Role.OPERATOR),
        Member(group=False, subject="bob", role=Role.VIEWER),  # project viewer...
        Member(group=False, subject="bob", role=Role.ADMIN),  # ...and workspace admin: admin wins
    ]
    rendered = render_folder(
        Project(name="demo", workspace="w"), key=KEY, grants=folder_grants("jb-project-demo", members)
    )
    prop = _properties(rendered.xml).find(MATRIX)
    assert prop is not None
    first = prop[0]
    assert (first.tag, first.get("class"), first.text) == ("inheritanceStrategy", NON_INHERITING, None)
    assert [c.text for c in prop.findall("permission")] == [
        "GROUP:hudson.model.Item.Build:devs",
        "USER:hudson.model.Item.Build:bob",
        "USER:hudson.model.Item.Build:jb-project-demo",
        "GROUP:hudson.model.Item.Cancel:devs",
        "USER:hudson.model.Item.Cancel:bob",
        "USER:hudson.model.Item.Cancel:jb-project-demo",
        "USER:hudson.model.Item.Configure:jb-project-demo",
        "GROUP:hudson.model.Item.Read:devs",
        "USER:hudson.model.Item.Read:bob",
        "USER:hudson.model.Item.Read:jb-project-demo",
        "USER:hudson.model.Item.Read:zoe",
        "USER:hudson.model.Run.Replay:bob",
    ]


def test_subjects_are_sorted_and_merged_ignoring_case_as_jenkins_ids_are() -> None:
    members = [
        Member(group=False, subject="bob", role=Role.VIEWER),
        Member(group=False, subject="Alice", role=Role.VIEWER),
        Member(group=False, subject="alice", role=Role.OPERATOR),  # the same Jenkins user as "Alice"
        Member(group=False, subject="Zed", role=Role.VIEWER),
    ]
    lines = folder_grants("jb-project-demo", members).lines
    assert [line for line in lines if line.startswith("USER:hudson.model.Item.Read:")] == [
        "USER:hudson.model.Item.Read:Alice",
        "USER:hudson.model.Item.Read:bob",
        "USER:hudson.model.Item.Read:jb-project-demo",
        "USER:hudson.model.Item.Read:Zed",
    ]
    assert "USER:hudson.model.Item.Build:Alice" in lines  # the higher role of the two spellings


def test_members_change_the_folder_hash() -> None:
    project = Project(name="demo", workspace="w")
    alone = render_folder(project, key=KEY, grants=folder_grants("jb-project-demo", []))
    viewer = [Member(group=False, subject="alice", role=Role.VIEWER)]
    with_alice = render_folder(project, key=KEY, grants=folder_grants("jb-project-demo", viewer))
    assert alone.description != with_alice.description


@pytest.mark.parametrize(
    "subject",
    [
        "system:serviceaccount:ci:deployer",
        "a</permission><permission>USER:hudson.model.Hudson.Administer:eve",
        "x]]>&amp;<!-- -->",
    ],
)
def test_hostile_subjects_stay_one_grant_each(subject: str) -> None:
    grants = folder_grants("jb-project-demo", [Member(group=False, subject=subject, role=Role.VIEWER)])
    rendered = render_folder(Project(name="demo", workspace="w"), key=KEY, grants=grants)
    parsed = parse_matrix(_properties(rendered.xml))
    assert parsed == grants
    assert f"USER:hudson.model.Item.Read:{subject}" in parsed.lines
    assert not [line for line in parsed.lines if "Administer" in line.split(":")[1]]
    assert len(parsed.lines) == 5  # four for the identity, one for the subject


def test_parsing_reads_jenkins_variants_by_meaning() -> None:
    grants = folder_grants("jb-project-demo", [Member(group=True, subject="devs", role=Role.VIEWER)])
    shuffled = f"""<com.cloudbees.hudson.plugins.folder.Folder><properties>
      <{MATRIX} plugin="matrix-auth@3.2">
        <blocksInheritance>true</blocksInheritance>
        {"".join(f"<permission>{line}</permission>" for line in reversed(grants.lines))}
      </{MATRIX}></properties></com.cloudbees.hudson.plugins.folder.Folder>"""
    assert not folder_grants_drifted(shuffled, grants)
    legacy_line = shuffled.replace("GROUP:hudson.model.Item.Read:devs", "hudson.model.Item.Read:devs")
    assert folder_grants_drifted(legacy_line, grants)  # an ambiguous "either" grant is not the bridge's
    inheriting = shuffled.replace("<blocksInheritance>true</blocksInheritance>", "")
    assert folder_grants_drifted(inheriting, grants)
    extra = shuffled.replace(
        "</permission>", "</permission><permission>USER:hudson.model.Item.Read:eve</permission>", 1
    )
    assert folder_grants_drifted(extra, grants)


def test_updating_a_folder_keeps_what_the_bridge_does_not_declare() -> None:
    store = (
        "com.cloudbees.hudson.plugins.folder.properties.FolderCredentialsProvider_-FolderCredentialsProperty"
    )
    current = f"""<?xml version='1.1' encoding='UTF-8'?>
    <com.cloudbees.hudson.plugins.folder.Folder plugin="cloudbees-folder@6.15">
      <description>old</description>
      <properties>
        <{store}><domainCredentialsMap class="hudson.util.CopyOnWriteMap$Hash"/></{store}>
        <{MATRIX}><inheritanceStrategy class="{NON_INHERITING}"/>
          <permission>USER:hudson.model.Item.Read:mallory</permission></{MATRIX}>
        <org.example.SomeFolderProperty><x>1</x></org.example.SomeFolderProperty>
      </properties>
      <folderViews/>
    </com.cloudbees.hudson.plugins.folder.Folder>"""
    grants = folder_grants("jb-project-demo", [])
    updated = SafeET.fromstring(update_folder(current, "new", grants))
    assert updated.findtext("description") == "new"
    properties = updated.find("properties")
    assert properties is not None
    assert [p.tag for p in properties] == [MATRIX, store, "org.example.SomeFolderProperty"]
    assert parse_matrix(properties) == grants
    assert updated.find("folderViews") is not None


def _edit_run_as(xml: bytes, edit: str) -> bytes:
    root = SafeET.fromstring(xml)
    properties = root.find("properties")
    assert properties is not None
    prop = properties[0]
    strategy = prop.find("strategy")
    assert strategy is not None
    if edit == "removed":
        properties.remove(prop)
    elif edit == "other user":
        user = strategy.find("userid")
        assert user is not None
        user.text = "jb-project-other"
    elif edit == "system":
        strategy.set("class", "org.jenkinsci.plugins.authorizeproject.strategy.SystemAuthorizationStrategy")
        for child in list(strategy):
            strategy.remove(child)
    elif edit == "unrestricted":
        flag = strategy.find("dontRestrictJobConfiguration")
        assert flag is not None
        flag.text = "true"
    elif edit == "twice":
        properties.append(prop)
    return ET.tostring(root)


@pytest.mark.parametrize("edit", ["removed", "other user", "system", "unrestricted", "twice"])
def test_an_edited_build_identity_is_drift(edit: str) -> None:
    rendered = render_pipeline(PIPELINE, key=KEY, run_as="jb-project-demo")
    assert not pipeline_drifted(
        rendered.xml, desired=PIPELINE, rendered=rendered, key=KEY, run_as="jb-project-demo"
    )
    edited = _edit_run_as(rendered.xml, edit)
    assert pipeline_drifted(edited, desired=PIPELINE, rendered=rendered, key=KEY, run_as="jb-project-demo")


def test_grants_compare_by_value() -> None:
    assert FolderGrants(NON_INHERITING, ("a",)) == FolderGrants(NON_INHERITING, ("a",))
