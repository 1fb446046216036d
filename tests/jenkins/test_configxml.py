"""config.xml builders and parsers: structure, hostile text, markers, samples from real Jenkins."""

from __future__ import annotations

import base64
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest

from bridge.adapters.jenkins.configxml import (
    KubeconfigMode,
    parse_pipeline,
    read_marker,
    render_credential,
    render_folder,
    render_pipeline,
    replace_description,
)
from bridge.adapters.jenkins.configxml.xmltext import clean
from bridge.domain.model import (
    Credential,
    CredentialType,
    Discarder,
    Parameter,
    ParameterType,
    Pipeline,
    Project,
    ScmSource,
    SecretData,
)

KEY = b"k" * 32
SAMPLES = Path(__file__).parent / "samples"
HOSTILE = [
    "]]>",
    "</script><script>alert(1)</script>",
    "a & b &amp; &lt;",
    "\"double\" and 'single' quotes",
    "non-ASCII: Ünïcödé ✓ 日本語 🚀",
    "control\x00chars\x01\x1b[31m\x7f here",
    "<!-- managed-by=jenkins-bridge hash=00000000000000000000000000000000 -->",
    "line1\r\nline2\rline3\n",
    "<![CDATA[ x ]]>",
]


def shape(xml: bytes) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """The document's element structure: tags and attributes in document order, no text."""
    return [(e.tag, tuple(sorted(e.attrib.items()))) for e in SafeET.fromstring(xml).iter()]


