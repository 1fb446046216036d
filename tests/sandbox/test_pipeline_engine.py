"""Engine tests without HTTP: step semantics, flow graph numbering, logs, masking, inputs, interruption."""

from __future__ import annotations

import time

import pytest

from bridge.sandbox.jenkins.pipeline import (
    CredentialValue,
    PipelineRun,
    RunContext,
    ShellRule,
    Simulation,
    compile_program,
    input_id,
)
from tests.waiting import wait_until

CREDS = {
    "token": CredentialValue("token", "string", secret="t0p-s3cret-value"),
    "login": CredentialValue("login", "usernamePassword", username="robot", secret="hunter2-pass"),
}


def run(
    source: str, *rules: ShellRule, params: dict | None = None, branch: str | None = None, start: bool = True
) -> PipelineRun:
    context = RunContext(
        job_full_name="f/job",
        build_number=7,
        build_url="http://j/job/f/job/job/7/",
        jenkins_url="http://j/",
        parameters=params or {},
        credentials=CREDS.get,
        branch_name=branch,
    )
    r = PipelineRun(
        program=compile_program(source),
        source=source,
        context=context,
        simulation=Simulation(time_scale=0, shell_rules=rules),
    )
    if start:
        r.start()
    return r


def finished(r: PipelineRun) -> str:
    assert r.join(5), "run did not finish"
    return r.console.read().decode()


def wait_input(r: PipelineRun) -> str:
    return str(wait_until(r.pending_inputs, timeout=5, interval=0.01, what="an input")[0].id)


def test_input_id_rule() -> None:
    assert input_id("x", "deploy-to-staging") == "Deploy-to-staging"
    assert input_id("Is the build okay?") == "Ef95dd500ae6ed3b27b89fb852296d12"
    assert input_id("hangs forever") == "527b9cd59ee3e457471284237b8dc8dd"
    assert input_id("x", "Already") == "Already"


def test_scripted_flow_graph_numbering() -> None:
    r = run("node { stage('A') { echo 'a' } }")
    assert finished(r).splitlines() == [
        "[Pipeline] Start of Pipeline",
        "[Pipeline] node",
        "Running on Jenkins in /var/jenkins_home/workspace/f_job",
        "[Pipeline] {",
        "[Pipeline] stage",
        "[Pipeline] { (A)",
        "[Pipeline] echo",
        "a",
        "[Pipeline] }",
        "[Pipeline] // stage",
        "[Pipeline] }",
        "[Pipeline] // node",
        "[Pipeline] End of Pipeline",
        "Finished: SUCCESS",
    ]
    nodes = {n.id: n for n in r.graph.ordered()}
    assert [(n.id, n.kind, n.display_name) for n in nodes.values()] == [
        ("2", "start", "Start of Pipeline"),
        ("3", "block_start", "Allocate node : Start"),
        ("4", "block_start", "Allocate node : Body : Start"),
        ("5", "block_start", "Stage : Start"),
        ("6", "block_start", "Stage : Body : Start"),
        ("7", "atom", "Print Message"),
        ("8", "block_end", "Stage : Body : End"),
        ("9", "block_end", "Stage : End"),
        ("10", "block_end", "Allocate node : Body : End"),
        ("11", "block_end", "Allocate node : End"),
        ("12", "end", "End of Pipeline"),
    ]
    assert [nodes[str(i)].parents for i in range(3, 13)] == [[str(i)] for i in range(2, 12)]
    assert nodes["5"].label == "A" and nodes["7"].enclosing == ("6", "5", "4", "3")
    assert bytes(nodes["7"].log or b"") == b"a\n"
    assert bytes(nodes["3"].log or b"").startswith(b"Running on Jenkins")


def test_when_parallel_post_and_environment() -> None:
    source = """
pipeline {
  agent any
  parameters { booleanParam(name: 'DEPLOY', defaultValue: false) }
  environment { APP = 'shop'; TAG = "${APP}-$BUILD_NUMBER" }
  stages {
    stage('only main') { when { branch 'main' }; steps { echo 'on main' } }
    stage('only feature') { when { branch 'feature/*' }; steps { echo "tag=$TAG" } }
    stage('deploy') { when { expression { return params.DEPLOY } }; steps { echo 'deploying' } }
    stage('not') { when { not { environment name: 'APP', value: 'other' } }; steps { echo 'not other' } }
    stage('par') {
      parallel {
        stage('left') { steps { echo 'L' } }
        stage('right') { steps { echo 'R' } }
      }
    }
  }
  post { success { echo 'all good' }; failure { echo 'never' }; always { echo 'always' } }
}
"""
    r = run(source, branch="feature/x")
    console = finished(r)
    assert 'Stage "only main" skipped due to when conditional' in console
    assert "tag=shop-7" in console
    assert 'Stage "deploy" skipped due to when conditional' in console
    assert "not other" in console
    assert "[Pipeline] { (Branch: left)" in console and "[Pipeline] { (Branch: right)" in console
    assert console.index("always") < console.index("all good")  # post order: always before success
    assert "never" not in console
    assert r.result == "SUCCESS"
    names = [n.label for n in r.graph.stages()]
    assert names == [
        "only main",
        "only feature",
        "deploy",
        "not",
        "par",
        "left",
        "right",
        "Declarative: Post Actions",
    ]
    parallel_end = next(n for n in r.graph.ordered() if n.display_name == "Execute in parallel : End")
    assert len(parallel_end.parents) == 2
    r2 = run(source, branch="main", params={"DEPLOY": True})
    console2 = finished(r2)
    assert "on main" in console2 and "deploying" in console2


