"""docker-compose.yml and `jenkins-bridge compose-env`: the file's structure, and every variable it sets.

No container engine runs here. These checks stand in for `docker compose config` and a first `up`: the
services and how they connect, every `${VAR}` interpolated from what compose-env writes, every secret
file it generates, and the bridge's resulting environment loaded by the bridge's own settings.
"""

from __future__ import annotations

import re
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from cryptography.fernet import Fernet

from bridge.cli import main
from bridge.cli.compose_env import GENERATED, JENKINS_SECRET_FILES, KUBECONFIG_MOUNT, read_env
from bridge.settings import Settings, env_names
from bridge.settings.clusters import parse_static_clusters

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "jenkins-config"
INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:\?|:-)([^}]*))?\}")


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR:?error} (unset or empty), $$."""
    if isinstance(node, dict):
        return {k: interpolate(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate(v, env) for v in node]
    if not isinstance(node, str):
        return node

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, arg = m.groups()
        value = env.get(name, "")
        if not value and op == ":?":
            raise LookupError(f"{name}: {arg}")
        return value or (arg if op == ":-" else "")

    return INTERPOLATION.sub(one, node)


def variables(node: Any) -> dict[str, str | None]:
    """Every interpolated name and its operator (None: plain ${VAR})."""
    text = yaml.safe_dump(node)
    return {m.group(1): m.group(2) for m in INTERPOLATION.finditer(text) if m.group(1)}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder with the repository's docker-compose.yml, as a user's checkout has it."""
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    return tmp_path


