"""jenkins-config/plugins.txt pins every plugin for the one Jenkins LTS image of the Dockerfile.

Nothing here installs plugins (no container engine on our machines); these checks keep the file exact,
complete for what the bridge and the seed need, and in step with the documented sources of each version.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "jenkins-config"

#: What the bridge's XML, the Jenkins-side tenancy and the seed Jenkinsfile need (issue list).
REQUIRED = {
    "cloudbees-folder",
    "workflow-aggregator",
    "workflow-job",
    "workflow-cps",
    "pipeline-model-definition",
    "pipeline-input-step",
    "pipeline-stage-view",
    "pipeline-rest-api",
    "credentials",
    "credentials-binding",
    "plain-credentials",
    "ssh-credentials",
    "git",
    "kubernetes",
    "kubernetes-cli",
    "matrix-auth",
    "authorize-project",
    "configuration-as-code",
    "sonar",
    "timestamper",
    "pipeline-groovy-lib",
    "filesystem_scm",
}
#: Jenkins plugin versions: 1.2[.3], or the CD form 123.v<hash>, or 6.10.0-251.v<hash>.
VERSION = re.compile(r"\d+(\.\d+)*(-\d+)?(\.v[0-9a-f_]+)?")


def pinned() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (CONFIG / "plugins.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, version = line.strip().partition(":")
        assert sep, f"{name} has no version: pin it as name:version"
        assert name not in out, f"{name} listed twice"
        out[name] = version
    return out


def test_every_plugin_has_an_exact_version() -> None:
    plugins = pinned()
    assert len(plugins) >= len(REQUIRED)
    for name, version in plugins.items():
        assert re.fullmatch(r"[a-z0-9_-]+", name), name
        assert VERSION.fullmatch(version), f"{name}:{version} is not an exact release version"
        assert version not in ("latest", "experimental"), name


def test_what_the_bridge_and_the_seed_need_is_listed() -> None:
    assert set(pinned()) >= REQUIRED, sorted(REQUIRED - set(pinned()))
    assert not [p for p in pinned() if p.startswith("kubernetes-cd")], "kubernetes-cd is suspended"


def test_the_image_pins_one_lts_and_installs_exactly_the_file() -> None:
    dockerfile = (CONFIG / "Dockerfile").read_text(encoding="utf-8")
    (tag,) = re.findall(r"^FROM jenkins/jenkins:(\S+)$", dockerfile, re.MULTILINE)
    assert re.fullmatch(r"2\.\d+\.\d+-lts-jdk17", tag), f"pin an exact LTS, not {tag}"
    lts = tag.removesuffix("-lts-jdk17")
    header = (CONFIG / "plugins.txt").read_text(encoding="utf-8")
    assert f"jenkins/jenkins:{tag}" in header, "plugins.txt names the LTS its versions are for"
    assert "--plugin-file /usr/share/jenkins/ref/plugins.txt --latest false" in dockerfile
    docs = (ROOT / "docs" / "jenkins.md").read_text(encoding="utf-8")
    assert f"`jenkins/jenkins:{tag}`" in docs and f"Jenkins {lts}" in docs


def test_every_version_has_its_documented_source() -> None:
    docs = (ROOT / "docs" / "jenkins.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `([a-z0-9_-]+)` \| `([^`]+)` \| \S", docs, re.MULTILINE))
    assert rows == pinned(), "docs/jenkins.md 'Pinned plugins' and plugins.txt disagree"


def test_no_image_is_a_moving_tag() -> None:
    """Controller, agents and tools are pinned images (JCasC defaults and Dockerfiles)."""
    texts = {
        p: p.read_text(encoding="utf-8")
        for p in [*CONFIG.rglob("*.yaml"), *CONFIG.rglob("*Dockerfile"), ROOT / "Dockerfile"]
    }
    images = [
        (path.name, image)
        for path, text in texts.items()
        for image in re.findall(r"(?:FROM |image: \"\$\{\w+:-|^\s+image: \")([\w./-]+:[\w.-]+)", text, re.M)
    ]
    assert len(images) >= 8
    for where, image in images:
        assert not re.search(r":(latest|lts)(-|$)", image), f"{where}: {image} moves"