def test_sh_failure_retry_error_and_post_failure() -> None:
    source = """
pipeline {
  agent any
  stages {
    stage('flaky') { steps { retry(2) { sh 'exit 4' } } }
    stage('after') { steps { echo 'unreached' } }
  }
  post { failure { echo "failed: ${currentBuild.currentResult}" } }
}
"""
    console = finished(r := run(source))
    assert console.count("+ exit 4") == 2
    assert "ERROR: script returned exit code 4\nRetrying" in console
    assert 'Stage "after" skipped due to earlier failure(s)' in console
    assert "failed: FAILURE" in console
    assert console.rstrip().endswith(
        "[Pipeline] End of Pipeline\nERROR: script returned exit code 4\nFinished: FAILURE"
    )
    assert r.result == "FAILURE"
    failed = [n for n in r.graph.ordered() if n.kind == "atom" and n.error]
    assert [n.error for n in failed] == [("script returned exit code 4", "hudson.AbortException")] * 2


def test_unknown_step_and_missing_property() -> None:
    console = finished(run("node { bogusStep 'x' }"))
    assert "java.lang.NoSuchMethodError: No such DSL method 'bogusStep' found among steps [" in console
    assert "sh, sleep, stage" in console and console.rstrip().endswith("Finished: FAILURE")
    console = finished(run('echo "${UNDEFINED_THING}"'))
    assert (
        "groovy.lang.MissingPropertyException: No such property: UNDEFINED_THING"
        " for class: groovy.lang.Binding" in console
    )


def test_credentials_are_masked_everywhere() -> None:
    source = """
node {
  withCredentials([string(credentialsId: 'token', variable: 'T'),
                   usernamePassword(credentialsId: 'login', usernameVariable: 'U', passwordVariable: 'P')]) {
    sh 'curl -H "Authorization: $T" -u $U:$P https://api'
    echo "token is ${T}"
    sh 'print-secret'
  }
  echo 'robot is not secret outside the block'
}
"""
    r = run(source, ShellRule("print-secret", output="leaked t0p-s3cret-value and hunter2-pass"))
    console = finished(r)
    assert "t0p-s3cret-value" not in console and "hunter2-pass" not in console
    assert "+ curl -H 'Authorization: ****' -u ****:**** https://api" in console
    assert "token is ****" in console and "leaked **** and ****" in console
    assert "robot is not secret outside the block" in console
    for node in r.graph.ordered():
        assert b"t0p-s3cret-value" not in bytes(node.log or b"")


def test_missing_and_mistyped_credentials() -> None:
    console = finished(
        run("node { withCredentials([string(credentialsId: 'nope', variable: 'X')]) { echo 'no' } }")
    )
    assert "[Pipeline] withCredentials\n[Pipeline] // withCredentials" in console
    assert "ERROR: Could not find credentials entry with ID 'nope'" in console
    console = finished(
        run("node { withCredentials([string(credentialsId: 'login', variable: 'X')]) { echo 'no' } }")
    )
    assert (
        "ERROR: Credentials 'login' is of type 'Username with password' where 'Secret text' was expected"
        in console
    )


def test_input_parameters_submitter_and_abort() -> None:
    source = """
pipeline {
  agent any
  stages {
    stage('ask') {
      steps {
        script {
          def choice = input(message: 'Pick', ok: 'Go', submitter: 'ops',
                             parameters: [choice(name: 'WHERE', choices: ['eu', 'us'])])
          echo "picked ${choice}"
        }
        input 'second?'
      }
    }
  }
  post { aborted { echo 'was aborted' } }
}
"""
    r = run(source)
    first = wait_input(r)
    pending = r.pending_inputs()[0]
    assert (first, pending.ok, pending.submitter) == (input_id("Pick"), "Go", "ops")
    assert [(p.name, p.choices) for p in pending.parameters] == [("WHERE", ("eu", "us"))]
    assert r.settle_input(first, outcome="proceed", user="alice", values={"WHERE": "us"})
    second = wait_until(
        lambda: next((i.id for i in r.pending_inputs() if i.id != first), None),
        timeout=5,
        interval=0.01,
        what="the second input",
    )
    assert second == input_id("second?")
    assert r.settle_input(second, outcome="abort", user="bob")
    console = finished(r)
    assert "Input requested\nApproved by alice" in console and "picked us" in console
    assert "second?\nProceed or Abort\nRejected by bob" in console
    assert "was aborted" in console and r.result == "ABORTED"
    assert not r.settle_input(second, outcome="proceed", user="x")


def test_stop_interrupts_a_sleeping_step() -> None:
    r = PipelineRun(
        program=compile_program("node { sleep 60 }"),
        source="",
        simulation=Simulation(time_scale=1.0),
        context=RunContext(job_full_name="j", build_number=1, build_url="u", jenkins_url="u"),
    )
    r.start()
    wait_until(lambda: "Sleeping for 1 min" in r.console.text(), timeout=5, interval=0.01, what="the sleep")
    started = time.monotonic()
    r.interrupt("Aborted by admin")
    console = finished(r)
    assert time.monotonic() - started < 2
    assert "Sleeping for 1 min\nAborted by admin" in console
    assert r.result == "ABORTED"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        (
            "echo 'x' | docker login -u \"$U\" --password-stdin",
            ["+ echo x", "+ docker login -u me --password-stdin"],
        ),
        ("envsubst < in.yaml | kubectl apply -f -", ["+ envsubst", "+ kubectl apply -f -"]),
        ("echo '$U' stays", ["+ echo '$U' stays"]),
        ("true\nfalse\necho never", ["+ true", "+ false"]),
    ],
)
def test_shell_trace(script: str, expected: list[str]) -> None:
    from bridge.sandbox.jenkins.pipeline.shell import simulate

    assert list(simulate(script, {"U": "me"}).lines) == expected
