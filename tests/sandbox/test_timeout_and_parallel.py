"""The ``timeout`` step and ``options { timeout }`` (``TimeoutStepExecution``), and deterministic flow
node ids in ``parallel`` (the CPS VM runs one pipeline thread at a time, in a fixed order)."""

from __future__ import annotations

import time

from bridge.sandbox.jenkins.pipeline import PipelineRun, RunContext, Simulation, compile_program
from bridge.sandbox.jenkins.pipeline.timeouts import time_span


def _run(source: str, scale: float = 0.0) -> PipelineRun:
    context = RunContext(
        job_full_name="t", build_number=1, build_url="http://j/job/t/1/", jenkins_url="http://j/"
    )
    r = PipelineRun(
        program=compile_program(source),
        source=source,
        context=context,
        simulation=Simulation(time_scale=scale),
    )
    r.start()
    assert r.join(10), "run did not finish"
    return r


def test_time_span_strings_are_jenkins_util() -> None:
    assert [time_span(s) for s in (300, 10, 1.5, 0.25, 0.05, 3600, 720, 90061)] == [
        "5 min 0 sec",
        "10 sec",
        "1.5 sec",
        "0.25 sec",
        "50 ms",
        "1 hr 0 min",
        "12 min",
        "1 day 1 hr",
    ]


def test_timeout_cuts_its_body_short_and_aborts_the_build() -> None:
    began = time.monotonic()
    r = _run(
        "node { timeout(time: 2, unit: 'SECONDS') { sleep 60; echo 'never' }; echo 'after' }", scale=0.05
    )
    elapsed = time.monotonic() - began
    assert 0.08 <= elapsed < 1.5  # 2 simulated seconds at scale 0.05, not 60
    text = r.console.text()
    assert r.result == "ABORTED"
    assert "never" not in text and "after" not in text
    lines = text.splitlines()
    start = lines.index("[Pipeline] timeout")
    assert lines[start + 1 : start + 6] == [
        "Timeout set to expire in 2 sec",
        "[Pipeline] {",
        "[Pipeline] sleep",
        "Sleeping for 1 min",
        "Cancelling nested steps due to timeout",
    ]
    assert lines[-2:] == ["Timeout has been exceeded", "Finished: ABORTED"]
    timeout_start = next(n for n in r.graph.ordered() if n.function == "timeout")
    assert bytes(timeout_start.log or b"").decode() == (
        "Timeout set to expire in 2 sec\nCancelling nested steps due to timeout\n"
    )
    sleep = next(n for n in r.graph.ordered() if n.function == "sleep")
    assert sleep.error == (
        "Timeout has been exceeded",
        "org.jenkinsci.plugins.workflow.steps.FlowInterruptedException",
    )
    assert sleep.error_result == "ABORTED"


def test_body_within_its_time_ends_normally() -> None:
    r = _run("node { timeout(time: 5, unit: 'MINUTES') { sleep 30; echo 'in time' } }")
    assert r.result == "SUCCESS" and "in time" in r.console.text()


def test_retry_retries_a_timeout_that_left_its_step_but_not_a_stop() -> None:
    r = _run("node { retry(2) { timeout(time: 1, unit: 'SECONDS') { sleep 5 } } }")
    text = r.console.text()
    assert text.count("Cancelling nested steps due to timeout") == 2
    assert "Retrying" in text and r.result == "ABORTED"


def test_declarative_pipeline_and_stage_timeout_options() -> None:
    pipeline_level = """pipeline { agent any
      options { timeout(time: 10, unit: 'SECONDS') }
      stages {
        stage('a') { steps { sleep 4 } }
        stage('b') { steps { sleep 8 } }
        stage('c') { steps { echo 'c' } }
      }
      post { always { echo 'post ran' } }
    }"""
    r = _run(pipeline_level)
    text = r.console.text()
    assert r.result == "ABORTED" and "post ran" in text
    assert 'Stage "c" skipped due to earlier failure(s)' in text
    assert text.index("[Pipeline] timeout") < text.index("[Pipeline] { (a)")
    stage_level = """pipeline { agent any
      stages {
        stage('slow') {
          options { timeout(time: 1, unit: 'MINUTES') }
          steps { sleep 120 }
        }
        stage('next') { steps { echo 'next' } }
      }
    }"""
    r = _run(stage_level)
    text = r.console.text()
    assert r.result == "ABORTED" and "Timeout set to expire in 1 min 0 sec" in text
    assert text.index("[Pipeline] { (slow)") < text.index("[Pipeline] timeout")
    assert 'Stage "next" skipped due to earlier failure(s)' in text


PARALLEL = """pipeline { agent any
  stages {
    stage('p') {
      parallel {
        stage('a') { steps { echo 'a1'; sh 'make a'; echo 'a2' } }
        stage('b') { steps { echo 'b1'; echo 'b2' } }
        stage('c') { steps { sleep 1; echo 'c1' } }
      }
    }
  }
}"""


def _shape(r: PipelineRun) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [(n.id, n.function, n.display_name, tuple(n.parents)) for n in r.graph.ordered()]


def test_parallel_node_ids_and_console_do_not_depend_on_scheduling() -> None:
    first = _run(PARALLEL)
    shapes = {repr(_shape(first))}
    consoles = {first.console.text()}
    for scale in (0.0, 0.0, 0.001, 0.0):
        again = _run(PARALLEL, scale=scale)
        shapes.add(repr(_shape(again)))
        consoles.add(again.console.text())
    assert len(shapes) == 1 and len(consoles) == 1
    lines = first.console.text().splitlines()
    branch_heads = [i for i, line in enumerate(lines) if line.startswith("[Pipeline] { (Branch: ")]
    assert [lines[i] for i in branch_heads] == [
        "[Pipeline] { (Branch: a)",
        "[Pipeline] { (Branch: b)",
        "[Pipeline] { (Branch: c)",
    ]
    assert branch_heads == [branch_heads[0], branch_heads[0] + 1, branch_heads[0] + 2]
    echoes = [line for line in lines if line in ("a1", "a2", "b1", "b2", "c1")]
    assert echoes == ["a1", "b1", "b2", "c1", "a2"]  # one step per turn; c slept before a ran `sh`
