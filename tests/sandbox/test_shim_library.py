"""The shipped shim library: ``kubeconfigFile(...)`` on a Jenkins without kubernetes-cd, through the
implicitly loaded global library of jenkins-config/ (JCasC ``unclassified.globalLibraries``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.sandbox.jenkins import SandboxJenkins, casc
from bridge.sandbox.jenkins.pipeline import syntax as s
from bridge.sandbox.jenkins.pipeline.library import parse_var
from tests.sandbox.pipeline_helpers import SECRETS, SEED, wait_for
from tests.sandbox.tenancy_helpers import ROOT, SHIPPED, job, project, secrets_dir, session, start

LIBRARY = ROOT / "jenkins-config" / "shared-library"
KUBECONFIGS = ("rohan", "gondor", "shire")
CAT_EACH = """pipeline {
  agent any
  stages {
    stage('x') {
      steps {
        script {
          def kept = ''
          for_each_cluster
          sh "cat ${kept}"
        }
      }
    }
  }
}"""
ONE = """withCredentials([kubeconfigFile(credentialsId: 'ID', variable: 'KUBECONFIG')]) {
            sh 'cat $KUBECONFIG'
            kept = env.KUBECONFIG
          }"""


def shipped_without_library(tmp: Path) -> Path:
    config = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    del config["unclassified"]["globalLibraries"]
    path = tmp / "no-library.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run_to_end(j: SandboxJenkins, path: str) -> tuple[str, str]:
    s = session(j)
    base = j.url + "".join(f"job/{p}/" for p in path.split("/"))
    assert s.post(base + "build").status_code == 201
    info = wait_for(lambda: (i := s.get(base + "1/api/json").json())["result"] and i)
    return info["result"], s.get(base + "1/consoleText").text


def devops(j: SandboxJenkins) -> None:
    project(
        j, "devops", {"alice": "admin"}, credentials=("dockerhub-id", "sonar-token"), secret_files=KUBECONFIGS
    )


def test_the_seed_jenkinsfile_runs_unchanged_through_the_shipped_library(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    devops(j)
    job(j, "devops", "seed", SEED)
    s = session(j)
    base = f"{j.url}job/devops/job/seed/1/"
    assert s.post(f"{j.url}job/devops/job/seed/build").status_code == 201
    for input_id in ("Deploy-to-staging", "Deploy-to-production"):
        wait_for(
            lambda i=input_id: [p for p in s.get(base + "wfapi/pendingInputActions").json() if p["id"] == i]
        )
        assert session(j, "alice").post(base + f"input/{input_id}/proceedEmpty").status_code == 200
    info = wait_for(lambda: (i := s.get(base + "api/json").json())["result"] and i)
    console = s.get(base + "consoleText").text
    assert info["result"] == "SUCCESS", console
    assert console.index("Loading library jenkins-bridge-shim@image") < console.index("Start of Pipeline")
    assert console.count("Masking supported pattern matches of $KUBECONFIG") == 3
    assert console.count("+ kubectl apply -f -") == 3
    for cred_id in KUBECONFIGS:
        assert str(SECRETS[cred_id]) not in console


def test_kubeconfig_points_at_a_masked_file_with_that_clusters_kubeconfig_only_inside_the_block(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    """In each block ``cat $KUBECONFIG`` prints a line that is masked: only the bound credential's path
    and content are masked there, so the file holds exactly that cluster's kubeconfig (any other text,
    another cluster's included, would print in clear). After the block the file is gone."""
    j = start(sandbox_jenkins_factory, tmp_path)
    devops(j)
    blocks = "\n          ".join(ONE.replace("ID", c) for c in KUBECONFIGS)
    job(j, "devops", "cat", CAT_EACH.replace("for_each_cluster", blocks))
    result, console = run_to_end(j, "devops/cat")
    assert result == "SUCCESS", console
    assert console.count("+ cat ****\n****\n") == 3
    for cred_id in KUBECONFIGS:
        assert str(SECRETS[cred_id]) not in console
    # outside the block the path is no secret any more, and nothing is left to read there
    last = re.search(r"\+ cat (\S+/kubeconfig)\n", console)
    assert last and "/devops_cat@tmp/secretFiles/" in last.group(1)
    assert console.split(last.group(0), 1)[1].startswith("[Pipeline]")


