"""Declarative ``parameters`` on the first run of a new job, as Jenkins resolves them.

``executeProperties`` puts the parameter definitions on the job before any stage runs, so ``params.X`` has
the default (workflow-cps ``ParamsVariable`` adds the job's defaults), and so has a bare ``$X`` in
``environment`` (``EnvironmentResolver.getScriptPropOrParam`` falls back to ``params``). But the run was
queued without a ``ParametersAction``: ``X`` is no environment variable (a shell sees it empty) and a bare
``$X`` in steps is Groovy's ``MissingPropertyException``. From the second run on, the trigger supplies all
values and everything resolves.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import jenkins

from bridge.sandbox.jenkins import SandboxJenkins
from tests.sandbox.pipeline_helpers import create_job, fast, wait_for
from tests.sandbox.wire import python_jenkins

SCRIPT = """pipeline {
  agent any
  parameters { string(name: 'BRANCH_NAME', defaultValue: 'master') }
  environment { TAG_NAME = "SNAPSHOT-$BRANCH_NAME-$BUILD_NUMBER" }
  stages {
    stage('show') {
      steps {
        echo "tag=${env.TAG_NAME} param=${params.BRANCH_NAME} env=${env.BRANCH_NAME}"
        sh 'echo "[$BRANCH_NAME]"'
        echo "bare=$BRANCH_NAME"
      }
    }
  }
}"""


def _console(server: jenkins.Jenkins, number: int) -> tuple[str, str]:
    info = wait_for(lambda: (i := server.get_build_info("p", number))["result"] and i)
    return info["result"], server.get_build_console_output("p", number)


def test_first_run_sees_defaults_only_through_params(sandbox_jenkins: SandboxJenkins) -> None:
    j = sandbox_jenkins
    fast(j)
    create_job(j, "p", SCRIPT)
    server = python_jenkins(j)

    server.build_job("p")
    result, console = _console(server, 1)
    assert "tag=SNAPSHOT-master-1 param=master env=null" in console
    assert "+ echo []\n" in console  # no BRANCH_NAME environment variable for the shell
    assert result == "FAILURE"
    assert "groovy.lang.MissingPropertyException: No such property: BRANCH_NAME" in console

    server.build_job("p", {"BRANCH_NAME": "dev"})
    result, console = _console(server, 2)
    assert result == "SUCCESS", console
    assert "tag=SNAPSHOT-dev-2 param=dev env=dev" in console
    assert "+ echo [dev]\n" in console and "bare=dev" in console


def test_the_run_saves_the_declared_parameters_into_config_xml(sandbox_jenkins: SandboxJenkins) -> None:
    """The ``properties`` step saves the job: GET config.xml then shows the definitions (XmlFile form)."""
    j = sandbox_jenkins
    fast(j)
    script = """pipeline { agent any
      options { disableConcurrentBuilds() }
      parameters {
        string(name: 'BRANCH_NAME', defaultValue: 'master', description: 'branch')
        choice(name: 'ENV', choices: ['qa', 'prod'])
        password(name: 'PW', defaultValue: 'pw-default-value')
      }
      stages { stage('a') { steps { echo 'x' } } }
    }"""
    create_job(j, "p", script)
    server = python_jenkins(j)
    server.build_job("p")
    _console(server, 1)
    config = server.get_job_config("p")
    assert config.startswith("<?xml version='1.1' encoding='UTF-8'?>\n")
    root = ET.fromstring(config)
    definitions = root.findall("properties/hudson.model.ParametersDefinitionProperty/parameterDefinitions/*")
    assert [(d.tag.rsplit(".", 1)[1], d.findtext("name")) for d in definitions] == [
        ("StringParameterDefinition", "BRANCH_NAME"),
        ("ChoiceParameterDefinition", "ENV"),
        ("PasswordParameterDefinition", "PW"),
    ]
    assert definitions[0].findtext("defaultValue") == "master"
    assert definitions[2].findtext("defaultValue") not in ("", "pw-default-value")  # a Secret, encrypted
    assert [s.text for s in definitions[1].iterfind("choices/a/string")] == ["qa", "prod"]
    assert (
        root.find(
            "properties/org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
        )
        is not None
    )