def run_compose_env(folder: Path) -> str:
    result = CliRunner().invoke(main, ["compose-env", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_services_and_how_they_connect() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"jenkins", "agent", "postgres", "bridge", "receiver"}
    # Jenkins is built from jenkins-config/, whose Dockerfile installs the plugins with jenkins-plugin-cli
    assert services["jenkins"]["build"] == "./jenkins-config"
    assert "jenkins-plugin-cli" in (CONFIG / "Dockerfile").read_text(encoding="utf-8")
    bridge = services["bridge"]
    assert bridge["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "jenkins": {"condition": "service_healthy"},
    }
    assert services["postgres"]["healthcheck"]["test"][-1].startswith("pg_isready")
    assert bridge["command"][:1] == ["serve"] and "--with-worker" in bridge["command"]
    port = bridge["command"][bridge["command"].index("--port") + 1]
    assert f"{port}:{port}" in bridge["ports"]
    # every bind mount's source is in the repository or written by compose-env
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./") and source != "./kubeconfigs":
                assert (ROOT / source).exists(), f"{name}: {source}"
    build = services["agent"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()


def test_the_receiver_runs_beside_the_bridge_on_its_store() -> None:
    """Git servers reach `jenkins-bridge receive` on a port of its own; it shares the bridge's image,
    settings and volumes, starts once the bridge (which migrates) is healthy, and has a check of its port."""
    from bridge.cli.receive import receive

    services = _compose()["services"]
    bridge, receiver = services["bridge"], services["receiver"]
    assert receiver["build"] == bridge["build"] == "."
    command = receiver["command"]
    assert command[:1] == ["receive"]
    options = receive.make_context("receive", command[1:]).params  # refuses an option `receive` lacks
    assert options["host"] == "0.0.0.0"
    assert f"{options['port']}:{options['port']}" in receiver["ports"]
    assert options["port"] != int(bridge["command"][bridge["command"].index("--port") + 1])
    for key in ("environment", "group_add", "volumes"):
        assert receiver[key] == bridge[key], key
    assert "bridge-data:/var/lib/jenkins-bridge" in receiver["volumes"]
    assert receiver["depends_on"] == {"bridge": {"condition": "service_healthy"}}
    assert f"http://127.0.0.1:{options['port']}/healthz" in receiver["healthcheck"]["test"][-1]
    assert ":8000/healthz" in (ROOT / "Dockerfile").read_text(encoding="utf-8"), "the bridge's own check"


def test_the_static_agent_has_the_seed_labels_and_tools() -> None:
    node = yaml.safe_load((CONFIG / "compose" / "static-agent.yaml").read_text(encoding="utf-8"))
    labels = node["jenkins"]["nodes"][0]["permanent"]["labelString"].split()
    assert {"maven", "base"} <= set(labels)  # agent { node { label 'maven' } }; agent any
    dockerfile = (CONFIG / "compose" / "agent.Dockerfile").read_text(encoding="utf-8")
    for tool in ("maven", "git", "gettext-base", "kubectl"):
        assert tool in dockerfile, tool
    assert "sha256sum -c" in dockerfile  # the downloaded kubectl is checked
    mounts = _compose()["services"]["jenkins"]["volumes"]
    library = yaml.safe_load((CONFIG / "compose" / "agent-library.yaml").read_text(encoding="utf-8"))
    (lib,) = library["unclassified"]["globalLibraries"]["libraries"]
    path = lib["retriever"]["legacySCM"]["scm"]["filesystem"]["path"]
    assert f"./jenkins-config/compose/agent-library:{path}:ro" in mounts
    assert (CONFIG / "compose" / "agent-library" / "vars" / "container.groovy").is_file()


def test_every_variable_comes_from_compose_env_and_every_setting_exists(checkout: Path) -> None:
    compose = _compose()
    used = variables(compose)
    run_compose_env(checkout)
    written = read_env(checkout / ".env")
    assert set(used) <= set(written), sorted(set(used) - set(written))
    required = {name for name, op in used.items() if op == ":?"}
    assert set(GENERATED) | {"BRIDGE_JENKINS_TOKEN", "BRIDGE_GID"} <= required
    known = set(env_names(Settings))
    for service in compose["services"].values():
        for name in service.get("environment", {}):
            if name.startswith("BRIDGE_") and service in (
                compose["services"]["bridge"],
                compose["services"]["receiver"],
            ):
                assert name in known, f"docker-compose sets {name}, which the bridge does not have"
    # and the file refuses to start without them, naming the command
    with pytest.raises(LookupError, match="compose-env"):
        interpolate(compose, {})


def test_the_bridge_starts_with_what_compose_env_wrote(checkout: Path) -> None:
    run_compose_env(checkout)
    env = read_env(checkout / ".env")
    bridge = interpolate(_compose()["services"]["bridge"], env)
    settings = Settings.load({k: str(v) for k, v in bridge["environment"].items()})
    assert settings.database_url.startswith("postgresql+psycopg://bridge:")
    assert settings.database_url.endswith("@postgres:5432/bridge")
    postgres = interpolate(_compose()["services"]["postgres"], env)["environment"]
    assert settings.database_url == (
        f"postgresql+psycopg://{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}"
        f"@postgres:5432/{postgres['POSTGRES_DB']}"
    )
    assert settings.jenkins.url == "http://jenkins:8080/"
    Fernet(settings.secret_key.get_secret_value().encode())
    receiver = interpolate(_compose()["services"]["receiver"], env)
    on_the_receiver = Settings.load({k: str(v) for k, v in receiver["environment"].items()})
    assert on_the_receiver.database_url == settings.database_url  # one store
    assert not on_the_receiver.api.tls_cert  # `receive` refuses a certificate
    assert bridge["group_add"] == [env["BRIDGE_GID"]]
    # the bridge's Jenkins token is the one the controller's start-up script seeds from the secret file
    token = (checkout / "secrets" / "bridge-jenkins-token").read_text(encoding="utf-8")
    assert settings.jenkins.token is not None and settings.jenkins.token.get_secret_value() == token
    assert re.fullmatch(r"11[0-9a-f]{32}", token)


def test_secret_files_for_every_jenkins_secret_and_nothing_printed(checkout: Path) -> None:
    output = run_compose_env(checkout)
    compose = _compose()
    files = {name: spec["file"] for name, spec in compose["secrets"].items()}
    assert set(files) == set(JENKINS_SECRET_FILES)
    for name, file in files.items():
        path = checkout / file
        assert path.is_file(), name
        value = path.read_text(encoding="utf-8")
        if name != "sonar-token":
            assert len(value) >= 32 and value not in output
    assert stat.S_IMODE((checkout / "secrets").stat().st_mode) == 0o700
    assert stat.S_IMODE((checkout / ".env").stat().st_mode) == 0o600
    for value in read_env(checkout / ".env").values():
        assert len(value) < 16 or value not in output


def test_a_second_run_keeps_every_secret(checkout: Path) -> None:
    run_compose_env(checkout)
    first = read_env(checkout / ".env")
    files = {p.name: p.read_text(encoding="utf-8") for p in (checkout / "secrets").iterdir()}
    output = run_compose_env(checkout)
    assert "nothing (all present, kept)" in output
    assert read_env(checkout / ".env") == first
    assert {p.name: p.read_text(encoding="utf-8") for p in (checkout / "secrets").iterdir()} == files


def test_kubeconfigs_become_the_static_cluster_source(checkout: Path) -> None:
    run_compose_env(checkout)
    assert read_env(checkout / ".env")["BRIDGE_CLUSTERS_SOURCES"] == ""
    folder = checkout / "kubeconfigs"
    for name in ("rohan.yaml", "gondor", "shire.kubeconfig"):
        (folder / name).write_text("apiVersion: v1\nkind: Config\n", encoding="utf-8")
    output = run_compose_env(checkout)
    assert "static clusters from kubeconfigs/: gondor, rohan, shire" in output
    env = read_env(checkout / ".env")
    assert env["BRIDGE_CLUSTERS_SOURCES"] == "static"
    entries = parse_static_clusters(env["BRIDGE_CLUSTERS_STATIC"])
    assert [(e.name, str(e.path)) for e in entries] == [
        ("gondor", f"{KUBECONFIG_MOUNT}/gondor"),
        ("rohan", f"{KUBECONFIG_MOUNT}/rohan.yaml"),
        ("shire", f"{KUBECONFIG_MOUNT}/shire.kubeconfig"),
    ]
    mounts = _compose()["services"]["bridge"]["volumes"]
    assert f"./kubeconfigs:{KUBECONFIG_MOUNT}:ro" in mounts
    assert stat.S_IMODE((folder / "rohan.yaml").stat().st_mode) == 0o640
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
    (folder / "Bad_Name.yaml").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["compose-env", "--dir", str(checkout)])
    assert result.exit_code != 0 and "must be the cluster's name" in result.output


def test_outside_a_compose_folder_nothing_is_written(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["compose-env", "--dir", str(tmp_path)])
    assert result.exit_code != 0 and "no docker-compose.yml" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_bridge_image_is_pinned_and_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    (base,) = re.findall(r"^FROM (\S+)$", dockerfile, re.MULTILINE)
    assert re.fullmatch(r"python:3\.\d+-slim-\w+", base), base
    assert "-c constraints.txt" in dockerfile  # the versions the tests pass with
    (user,) = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert user != "root" and int(user) >= 10000
    assert 'CMD ["serve"' in dockerfile


def test_every_jenkins_variable_is_read_by_its_configuration() -> None:
    """The controller's environment holds only names JCasC or the start-up scripts read (no secrets)."""
    texts = [p.read_text(encoding="utf-8") for p in (CONFIG / "casc").glob("*.yaml")]
    texts += [p.read_text(encoding="utf-8") for p in (CONFIG / "compose").glob("*.yaml")]
    texts += [p.read_text(encoding="utf-8") for p in (CONFIG / "init.groovy.d").glob("*.groovy")]
    read = {m for text in texts for m in re.findall(r"\$\{([A-Za-z_][\w-]*)|getenv\('(\w+)'\)", text)}
    names = {a or b for a, b in read}
    jenkins = _compose()["services"]["jenkins"]
    for name in jenkins["environment"]:
        assert name in names, f"docker-compose sets {name} for Jenkins, which nothing reads"
    assert set(jenkins["secrets"]) <= names | {"bridge-jenkins-token"}  # the script reads that file by name
