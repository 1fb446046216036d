"""``jenkins-bridge demo --once`` as a real process: the seed story end to end through the API.

Once with real kube-apiservers (when built) and plain output, once with static kubeconfigs on a pty
(colours), once with a Jenkinsfile that fails (a non-zero exit naming the step and the reason).
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bridge.cli.demo.kube import find_binaries

ROOT = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("jenkins-bridge")
SEED = ROOT / "tests" / "sandbox" / "data" / "seed-multicluster.Jenkinsfile"
STAGES = (
    "checkout",
    "unit test",
    "sonarqube analysis",
    "build & push",
    "push latest",
    "deploy to dev",
    "deploy to staging",
    "deploy to production",
)
ESCAPE = "\x1b["
RUNS = "/api/v1/projects/multicluster-demo/pipelines/build-and-deploy-application/runs/1"
TIMEOUT = 240


def _argv(*extra: str) -> list[str]:
    return [str(CLI), "demo", "--once", "--port", "0", "--speed", "0", *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"}


def _assert_names_each_step(out: str) -> None:
    # clusters, the workspace and project, the people, the credentials and the pipeline
    for cluster in ("rohan", "gondor", "shire"):
        assert re.search(rf"^\s+{cluster}\s+(member|host)\s", out, re.M), cluster
    assert "workspace devops-multicluster: clusters rohan, gondor, shire" in out
    assert "project multicluster-demo in devops-multicluster, placed on cluster gondor" in out
    assert "credential dockerhub-id (basic-auth)" in out and "credential sonar-token (secret-text)" in out
    assert "pipeline build-and-deploy-application: the seed's Jenkinsfile" in out
    # the sync, with the three kubeconfigs
    for cluster in ("rohan", "gondor", "shire"):
        assert re.search(rf"kubeconfig {cluster}\s+synced\s+cluster {cluster}", out), cluster
    # the run and each of its stages
    assert "started by alice" in out
    for stage in STAGES:
        assert stage in out, stage
    # both approvals: who may, the refusal of a viewer, the approver
    for stage, cluster in (("deploy to staging", "gondor"), ("deploy to production", "shire")):
        assert f"Approval: '{stage}' waits for a person (deploys to {cluster})" in out
        assert f'approved by bob: "ship it to {cluster}"' in out
    assert out.count("who may approve:") == 2
    assert out.count("carol tried to approve: refused (403") == 2
    # the result, where each stage's log is, the audit trail
    assert "run #1 succeeded (SUCCESS)" in out
    assert f"{RUNS}/log" in out
    assert len(re.findall(rf"{re.escape(RUNS)}/stages/[^/\s]+/log", out)) == len(STAGES)
    assert "no secret in any of them" in out
    assert "Audit trail of multicluster-demo" in out
    for stage in ("staging", "production"):
        assert re.search(
            rf"^\s+\S+\s+bob\s+input\.submit\s+runs/1/inputs/Deploy-to-{stage}/approve\s+success 20",
            out,
            re.M,
        ), stage
        assert re.search(
            rf"^\s+\d\d:\d\d:\d\d\s+carol\s+\S+\s+runs/1/inputs/Deploy-to-{stage}/approve\s+denied 403",
            out,
            re.M,
        ), stage
    assert "both approvals recorded with the approver's name: bob" in out
    # the pipeline's deploy targets, its Code Quality report (from the sandbox SonarQube, through the API)
    assert (
        "deploy targets: rohan/kubesphere-sample-dev, gondor/kubesphere-sample-prod, "
        "shire/kubesphere-sample-prod" in out
    )
    assert "Code Quality of run #1: the 'sonarqube analysis' stage's report" in out
    assert "project io.jenkins.sandbox:build-and-deploy-application" in out
    assert "quality gate OK: new_coverage 90.0 (fails when below 80)" in out
    assert (
        "bugs 0  vulnerabilities 1  code smells 2  coverage 83.4%  duplications 0.0%  lines of code 132"
        in out
    )
    assert re.search(
        r"^\s+BLOCKER\s+VULNERABILITY\s+src/main/java/io/kubesphere/devops/Config\.java:21\s", out, re.M
    )
    assert f"{RUNS}/code-quality" in out
    # then the workloads per cluster, after the production approval
    assert "Workloads: what run #1 deployed, per cluster" in out
    assert out.index('approved by bob: "ship it to shire"') < out.index("Workloads: what run #1 deployed")
    assert "The seed story ran end to end" in out


def _assert_deployed_with_scoped_credentials(out: str) -> None:
    """Real clusters: scoped credentials, the seed's Deployments applied with them, listed per cluster."""
    assert "credential policy scoped:" in out
    for cluster, namespace, name, replicas, stage in (
        ("rohan", "kubesphere-sample-dev", "ks-sample-dev", 1, "deploy to dev"),
        ("gondor", "kubesphere-sample-prod", "ks-sample", 2, "deploy to staging"),
        ("shire", "kubesphere-sample-prod", "ks-sample", 2, "deploy to production"),
    ):
        assert re.search(
            rf"kubeconfig {cluster}\s+synced\s+cluster {cluster}, scoped "
            rf"\(namespaces {namespace}, token expires",
            out,
        ), cluster
        assert (
            f"'{stage}': deployment.apps/{name} created in {cluster}/{namespace} (SNAPSHOT-master-1), "
            f"with the folder's credential '{cluster}' (scoped)"
        ) in out
        assert re.search(
            rf"^\s+{cluster}\s+{namespace}\s+Deployment/{name}\s+devops-maven-sample:SNAPSHOT-master-1\s+0/{replicas}$",
            out,
            re.M,
        ), cluster
        assert f"run #1 on {cluster}/{namespace}: runs there" in out
    assert "the same credential deploying to shire/default: refused (403 Forbidden)" in out
    assert "run #1's image runs in all 3 targets" in out
    assert re.search(r"^\s+\S+\s+jenkins-bridge\s+scoped\.grant\s", out, re.M)