def test_without_the_library_kubeconfigFile_fails_as_on_a_jenkins_without_kubernetes_cd(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path, casc=shipped_without_library(tmp_path))
    devops(j)
    job(j, "devops", "seed", SEED)
    result, console = run_to_end(j, "devops/seed")
    assert result == "FAILURE"
    assert "Loading library" not in console
    error = next(line for line in console.splitlines() if "No such DSL method" in line)
    assert error.startswith(
        "java.lang.NoSuchMethodError: No such DSL method 'kubeconfigFile' found among steps ["
    )
    symbols = re.search(r"or symbols \[([^]]*)\]", error)
    assert symbols and "file" in symbols.group(1).split(", ")
    assert "kubeconfigFile" not in symbols.group(1)
    assert error.endswith("or globals [currentBuild, env, params, pipeline, scm]")


def test_with_the_library_the_unknown_symbol_error_names_the_library_global(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    devops(j)
    job(j, "devops", "typo", "withCredentials([kubeconfigFiles(credentialsId: 'rohan')]) { echo 'x' }")
    result, console = run_to_end(j, "devops/typo")
    assert result == "FAILURE"
    assert "or globals [currentBuild, env, kubeconfigFile, params, pipeline, scm]" in console


def test_an_implicit_library_without_a_default_version_fails_every_build(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    config = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    del config["unclassified"]["globalLibraries"]["libraries"][0]["defaultVersion"]
    path = tmp_path / "no-version.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    j = start(sandbox_jenkins_factory, tmp_path, casc=path)
    devops(j)
    job(j, "devops", "hello", "echo 'hello'")
    result, console = run_to_end(j, "devops/hello")
    assert result == "FAILURE"
    assert "ERROR: No version specified for library jenkins-bridge-shim" in console
    assert "hello" not in console.replace("devops/hello", "")


# -- the shipped files are valid for a real Jenkins -----------------------------------------------------


def test_the_library_defines_kubeconfigFile_as_the_standard_file_binding() -> None:
    assert sorted(p.name for p in LIBRARY.iterdir()) == ["vars"]
    assert sorted(p.name for p in (LIBRARY / "vars").iterdir()) == [
        "kubeconfigFile.groovy",
        "kubeconfigFile.txt",
    ]
    source = (LIBRARY / "vars" / "kubeconfigFile.groovy").read_text(encoding="utf-8")
    variable = parse_var("kubeconfigFile", source)
    (method,) = variable.methods
    assert (method.name, method.types) == ("call", ("Map",))
    (statement,) = method.body
    assert isinstance(statement, s.Return) and isinstance(statement.value, s.Call)
    binding = statement.value
    assert binding.target is None and binding.name == "file" and binding.args == ()
    assert [k for k, _ in binding.named] == ["credentialsId", "variable"]


def test_the_casc_library_block_names_only_keys_the_plugins_accept(tmp_path: Path) -> None:
    """LibraryConfiguration (pipeline-groovy-lib): constructor (name, retriever) and setters;
    SCMRetriever ``legacySCM`` (scm; SCMBasedRetriever: clone, libraryPath); FSSCM ``filesystem``
    (filesystem_scm 136.v5d460f6eb_d86: path, clearWorkspace, copyHidden, verboseLogging, filterSettings)."""
    block = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))["unclassified"]["globalLibraries"]
    assert set(block) == {"libraries"}
    (library,) = block["libraries"]
    assert set(library) <= {
        "name",
        "retriever",
        "defaultVersion",
        "implicit",
        "allowVersionOverride",
        "includeInChangesets",
        "cachingConfiguration",
    }
    assert library["implicit"] is True and library["defaultVersion"]
    assert library["allowVersionOverride"] is False
    assert set(library["retriever"]) == {"legacySCM"}
    legacy = library["retriever"]["legacySCM"]
    assert set(legacy) <= {"scm", "clone", "libraryPath"}
    assert set(legacy["scm"]) == {"filesystem"}
    fs = legacy["scm"]["filesystem"]
    assert set(fs) <= {"path", "clearWorkspace", "copyHidden", "verboseLogging", "filterSettings"}
    # the folder is where the image copies the library, and the SCM's plugin is installed, pinned
    dockerfile = (ROOT / "jenkins-config" / "Dockerfile").read_text(encoding="utf-8")
    assert f"COPY shared-library/ {fs['path'].rstrip('/')}/" in dockerfile
    plugins = [
        line.split(":")[0] if not line.startswith("filesystem_scm") else line
        for line in (ROOT / "jenkins-config" / "plugins.txt").read_text(encoding="utf-8").split()
    ]
    assert any(re.fullmatch(r"filesystem_scm:\d+\.v[0-9a-f_]+", p) for p in plugins)
    assert "pipeline-groovy-lib" in plugins and "credentials-binding" in plugins
    assert not any(p.startswith("kubernetes-cd") for p in plugins)
    # and the sandbox's loader, which refuses unknown keys, accepts it
    config = casc.load(SHIPPED, environ={}, secrets_dir=secrets_dir(tmp_path))
    assert [(lib.name, lib.implicit, lib.path) for lib in config.libraries] == [
        ("jenkins-bridge-shim", True, fs["path"])
    ]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda lib: lib.update(bogus=1), "Invalid configuration elements for unclassified.globalLibraries"),
        (
            lambda lib: lib["retriever"]["legacySCM"]["scm"]["filesystem"].update(recursive=True),
            "Invalid configuration elements for unclassified.globalLibraries.libraries.retriever",
        ),
        (
            lambda lib: lib.update(retriever={"modernSCM": {"scm": {"git": {"remote": "x"}}}}),
            "only legacySCM",
        ),
    ],
)
def test_the_casc_loader_refuses_what_it_does_not_know(tmp_path: Path, change: Any, message: str) -> None:
    config = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    change(config["unclassified"]["globalLibraries"]["libraries"][0])
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(casc.CascError, match=re.escape(message)):
        casc.load(path, environ={}, secrets_dir=secrets_dir(tmp_path))


