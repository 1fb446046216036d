"""jenkins-config/ and docker-compose.yml agree with what the bridge sends and reads.

Nothing here runs Jenkins (none can run on our machines); these checks catch the drift that would only
show on a real controller: a plugin the bridge's XML needs but the image lacks, an authorisation
strategy under which Jenkins's `submitter` check cannot work, a variable name the bridge never reads.
"""

from __future__ import annotations

import re
from pathlib import Path

import defusedxml.ElementTree as SafeET
import yaml

from bridge.adapters.jenkins.configxml import (
    KubeconfigMode,
    render_credential,
    render_folder,
    render_pipeline,
)
from bridge.domain.model import (
    CREDENTIAL_KEYS,
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

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "jenkins-config"
KEY = b"k" * 32

#: Java package prefix -> the plugin that ships those classes (core classes need none).
PLUGIN_OF = {
    "com.cloudbees.hudson.plugins.folder.": "cloudbees-folder",
    "com.cloudbees.plugins.credentials.": "credentials",
    "org.jenkinsci.plugins.plaincredentials.": "plain-credentials",
    "com.cloudbees.jenkins.plugins.sshcredentials.": "ssh-credentials",
    "org.jenkinsci.plugins.workflow.job.": "workflow-job",
    "org.jenkinsci.plugins.workflow.cps.": "workflow-cps",
    "hudson.plugins.git.": "git",
    "jenkins.model.BuildDiscarderProperty": None,
    "hudson.model.": None,
    "hudson.tasks.LogRotator": None,
    "hudson.triggers.": None,
    "java.": None,
}


def _plugins() -> set[str]:
    lines = (CONFIG / "plugins.txt").read_text(encoding="utf-8").splitlines()
    return {line.split(":")[0].strip() for line in lines if line.strip() and not line.startswith("#")}


def _documents() -> list[bytes]:
    docs = [render_folder(Project(name="p", workspace="w"), key=KEY).xml]
    params = tuple(
        Parameter(name=f"P_{t.name}", type=t) for t in ParameterType if t is not ParameterType.CHOICE
    )
    params += (Parameter(name="C", type=ParameterType.CHOICE, choices=("a", "b")),)
    for definition in (
        {"jenkinsfile": "echo 1"},
        {"scm": ScmSource(url="https://git.example/r.git", credential="git")},
    ):
        pipeline = Pipeline(
            project="p",
            name="j",
            parameters=params,
            discarder=Discarder(days=1, builds=2),
            concurrent=False,
            cron="H * * * *",
            **definition,  # type: ignore[arg-type]
        )
        docs.append(render_pipeline(pipeline, key=KEY).xml)
    for kind, (required, optional) in CREDENTIAL_KEYS.items():
        data = SecretData({k: "x" for k in required | optional})
        credential = Credential(project="p", id="c", type=kind, data=data)
        docs.append(render_credential(credential, key=KEY, mode=KubeconfigMode.FILE).xml)
    return docs


def test_every_class_the_bridge_sends_has_its_plugin_in_the_image() -> None:
    plugins = _plugins()
    classes: set[str] = set()
    for doc in _documents():
        for element in SafeET.fromstring(doc).iter():
            for name in (element.tag, element.get("class", "")):
                if "." in name:
                    classes.add(name.split("$")[0])
            if element.get("plugin"):
                assert element.get("plugin") in plugins, element.get("plugin")
    assert len(classes) > 10
    for cls in sorted(classes):
        owners = [plugin for prefix, plugin in PLUGIN_OF.items() if cls.startswith(prefix)]
        assert owners, f"no known plugin ships {cls}: add it to PLUGIN_OF and jenkins-config/plugins.txt"
        assert owners[0] is None or owners[0] in plugins, f"{cls} needs plugin {owners[0]}"


def test_kubeconfig_credentials_default_to_a_stock_plugin() -> None:
    """kubernetes-cd is suspended; the default mode must not need it."""
    credential = Credential(
        project="p", id="rohan", type=CredentialType.KUBECONFIG, data=SecretData(content="x")
    )
    root = SafeET.fromstring(render_credential(credential, key=KEY).xml)
    assert root.tag.startswith("org.jenkinsci.plugins.plaincredentials.")
    assert "kubernetes-cd" not in _plugins()


def _casc() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((CONFIG / "casc" / "jenkins.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_users_are_not_administrators_so_jenkins_applies_input_submitters() -> None:
    casc = _casc()["jenkins"]
    strategy = casc["authorizationStrategy"]
    assert list(strategy) == ["projectMatrix"], (
        "folder-level grants need projectMatrix (globalMatrix ignores them)"
    )
    entries = strategy["projectMatrix"]["entries"]
    admins = {
        e["user"]["name"] for e in entries if "user" in e and "Overall/Administer" in e["user"]["permissions"]
    }
    assert admins == {"${BRIDGE_JENKINS_USER:-jenkins-bridge}", "${JENKINS_ADMIN_ID:-admin}"}
    for entry in entries:
        if "group" in entry:
            assert "Overall/Administer" not in entry["group"]["permissions"]
    assert casc["crumbIssuer"], "the bridge handles crumbs; keep CSRF protection on"


def test_nobody_holds_a_job_permission_globally() -> None:
    """Job/Read, Build, Cancel, Replay come only from the folder matrix the bridge renders."""
    entries = _casc()["jenkins"]["authorizationStrategy"]["projectMatrix"]["entries"]
    granted = {p for e in entries for spec in e.values() for p in spec["permissions"]}
    assert granted == {"Overall/Administer", "Overall/Read", "Agent/Build"}


def test_no_build_runs_on_the_controller_or_as_system() -> None:
    casc = _casc()
    assert casc["jenkins"]["numExecutors"] == 0
    authenticators = casc["security"]["queueItemAuthenticator"]["authenticators"]
    assert [next(iter(a)) for a in authenticators] == ["project", "global"]
    project = authenticators[0]["project"]
    prefix = "org.jenkinsci.plugins.authorizeproject.strategy."
    assert project["enabledStrategies"] == [prefix + "SpecificUsersAuthorizationStrategy"]
    assert set(project["disabledStrategies"]) == {
        prefix + "SystemAuthorizationStrategy",
        prefix + "TriggeringUsersAuthorizationStrategy",
        prefix + "AnonymousAuthorizationStrategy",
    }
    # the fallback never answers nothing (core would run the build as SYSTEM)
    assert authenticators[1]["global"]["strategy"] == "anonymousAuthorizationStrategy"
    assert {"authorize-project", "matrix-auth", "kubernetes"} <= _plugins()
    templates = casc["jenkins"]["clouds"][0]["kubernetes"]["templates"]
    assert any(t["label"] == "maven" for t in templates), "the seed pipeline asks for label maven"
    assert any(t.get("nodeUsageMode") == "NORMAL" for t in templates), "agent any / node {} need a taker"


SECRETISH = re.compile(r"PASSWORD|TOKEN|SECRET|KEY", re.IGNORECASE)


def test_controller_secrets_are_files_never_environment_variables() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    jenkins = compose["services"]["jenkins"]
    assert not [name for name in jenkins.get("environment", {}) if SECRETISH.search(name)]
    text = yaml.safe_dump(_casc())  # values only, not comments
    variables = set(re.findall(r"\$\{([^}:]+)\}", text))  # no default: must be provided
    assert variables == {"jenkins-admin-password", "bridge-jenkins-password", "sonar-token"}
    provided = set(jenkins["secrets"])
    assert variables <= provided and set(compose["secrets"]) == provided
    script = (CONFIG / "init.groovy.d" / "bridge-api-token.groovy").read_text(encoding="utf-8")
    assert "'bridge-jenkins-token'" in script and "bridge-jenkins-token" in provided
    dockerfile = (CONFIG / "Dockerfile").read_text(encoding="utf-8")
    env_names = re.findall(r"(?:^ENV\s+|^\s+)([A-Z_]+)=", dockerfile, re.MULTILINE)
    assert "JAVA_OPTS" in env_names and not [n for n in env_names if SECRETISH.search(n)]


def test_compose_has_a_static_agent_since_the_controller_has_no_executors() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    agent_casc = yaml.safe_load((CONFIG / "compose" / "static-agent.yaml").read_text(encoding="utf-8"))
    node = agent_casc["jenkins"]["nodes"][0]["permanent"]
    agent = compose["services"]["agent"]
    assert agent["environment"]["JENKINS_AGENT_NAME"] == node["name"]
    mounts = compose["services"]["jenkins"]["volumes"]
    assert any(
        m.startswith("./jenkins-config/compose/static-agent.yaml:/usr/share/jenkins/ref/casc/")
        for m in mounts
    )
    assert not [v for v in agent.get("volumes", []) if v.split(":")[0] == "jenkins-home"], (
        "agents never see the home"
    )


def test_compose_and_start_up_script_use_the_names_the_bridge_reads() -> None:
    known = set(_env_names_for_settings())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    bridge_env = compose["services"]["bridge"]["environment"]
    unknown = [name for name in bridge_env if name.startswith("BRIDGE_") and name not in known]
    assert not unknown, f"docker-compose sets settings the bridge does not have: {unknown}"
    script = (CONFIG / "init.groovy.d" / "bridge-api-token.groovy").read_text(encoding="utf-8")
    assert set(re.findall(r"getenv\('(\w+)'\)", script)) == {"BRIDGE_JENKINS_USER", "SECRETS"}
    dockerfile = (CONFIG / "Dockerfile").read_text(encoding="utf-8")
    assert "adminCanGenerateNewTokens=true" in dockerfile  # attribution "user-token" needs it


def _env_names_for_settings() -> list[str]:
    from bridge.settings import Settings, env_names

    return env_names(Settings)
