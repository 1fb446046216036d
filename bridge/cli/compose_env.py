"""`jenkins-bridge compose-env`: the `.env` and `secrets/` that `docker compose up` needs, generated.

Secrets are generated once and kept: a second run adds only what is missing, so the Fernet key that
encrypts the store, the database password and the Jenkins passwords never change under running data.
The static cluster source is recomputed on every run from the kubeconfig files in `kubeconfigs/`
(one file per cluster, named after it), which docker-compose.yml mounts read-only into the bridge.
Values are never printed. `.env` is readable by its owner only. Containers run as other users than the
host's, and a bind-mounted file keeps its host mode: the secret files are world-readable inside a folder
only the owner may enter (`secrets/`, 0700), and the kubeconfigs are group-readable inside a folder of the
owner's group (0750), which the bridge container joins (`BRIDGE_GID`, docker-compose.yml `group_add`).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import click
from cryptography.fernet import Fernet

#: Where docker-compose.yml mounts ./kubeconfigs inside the bridge container.
KUBECONFIG_MOUNT = "/etc/jenkins-bridge/kubeconfigs"
#: Secrets the Jenkins controller reads as files (/run/secrets, JCasC and the start-up script).
JENKINS_SECRET_FILES = (
    "jenkins-admin-password",
    "bridge-jenkins-password",
    "bridge-jenkins-token",
    "sonar-token",
)
#: Settings in .env that are generated once and kept.
GENERATED = ("POSTGRES_PASSWORD", "BRIDGE_ADMIN_TOKEN", "BRIDGE_SECRET_KEY")
#: Settings in .env recomputed on every run (not secret).
DERIVED = ("BRIDGE_CLUSTERS_SOURCES", "BRIDGE_CLUSTERS_STATIC", "BRIDGE_GID")
CLUSTER_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
#: File name endings dropped to get the cluster's name (rohan.yaml -> rohan); a bare name is kept.
KUBECONFIG_SUFFIXES = (".yaml", ".yml", ".kubeconfig", ".conf")


def jenkins_api_token() -> str:
    """A Jenkins legacy-format API token: "11" and 32 hex digits (what the start-up script seeds)."""
    return "11" + secrets.token_hex(16)


def generate(name: str) -> str:
    if name == "BRIDGE_SECRET_KEY":
        return Fernet.generate_key().decode()
    if name == "bridge-jenkins-token":
        return jenkins_api_token()
    if name == "sonar-token":
        return ""  # SonarQube's own token: paste it into secrets/sonar-token when there is a SonarQube
    return secrets.token_urlsafe(32)


def read_env(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (compose's .env syntax without quoting or interpolation, which we never write)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def static_clusters(folder: Path) -> dict[str, str]:
    """Cluster name -> kubeconfig path inside the bridge container, for each file in ``folder``."""
    found: dict[str, str] = {}
    if not folder.is_dir():
        return found
    for file in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        suffix = next((s for s in KUBECONFIG_SUFFIXES if file.name.endswith(s)), "")
        name = file.name.removesuffix(suffix) if suffix else file.name
        if not CLUSTER_NAME.fullmatch(name):
            raise click.ClickException(
                f"{file}: the file name must be the cluster's name (lowercase letters, digits and '-')"
            )
        if name in found:
            raise click.ClickException(f"{folder}: two kubeconfig files for cluster {name}")
        found[name] = f"{KUBECONFIG_MOUNT}/{file.name}"
    return found


def _write(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    path.chmod(mode)


def write(directory: Path) -> tuple[list[str], dict[str, str]]:
    """Write ``.env`` and ``secrets/`` in ``directory``; returns (what was generated, static clusters)."""
    made: list[str] = []
    env_path = directory / ".env"
    values = read_env(env_path)
    secret_dir = directory / "secrets"
    secret_dir.mkdir(mode=0o700, exist_ok=True)
    secret_dir.chmod(0o700)
    for name in JENKINS_SECRET_FILES:
        path = secret_dir / name
        if not path.exists():
            _write(path, generate(name), 0o644)  # the folder keeps other host users out
            made.append(f"secrets/{name}")
    # the bridge calls Jenkins with the token the controller's start-up script seeds
    token = (secret_dir / "bridge-jenkins-token").read_text(encoding="utf-8").strip()
    if values.get("BRIDGE_JENKINS_TOKEN") not in (None, token):
        raise click.ClickException(".env BRIDGE_JENKINS_TOKEN differs from secrets/bridge-jenkins-token")
    if "BRIDGE_JENKINS_TOKEN" not in values:
        made.append("BRIDGE_JENKINS_TOKEN")
    values["BRIDGE_JENKINS_TOKEN"] = token
    for name in GENERATED:
        if not values.get(name):
            values[name] = generate(name)
            made.append(name)
    kubeconfigs = directory / "kubeconfigs"
    kubeconfigs.mkdir(mode=0o750, exist_ok=True)
    kubeconfigs.chmod(0o750)
    clusters = static_clusters(kubeconfigs)
    for name in clusters.values():
        (kubeconfigs / Path(name).name).chmod(0o640)
    values["BRIDGE_GID"] = str(os.getgid())
    values["BRIDGE_CLUSTERS_SOURCES"] = "static" if clusters else ""
    values["BRIDGE_CLUSTERS_STATIC"] = ",".join(f"{n}={p}" for n, p in clusters.items())
    header = (
        "# Written by `jenkins-bridge compose-env` for docker-compose.yml. Secrets: keep this file\n"
        "# private, never commit it. Generated values are kept on re-runs; BRIDGE_CLUSTERS_* and\n"
        "# BRIDGE_GID follow kubeconfigs/.\n"
    )
    ordered = [*GENERATED, "BRIDGE_JENKINS_TOKEN", *DERIVED]
    rest = sorted(k for k in values if k not in ordered)
    _write(env_path, header + "".join(f"{k}={values[k]}\n" for k in [*ordered, *rest]), 0o600)
    return made, clusters


@click.command("compose-env")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder of docker-compose.yml.",
)
def compose_env(directory: Path) -> None:
    """Write .env and secrets/ for docker-compose.yml with generated secrets (kept on re-runs)."""
    if not (directory / "docker-compose.yml").is_file():
        raise click.ClickException(f"{directory}: no docker-compose.yml here (use --dir)")
    made, clusters = write(directory)
    click.echo(f"generated: {', '.join(made) if made else 'nothing (all present, kept)'}")
    click.echo(f"static clusters from kubeconfigs/: {', '.join(clusters) if clusters else 'none'}")
    click.echo("next: docker compose up -d --build")
