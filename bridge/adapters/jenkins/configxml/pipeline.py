"""WorkflowJob (``flow-definition``) config.xml for a pipeline, and its parser.

Element names follow the Jenkins classes (workflow-job, workflow-cps, core parameter definitions,
LogRotator, git's GitSCM). Inline Jenkinsfiles always run in the Groovy sandbox: ``sandbox`` is
written ``true`` whatever the input. The parser reads back what the builder writes (and the
variants Jenkins itself writes, e.g. both shapes of choice lists), so a deep check can compare
Jenkins' copy with the desired one.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from bridge.adapters.jenkins.configxml.authz import add_run_as
from bridge.adapters.jenkins.configxml.rendered import Rendered, render
from bridge.adapters.jenkins.configxml.xmltext import bool_of, clean, int_of, parse, sub, text_of
from bridge.domain.model import Discarder, Parameter, ParameterType, Pipeline, ScmSource
from bridge.identity.attribution import REQUESTED_BY_PARAMETER

JOB_CLASS = "org.jenkinsci.plugins.workflow.job.WorkflowJob"
CPS = "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"
CPS_SCM = "org.jenkinsci.plugins.workflow.cps.CpsScmFlowDefinition"
GIT_SCM = "hudson.plugins.git.GitSCM"
PARAMS_PROPERTY = "hudson.model.ParametersDefinitionProperty"
DISCARDER_PROPERTY = "jenkins.model.BuildDiscarderProperty"
NO_CONCURRENT_PROPERTY = "org.jenkinsci.plugins.workflow.job.properties.DisableConcurrentBuildsJobProperty"
TRIGGERS_PROPERTY = "org.jenkinsci.plugins.workflow.job.properties.PipelineTriggersJobProperty"
TIMER_TRIGGER = "hudson.triggers.TimerTrigger"
REQUESTED_BY_DESCRIPTION = "Who asked jenkins-bridge for this run (set by the bridge)"

PARAMETER_CLASSES: dict[ParameterType, str] = {
    ParameterType.STRING: "hudson.model.StringParameterDefinition",
    ParameterType.TEXT: "hudson.model.TextParameterDefinition",
    ParameterType.CHOICE: "hudson.model.ChoiceParameterDefinition",
    ParameterType.BOOLEAN: "hudson.model.BooleanParameterDefinition",
    ParameterType.PASSWORD: "hudson.model.PasswordParameterDefinition",
}
_PARAMETER_TYPES = {cls: kind for kind, cls in PARAMETER_CLASSES.items()}


def render_pipeline(
    pipeline: Pipeline, *, key: bytes, requested_by: bool = True, run_as: str | None = None
) -> Rendered:
    """``requested_by``: define the ``BRIDGE_REQUESTED_BY`` string parameter (attribution "parameter");
    ``run_as``: the Jenkins user every build runs as (the project identity; ``configxml.authz``)."""

    def build(description: str) -> ET.Element:
        return build_pipeline(pipeline, description=description, requested_by=requested_by, run_as=run_as)

    return render(build, description=pipeline.description, key=key)


def build_pipeline(
    pipeline: Pipeline, *, description: str, requested_by: bool = True, run_as: str | None = None
) -> ET.Element:
    root = ET.Element("flow-definition", {"plugin": "workflow-job"})
    sub(root, "actions")
    sub(root, "description", description)
    sub(root, "keepDependencies", "false")
    properties = sub(root, "properties")
    if run_as is not None:
        add_run_as(properties, run_as)
    _properties(properties, with_requested_by(pipeline) if requested_by else pipeline)
    _definition(root, pipeline)
    sub(root, "triggers")
    sub(root, "disabled", "false")
    return root


def with_requested_by(pipeline: Pipeline) -> Pipeline:
    """The pipeline with the requester parameter last (unless it defines one itself).

    Defined in the job, not the Jenkinsfile: a declarative ``parameters {}`` directive replaces only the
    parameters a Jenkinsfile declared (``DeclarativeJobPropertyTrackerAction``), so this one survives runs.
    """
    if any(p.name == REQUESTED_BY_PARAMETER for p in pipeline.parameters):
        return pipeline
    requester = Parameter(
        name=REQUESTED_BY_PARAMETER,
        type=ParameterType.STRING,
        default="",
        description=REQUESTED_BY_DESCRIPTION,
    )
    return dataclasses.replace(pipeline, parameters=(*pipeline.parameters, requester))


def _properties(props: ET.Element, pipeline: Pipeline) -> None:
    if pipeline.discarder is not None:
        strategy = sub(sub(props, DISCARDER_PROPERTY), "strategy", **{"class": "hudson.tasks.LogRotator"})
        sub(strategy, "daysToKeep", str(_or_unset(pipeline.discarder.days)))
        sub(strategy, "numToKeep", str(_or_unset(pipeline.discarder.builds)))
        sub(strategy, "artifactDaysToKeep", "-1")
        sub(strategy, "artifactNumToKeep", "-1")
    if not pipeline.concurrent:
        sub(sub(props, NO_CONCURRENT_PROPERTY), "abortPrevious", "false")
    if pipeline.parameters:
        definitions = sub(sub(props, PARAMS_PROPERTY), "parameterDefinitions")
        for parameter in pipeline.parameters:
            _parameter(definitions, parameter)
    if pipeline.cron:
        triggers = sub(sub(props, TRIGGERS_PROPERTY), "triggers")
        sub(sub(triggers, TIMER_TRIGGER), "spec", pipeline.cron)


def _or_unset(value: int | None) -> int:
    return -1 if value is None else value


def _parameter(parent: ET.Element, parameter: Parameter) -> None:
    node = sub(parent, PARAMETER_CLASSES[parameter.type])
    sub(node, "name", parameter.name)
    sub(node, "description", parameter.description)
    if parameter.type is ParameterType.CHOICE:
        choices = sub(node, "choices", **{"class": "java.util.Arrays$ArrayList"})
        array = sub(choices, "a", **{"class": "string-array"})
        for choice in parameter.choices:
            sub(array, "string", choice)
    elif parameter.type is ParameterType.BOOLEAN:
        sub(node, "defaultValue", "true" if parameter.default in (True, "true") else "false")
    else:
        default = parameter.default
        sub(node, "defaultValue", "" if default is None else str(default))
        if parameter.type in (ParameterType.STRING, ParameterType.TEXT):
            sub(node, "trim", "false")


def _definition(root: ET.Element, pipeline: Pipeline) -> None:
    if pipeline.scm is None:
        node = sub(root, "definition", **{"class": CPS, "plugin": "workflow-cps"})
        sub(node, "script", pipeline.jenkinsfile or "")
        sub(node, "sandbox", "true")
        return
    scm = pipeline.scm
    node = sub(root, "definition", **{"class": CPS_SCM, "plugin": "workflow-cps"})
    git = sub(node, "scm", **{"class": GIT_SCM, "plugin": "git"})
    sub(git, "configVersion", "2")
    remote = sub(sub(git, "userRemoteConfigs"), "hudson.plugins.git.UserRemoteConfig")
    sub(remote, "url", scm.url)
    if scm.credential:
        sub(remote, "credentialsId", scm.credential)
    branch = sub(sub(git, "branches"), "hudson.plugins.git.BranchSpec")
    sub(branch, "name", branch_spec(scm.branch))
    sub(git, "doGenerateSubmoduleConfigurations", "false")
    sub(git, "submoduleCfg", **{"class": "empty-list"})
    sub(git, "extensions")
    sub(node, "scriptPath", scm.script_path)
    sub(node, "lightweight", "true")


def branch_spec(branch: str) -> str:
    """Git plugin branch specifier: a plain branch name matches on any remote (``*/main``)."""
    if branch.startswith(("*/", "refs/", "origin/")) or "*" in branch:
        return branch
    return f"*/{branch}"


def parse_pipeline(config: bytes | str, *, project: str, name: str) -> Pipeline:
    """The pipeline a config.xml describes (description without our marker is the caller's job).

    ``BRIDGE_REQUESTED_BY`` is left out: rendering adds it back in "parameter" mode.
    """
    root = parse(config)
    props = root.find("properties")
    if props is None:
        props = ET.Element("properties")
    definition = root.find("definition")
    jenkinsfile: str | None = None
    scm: ScmSource | None = None
    if definition is not None and definition.get("class") == CPS_SCM:
        scm = _parse_scm(definition)
    elif definition is not None:
        jenkinsfile = text_of(definition, "script")
    return Pipeline(
        project=project,
        name=name,
        description=text_of(root, "description"),
        jenkinsfile=jenkinsfile,
        scm=scm,
        parameters=tuple(
            parameter
            for parameter in map(_parse_parameter, props.findall(f"{PARAMS_PROPERTY}/parameterDefinitions/*"))
            if parameter.name != REQUESTED_BY_PARAMETER  # the bridge's own, not the user's (see above)
        ),
        discarder=_parse_discarder(props),
        concurrent=props.find(NO_CONCURRENT_PROPERTY) is None
        and text_of(root, "concurrentBuild", "true").strip() != "false",
        cron=_parse_cron(root, props),
    )


def _parse_scm(definition: ET.Element) -> ScmSource:
    branch = text_of(definition, "scm/branches/hudson.plugins.git.BranchSpec/name", "*/main")
    remote = "scm/userRemoteConfigs/hudson.plugins.git.UserRemoteConfig"
    return ScmSource(
        url=text_of(definition, f"{remote}/url"),
        branch=branch[2:] if branch.startswith("*/") else branch,
        credential=text_of(definition, f"{remote}/credentialsId") or None,
        script_path=text_of(definition, "scriptPath", "Jenkinsfile"),
    )


def _parse_parameter(node: ET.Element) -> Parameter:
    kind = _PARAMETER_TYPES.get(node.tag, ParameterType.STRING)
    default: str | bool | None = None
    choices: tuple[str, ...] = ()
    if kind is ParameterType.CHOICE:
        choices = tuple(s.text or "" for s in node.iter("string"))
    elif kind is ParameterType.BOOLEAN:
        default = bool_of(node, "defaultValue")
    else:
        found = node.find("defaultValue")
        default = None if found is None else (found.text or "")
    return Parameter(
        name=text_of(node, "name"),
        type=kind,
        default=default,
        choices=choices,
        description=text_of(node, "description"),
    )


def _parse_discarder(props: ET.Element) -> Discarder | None:
    strategy = props.find(f"{DISCARDER_PROPERTY}/strategy")
    if strategy is None:
        return None
    return Discarder(days=int_of(strategy, "daysToKeep"), builds=int_of(strategy, "numToKeep"))


def _parse_cron(root: ET.Element, props: ET.Element) -> str | None:
    for path in (f"{TRIGGERS_PROPERTY}/triggers/{TIMER_TRIGGER}/spec",):
        node = props.find(path)
        if node is not None:
            return clean(node.text or "") or None
    legacy = root.find(f"triggers/{TIMER_TRIGGER}/spec")  # pre-2.x layout, migrated by Jenkins on load
    return (legacy.text or None) if legacy is not None else None