def _assert_static_clusters_deploy_nothing(out: str) -> None:
    assert "credential policy full: static kubeconfigs of clusters nobody serves" in out
    assert out.count("static clusters, nothing deployed") == 3
    assert re.search(r"^\s+shire\s+kubesphere-sample-prod\s+\(unreachable: ", out, re.M)
    assert "run #1 on shire/kubesphere-sample-prod: unknown (cluster not read)" in out


def test_demo_once_plain_output_names_each_step() -> None:
    """No terminal: plain lines, no escape codes; real clusters when `make k8s-bin` built them."""
    done = subprocess.run(
        _argv(), env=_env(), capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    _assert_names_each_step(out)
    assert ESCAPE not in out
    for stage in STAGES:  # one line per stage change, in order
        assert f"stage {stage}: succeeded" in out
    if find_binaries() is not None:
        assert "three real kube-apiservers answer /version" in out
        assert re.search(r"^\s+gondor\s+host\s+yes\s+yes\s+v\d+\.\d+", out, re.M)
        _assert_deployed_with_scoped_credentials(out)
    else:
        assert "shown as unreachable" in out and "make k8s-bin" in out
        _assert_static_clusters_deploy_nothing(out)


def _run_on_pty(argv: list[str]) -> tuple[int, str]:
    main, child = pty.openpty()
    process = subprocess.Popen(argv, stdin=child, stdout=child, stderr=child, env=_env())
    os.close(child)
    chunks: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 1.0)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                data = os.read(main, 65536)
            except OSError:  # the child side closed: the process has ended
                break
            if not data:
                break
            chunks.append(data)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(main)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


def test_demo_once_on_a_terminal_has_colours_and_static_clusters() -> None:
    # simulated steps of 0.2 s: the build runs for seconds before it pauses, so the graph is redrawn
    code, out = _run_on_pty([*_argv("--clusters", "static"), "--speed", "0.2"])
    assert code == 0, out
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out)
    _assert_names_each_step(plain)
    assert f"{ESCAPE}32m" in out  # green for what succeeded
    assert re.search(r"\x1b\[\d+F", out), "the stage graph is redrawn in place"
    assert "static kubeconfigs only: rohan, gondor, shire shown as unreachable" in plain
    _assert_static_clusters_deploy_nothing(plain)
    assert "run `make k8s-bin`" in plain


def test_demo_once_exits_non_zero_naming_the_failure(tmp_path: Path) -> None:
    broken = tmp_path / "Jenkinsfile"
    text = SEED.read_text(encoding="utf-8")
    assert "sh 'mvn clean test'" in text
    broken.write_text(
        text.replace("sh 'mvn clean test'", "sh 'mvn clean test'\n          sh 'exit 3'"), encoding="utf-8"
    )
    done = subprocess.run(
        _argv("--clusters", "static", "--jenkinsfile", str(broken)),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "stage unit test: failed" in done.stdout
    assert "stage deploy to staging: not_built" in done.stdout
    assert re.search(
        r"the demo failed at step 'result': run #1 failed at stage 'unit test': .*exit code 3", done.stdout
    ), done.stdout
    assert "Approval:" not in done.stdout


def test_demo_jenkinsfile_is_the_seeds_verbatim() -> None:
    example = ROOT / "examples" / "multicluster" / "Jenkinsfile"
    assert example.read_bytes() == SEED.read_bytes()


def test_demo_real_clusters_without_binaries_says_how_to_get_them(tmp_path: Path) -> None:
    env = {**_env(), "BRIDGE_K8S_CACHE": str(tmp_path / "empty"), "KUBEBUILDER_ASSETS": ""}
    done = subprocess.run(
        [str(CLI), "demo", "--once", "--clusters", "real", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert "no kube-apiserver and etcd were found: run `make k8s-bin`" in done.stderr


def test_demo_keeps_the_api_running_until_interrupted() -> None:
    """Without --once: the URL and a token are printed, the API answers with them, Ctrl-C stops cleanly."""
    process = subprocess.Popen(
        [str(CLI), "demo", "--port", "0", "--speed", "0", "--clusters", "static"],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.strip().startswith("try "):
                break
        out = "".join(lines)
        found = re.search(r'curl -s -H "Authorization: Bearer (\S+)" (http://\S+)', out)
        assert found, out
        answer = requests.get(found[2], headers={"Authorization": f"Bearer {found[1]}"}, timeout=10)
        assert answer.status_code == 200, answer.text
        assert any(e["action"] for e in answer.json()["items"])
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, out + rest
    assert "stopping" in rest
    with pytest.raises(requests.ConnectionError):
        requests.get(found[2], timeout=5)