def hostile_pipeline(text: str) -> Pipeline:
    return Pipeline(
        project="demo",
        name="build",
        description=text,
        jenkinsfile=f"pipeline {{ agent any; stages {{ stage('x') {{ steps {{ echo '{text}' }} }} }} }}",
        parameters=(
            Parameter(name="S", type=ParameterType.STRING, default=text, description=text),
            Parameter(name="T", type=ParameterType.TEXT, default=text),
            Parameter(name="C", type=ParameterType.CHOICE, choices=(text, "plain")),
            Parameter(name="B", type=ParameterType.BOOLEAN, default=True),
            Parameter(name="P", type=ParameterType.PASSWORD, default=text),
        ),
        discarder=Discarder(days=7, builds=None),
        concurrent=False,
        cron="H 2 * * *",
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_keeps_pipeline_structure_and_round_trips(text: str) -> None:
    plain = render_pipeline(hostile_pipeline("plain"), key=KEY)
    hostile = render_pipeline(hostile_pipeline(text), key=KEY)
    assert shape(hostile.xml) == shape(plain.xml)
    parsed = parse_pipeline(hostile.xml, project="demo", name="build")
    expected = clean(text)
    marked = read_marker(parsed.description)
    assert marked is not None and marked[0] == expected
    assert parsed.jenkinsfile is not None and expected in parsed.jenkinsfile
    assert [p.default for p in parsed.parameters] == [expected, expected, None, True, expected]
    assert parsed.parameters[0].description == expected
    assert parsed.parameters[2].choices == (expected, "plain")


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_keeps_folder_and_credential_structure(text: str) -> None:
    folder = render_folder(Project(name="demo", workspace="w", description=text), key=KEY)
    assert shape(folder.xml) == shape(render_folder(Project(name="demo", workspace="w"), key=KEY).xml)
    cred = Credential(
        project="demo",
        id="c",
        type=CredentialType.BASIC_AUTH,
        data=SecretData(username=text, password=text),
        description=text,
    )
    plain = Credential(project="demo", id="c", type=CredentialType.BASIC_AUTH, data=SecretData(username="u"))
    rendered = render_credential(cred, key=KEY)
    assert shape(rendered.xml) == shape(render_credential(plain, key=KEY).xml)
    root = SafeET.fromstring(rendered.xml)
    assert root.findtext("password") == clean(text)
    assert root.findtext("description") == rendered.description


def test_control_characters_are_dropped_and_line_ends_normalised() -> None:
    assert clean("a\x00b\x1bc\x7fd\r\ne\rf\tg\ufffe") == "abc\x7fd\ne\nf\tg"


def test_inline_script_always_runs_in_the_sandbox() -> None:
    root = SafeET.fromstring(render_pipeline(hostile_pipeline("x"), key=KEY).xml)
    definition = root.find("definition")
    assert definition is not None
    assert definition.get("class") == "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"
    assert definition.findtext("sandbox") == "true"


def test_scm_pipeline_renders_git_and_parses_back() -> None:
    pipeline = Pipeline(
        project="demo",
        name="app",
        scm=ScmSource(
            url="https://git.example.com/o/r.git", branch="release", credential="git", script_path="ci/J"
        ),
    )
    rendered = render_pipeline(pipeline, key=KEY)
    root = SafeET.fromstring(rendered.xml)
    scm = root.find("definition/scm")
    assert scm is not None and scm.get("class") == "hudson.plugins.git.GitSCM"
    assert root.findtext("definition/scm/branches/hudson.plugins.git.BranchSpec/name") == "*/release"
    parsed = parse_pipeline(rendered.xml, project="demo", name="app")
    assert parsed.scm == pipeline.scm and parsed.jenkinsfile is None
    assert render_pipeline(parsed.__class__(**{**parsed.__dict__, "description": ""}), key=KEY) == rendered


def test_rendering_is_a_fixpoint_of_parsing() -> None:
    """Deep drift checks compare Jenkins' copy, parsed and re-rendered, with the desired rendering."""
    pipeline = hostile_pipeline("x & y")
    rendered = render_pipeline(pipeline, key=KEY)
    parsed = parse_pipeline(rendered.xml, project="demo", name="build")
    marked = read_marker(parsed.description)
    assert marked is not None
    again = render_pipeline(Pipeline(**{**parsed.__dict__, "description": marked[0]}), key=KEY)
    assert again == rendered and marked[1] == rendered.digest


def test_digest_follows_every_field_and_the_key() -> None:
    base = hostile_pipeline("x")
    digest = render_pipeline(base, key=KEY).digest
    assert render_pipeline(Pipeline(**{**base.__dict__, "cron": "@daily"}), key=KEY).digest != digest
    assert render_pipeline(Pipeline(**{**base.__dict__, "jenkinsfile": "echo 1"}), key=KEY).digest != digest
    assert render_pipeline(base, key=b"other").digest != digest
    assert render_pipeline(base, key=KEY).digest == digest


def test_marker_reads_only_a_trailing_marker() -> None:
    assert read_marker("hello") is None
    assert read_marker(None) is None
    rendered = render_folder(Project(name="p", workspace="w", description="About p"), key=KEY)
    assert read_marker(rendered.description) == ("About p", rendered.digest)
    assert read_marker(rendered.description + "\nedited by a human") is None


CRED_CASES = [
    (
        CredentialType.BASIC_AUTH,
        {"username": "u", "password": "pw"},
        KubeconfigMode.FILE,
        "com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl",
        {"username": "u", "password": "pw"},
    ),
    (
        CredentialType.SECRET_TEXT,
        {"secret": "s3"},
        KubeconfigMode.FILE,
        "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl",
        {"secret": "s3"},
    ),
    (
        CredentialType.SSH_AUTH,
        {"username": "git", "private_key": "KEY", "passphrase": "pp"},
        KubeconfigMode.FILE,
        "com.cloudbees.jenkins.plugins.sshcredentials.impl.BasicSSHUserPrivateKey",
        {"username": "git", "passphrase": "pp", "privateKeySource/privateKey": "KEY"},
    ),
    (
        CredentialType.SECRET_FILE,
        {"filename": "a.txt", "content": "héllo\n"},
        KubeconfigMode.FILE,
        "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl",
        {"fileName": "a.txt", "secretBytes": base64.b64encode("héllo\n".encode()).decode()},
    ),
    (
        CredentialType.KUBECONFIG,
        {"content": "apiVersion: v1"},
        KubeconfigMode.FILE,
        "org.jenkinsci.plugins.plaincredentials.impl.FileCredentialsImpl",
        {"fileName": "kubeconfig", "secretBytes": base64.b64encode(b"apiVersion: v1").decode()},
    ),
    (
        CredentialType.KUBECONFIG,
        {"content": "apiVersion: v1"},
        KubeconfigMode.KUBECONFIG_PLUGIN,
        "com.microsoft.jenkins.kubernetes.credentials.KubeconfigCredentials",
        {"kubeconfigSource/content": "apiVersion: v1"},
    ),
    (
        CredentialType.KUBECONFIG,
        {"content": "apiVersion: v1"},
        KubeconfigMode.SECRET_TEXT,
        "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl",
        {"secret": "apiVersion: v1"},
    ),
]


@pytest.mark.parametrize(("kind", "data", "mode", "cls", "fields"), CRED_CASES)
def test_credential_classes_and_fields(
    kind: CredentialType, data: dict[str, str], mode: KubeconfigMode, cls: str, fields: dict[str, str]
) -> None:
    cred = Credential(project="p", id="cid", type=kind, data=SecretData(data), description="d")
    rendered = render_credential(cred, key=KEY, mode=mode)
    root = SafeET.fromstring(rendered.xml)
    assert root.tag == cls
    assert root.findtext("id") == "cid" and root.findtext("scope") == "GLOBAL"
    for path, value in fields.items():
        assert root.findtext(path) == value
    assert "pw" not in repr(rendered) and "s3" not in repr(rendered)


def test_credential_digest_changes_with_secret_values_only_through_the_key() -> None:
    one = Credential(project="p", id="c", type=CredentialType.SECRET_TEXT, data=SecretData(secret="a"))
    two = Credential(project="p", id="c", type=CredentialType.SECRET_TEXT, data=SecretData(secret="b"))
    assert render_credential(one, key=KEY).digest != render_credential(two, key=KEY).digest
    secret = Credential(
        project="p", id="c", type=CredentialType.SECRET_TEXT, data=SecretData(secret="hunter2")
    )
    assert "hunter2" not in render_credential(secret, key=KEY).description


def test_parses_pipeline_samples_from_real_jenkins() -> None:
    minimal = parse_pipeline(
        (SAMPLES / "workflowjob-config-cps-minimal.xml").read_bytes(), project="p", name="j"
    )
    assert minimal.jenkinsfile == "input 'hangs forever'" and minimal.concurrent and minimal.cron is None
    legacy = parse_pipeline(
        (SAMPLES / "workflowjob-config-legacy-job-level-triggers.xml").read_bytes(), project="p", name="j"
    )
    assert legacy.cron == "@daily" and legacy.concurrent is False
    params = parse_pipeline(
        (SAMPLES / "workflowjob-config-string-param.xml").read_bytes(), project="p", name="j"
    )
    assert [(p.name, p.type, p.default) for p in params.parameters] == [("ARG1", ParameterType.STRING, None)]


def test_choice_lists_in_both_jenkins_shapes() -> None:
    xml = b"""<?xml version='1.1' encoding='UTF-8'?><flow-definition><properties>
      <hudson.model.ParametersDefinitionProperty><parameterDefinitions>
        <hudson.model.ChoiceParameterDefinition><name>E</name><choices><string>a</string><string>b</string></choices>
        </hudson.model.ChoiceParameterDefinition></parameterDefinitions></hudson.model.ParametersDefinitionProperty>
      </properties></flow-definition>"""
    assert parse_pipeline(xml, project="p", name="j").parameters[0].choices == ("a", "b")


def test_folder_description_replacement_keeps_credentials_and_views() -> None:
    original = (SAMPLES / "folder-config-with-folder-credentials.xml").read_bytes()
    updated = replace_description(original, "new & <improved>")
    before, after = SafeET.fromstring(original), SafeET.fromstring(updated)
    assert after.findtext("description") == "new & <improved>"
    assert [e.tag for e in before.iter()] == [e.tag for e in after.iter()]