def test_the_cli_mounts_a_controller_path() -> None:
    from bridge.cli.sandbox import _server

    seen: dict[str, Any] = {}
    mount = f"/usr/share/jenkins/shared-library={LIBRARY}"
    _server(lambda **kw: seen.update(kw), (), {}, (), (), "127.0.0.1", 0, "u", None, None, None, "", (mount,))
    assert seen["mounts"] == {"/usr/share/jenkins/shared-library": str(LIBRARY)}


def test_a_call_the_library_does_not_define_is_groovys_missing_method(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    devops(j)
    job(j, "devops", "positional", "withCredentials([kubeconfigFile('rohan')]) { echo 'x' }")
    result, console = run_to_end(j, "devops/positional")
    assert result == "FAILURE"
    assert (
        "groovy.lang.MissingMethodException: No signature of method: kubeconfigFile.call() is applicable"
        " for argument types: (java.lang.String) values: [rohan]" in console
    )


def test_a_build_resumed_after_a_restart_still_binds_through_the_library(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    script = (
        "input(id: 'Go', message: 'go?')\n"
        "node { withCredentials([kubeconfigFile(credentialsId: 'shire', variable: 'KUBECONFIG')]) {"
        " sh 'cat $KUBECONFIG' } }"
    )
    j = start(sandbox_jenkins_factory, tmp_path, state_dir=tmp_path / "home")
    devops(j)
    job(j, "devops", "gated", script)
    s = session(j)
    base = f"{j.url}job/devops/job/gated/1/"
    assert s.post(f"{j.url}job/devops/job/gated/build").status_code == 201
    wait_for(lambda: s.get(base + "wfapi/pendingInputActions").json())
    j.restart()
    base = f"{j.url}job/devops/job/gated/1/"
    wait_for(lambda: s.get(base + "wfapi/pendingInputActions").json())
    assert session(j, "alice").post(base + "input/Go/proceedEmpty").status_code == 200
    info = wait_for(lambda: (i := s.get(base + "api/json").json())["result"] and i)
    console = s.get(base + "consoleText").text
    assert info["result"] == "SUCCESS", console
    assert console.count("Loading library jenkins-bridge-shim@image") == 1
    assert console.index("after Jenkins restart") < console.index("+ cat ****\n****\n")
    assert str(SECRETS["shire"]) not in console
