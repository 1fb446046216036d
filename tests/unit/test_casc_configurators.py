"""The shipped JCasC files are valid YAML and name only configurators the pinned plugins provide.

Jenkins refuses a key it has no configurator for and fails the start-up; jenkins-config/configurators.yaml
is the checked list (path -> provider, keys, source). Nothing a JCasC reload re-applies may be something the
bridge manages (folders, jobs, folder credentials).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.test_plugins_pinned import CONFIG, pinned

FILES = [
    CONFIG / "casc" / "jenkins.yaml",
    CONFIG / "compose" / "static-agent.yaml",
    CONFIG / "compose" / "agent-library.yaml",
]
PROVIDED_WITHOUT_PLUGIN = {"core"}  # Jenkins itself, read by configuration-as-code


def _listed() -> dict[str, dict[str, Any]]:
    entries = yaml.safe_load((CONFIG / "configurators.yaml").read_text(encoding="utf-8"))["configurators"]
    out = {}
    for entry in entries:
        assert set(entry) == {"path", "provider", "keys", "source"}, entry
        assert entry["source"].strip(), entry["path"]
        assert entry["path"] not in out, f"{entry['path']} listed twice"
        out[entry["path"]] = entry
    return out


def mappings(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every mapping of the document with its dot path (list items share their list's path)."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from mappings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for item in node:
            yield from mappings(item, path)


def unknown_keys(document: Any, listed: dict[str, dict[str, Any]]) -> list[str]:
    """Keys no listed configurator takes (what is below such a key is not reported again)."""
    problems: list[str] = []
    for path, mapping in mappings(document):
        if any(path == bad or path.startswith(bad + ".") for bad in problems):
            continue
        entry = listed.get(path)
        if entry is None:
            problems.append(path)
            continue
        problems += [f"{path}.{key}" if path else str(key) for key in mapping if key not in entry["keys"]]
    return sorted(problems)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_file_is_yaml_and_names_only_listed_configurators(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    assert unknown_keys(document, _listed()) == []


def test_every_provider_is_a_pinned_plugin() -> None:
    plugins = pinned()
    for entry in _listed().values():
        assert entry["provider"] in plugins or entry["provider"] in PROVIDED_WITHOUT_PLUGIN, entry


def test_the_check_refuses_what_jenkins_would_refuse() -> None:
    listed = _listed()
    document = yaml.safe_load(FILES[0].read_text(encoding="utf-8"))
    document["security"]["globalJobDslSecurityConfiguration"] = {"useScriptSecurity": True}  # job-dsl absent
    document["jenkins"]["clouds"][0]["kubernetes"]["templates"][0]["nodeUsagemode"] = "NORMAL"  # typo
    document["jobs"] = [{"script": "folder('x')"}]
    assert unknown_keys(document, listed) == [
        "jenkins.clouds.kubernetes.templates.nodeUsagemode",
        "jobs",
        "security.globalJobDslSecurityConfiguration",
    ]


def _casc() -> dict[str, Any]:
    return yaml.safe_load(FILES[0].read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_pod_templates_for_the_seed_and_the_kubesphere_labels() -> None:
    cloud = _casc()["jenkins"]["clouds"][0]["kubernetes"]
    templates = {t["name"]: t for t in cloud["templates"]}
    assert list(templates) == ["base", "maven", "nodejs", "go", "python"]
    for name, template in templates.items():
        assert template["label"] == name  # agent { node { label 'maven' } }
        containers = [c["name"] for c in template["containers"]]
        assert containers == ["jnlp", name]  # container('maven')
        tool = template["containers"][1]
        assert tool["command"] == "/bin/sh -c" and tool["args"] == "cat" and tool["ttyEnabled"] is True
        for container in template["containers"]:
            assert container["image"].startswith("${"), "images are variables with a default"
            assert container["resourceRequestMemory"] and container["resourceLimitMemory"]
    modes = {name: t["nodeUsageMode"] for name, t in templates.items()}
    assert modes == {"base": "NORMAL", **{n: "EXCLUSIVE" for n in list(templates)[1:]}}
    assert cloud["webSocket"] is True  # no inbound agent port on the controller


def test_sonar_server_token_comes_from_a_file_secret() -> None:
    casc = _casc()
    (installation,) = casc["unclassified"]["sonarGlobalConfiguration"]["installations"]
    assert installation["name"] == "sonar"  # withSonarQubeEnv('sonar') in the seed
    (domain,) = casc["credentials"]["system"]["domainCredentials"]
    (credential,) = domain["credentials"]
    token = credential["string"]
    assert token["id"] == installation["credentialsId"]
    assert token["secret"] == "${sonar-token}"  # no default: the file /run/secrets/sonar-token
    assert casc["unclassified"]["location"]["url"].startswith("${JENKINS_URL")


def test_a_reload_leaves_what_the_bridge_manages_alone() -> None:
    """JCasC replaces what it names on every reload; the bridge's folders, jobs and folder credentials
    are not JCasC items, and the only system credential is the Sonar token (the bridge never writes the
    system store)."""
    for path in FILES:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert "jobs" not in document
        assert set(document.get("credentials", {})) <= {"system"}
    ids = [
        next(iter(c.values()))["id"]
        for d in _casc()["credentials"]["system"]["domainCredentials"]
        for c in d["credentials"]
    ]
    assert ids == ["sonar-server-token"]
