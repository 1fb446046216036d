"""docker-compose's Jenkins: the shipped JCasC plus compose/static-agent.yaml and compose/agent-library.yaml.
Builds that ask for `label 'maven'` run on the static agent, and `container('maven') { … }` (written for
pod templates) runs its block there through the compose-only `container` global, as the seed needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bridge.sandbox.jenkins import casc
from tests.sandbox.tenancy_helpers import (
    COMPOSE_AGENT,
    LIBRARY_MOUNT,
    ROOT,
    SHIPPED,
    job,
    project,
    secrets_dir,
    start,
)
from tests.sandbox.test_shim_library import run_to_end

COMPOSE = ROOT / "jenkins-config" / "compose"
AGENT_LIBRARY = COMPOSE / "agent-library.yaml"
MOUNTS = {**LIBRARY_MOUNT, "/usr/share/jenkins/compose-library": COMPOSE / "agent-library"}
MAVEN_IN_A_CONTAINER = """pipeline {
  agent { node { label 'maven' } }
  stages {
    stage('unit test') {
      steps {
        container('maven') {
          sh 'mvn clean test'
        }
      }
    }
  }
}"""


def test_the_compose_files_merge_with_both_libraries(tmp_path: Path) -> None:
    config = casc.load([SHIPPED, COMPOSE_AGENT, AGENT_LIBRARY], environ={}, secrets_dir=secrets_dir(tmp_path))
    static = [a for a in config.agents if not a.template]
    assert [(a.name, "maven" in a.labels) for a in static] == [("static-agent", True)]
    assert [(lib.name, lib.implicit) for lib in config.libraries] == [
        ("jenkins-bridge-shim", True),
        ("compose-agent", True),
    ]


def test_a_pod_template_jenkinsfile_runs_on_the_static_agent(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path, casc=[SHIPPED, COMPOSE_AGENT, AGENT_LIBRARY], mounts=MOUNTS)
    project(j, "team-a", {"alice": "operator"})
    job(j, "team-a", "build", MAVEN_IN_A_CONTAINER)
    result, console = run_to_end(j, "team-a/build")
    assert result == "SUCCESS", console
    assert "Running on static-agent" in console
    assert "container('maven'): no pod on this agent; running the block on it" in console
    assert "mvn clean test" in console
