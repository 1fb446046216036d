"""Every step the seed Jenkinsfile calls is provided by a plugin in jenkins-config/plugins.txt or by the
shim library the image ships (jenkins-config/shared-library/vars)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.unit.test_plugins_pinned import CONFIG, pinned

SEED = Path(__file__).resolve().parents[1] / "sandbox" / "data" / "seed-multicluster.Jenkinsfile"
LIBRARY = "shared library"

#: Name used in a Jenkinsfile -> who provides it (facts: each plugin's @Symbol or
#: StepDescriptor.getFunctionName, and the Declarative directives of pipeline-model-definition).
PROVIDER = {
    # Declarative sections and directives
    **dict.fromkeys(
        ["pipeline", "agent", "node", "label", "parameters", "environment", "stages", "stage", "steps"],
        "pipeline-model-definition",
    ),
    # string(credentialsId:, variable:) binding; as a parameter, core's StringParameterDefinition
    "string": "credentials-binding",
    "usernamePassword": "credentials-binding",
    "file": "credentials-binding",
    "withCredentials": "credentials-binding",
    "sh": "workflow-durable-task-step",
    "echo": "workflow-basic-steps",
    "git": "git",
    "container": "kubernetes",
    "withKubeConfig": "kubernetes-cli",
    "withSonarQubeEnv": "sonar",
    "waitForQualityGate": "sonar",
    "input": "pipeline-input-step",
    "timestamps": "timestamper",
    "kubeconfigFile": LIBRARY,
}


def _code(text: str) -> str:
    """The Jenkinsfile without comments and string contents (quotes kept, so `sh '…'` stays a call).
    One left-to-right scan, so `//` inside a string (a URL) is not taken for a comment."""
    token = re.compile(r"(\"{3}|'{3}|\"|')(?:\\.|(?!\1).)*\1|//[^\n]*|/\*.*?\*/", re.DOTALL)

    def blank(m: re.Match[str]) -> str:
        return m.group(1) * 2 if m.group(1) else " "

    return token.sub(blank, text)


def called(text: str) -> set[str]:
    """Names used as a call or a block: `name(`, `name {`, `name 'arg'`, `name key: …`; not `a.name(`."""
    pattern = r"(?<![\w.$])([A-Za-z_]\w*)(?:\s*(?:\(|\{|(?=['\"]))|\s+(?=\w+\s*:))"
    keywords = {"if", "else", "for", "while", "def", "return", "new"}
    return {name for name in re.findall(pattern, _code(text)) if name not in keywords}


def test_the_extractor_sees_calls_and_not_string_contents() -> None:
    sample = (
        "stage('x') { steps { sh 'curl https://a(b)'\n x.y(1) // c(d)\n"
        " withFoo([bar(k: 1)]) { git url: 'u' } } }"
    )
    assert called(sample) == {"stage", "steps", "sh", "withFoo", "bar", "git"}


def test_every_seed_step_has_a_provider_in_the_image() -> None:
    names = called(SEED.read_text(encoding="utf-8"))
    assert {"sh", "container", "withSonarQubeEnv", "kubeconfigFile", "input", "git"} <= names
    unknown = sorted(names - PROVIDER.keys())
    assert not unknown, f"the seed uses {unknown}: name the plugin providing each in PROVIDER"
    plugins = pinned()
    library = {p.stem for p in (CONFIG / "shared-library" / "vars").glob("*.groovy")}
    for name in sorted(names):
        provider = PROVIDER[name]
        if provider == LIBRARY:
            assert name in library, f"{name} is not in the shim library"
        else:
            assert provider in plugins, f"{name} needs plugin {provider}, missing from plugins.txt"
