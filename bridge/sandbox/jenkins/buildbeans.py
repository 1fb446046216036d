"""Beans a build shares with its queue item and its job: the cause and parameter actions, the job's colour."""

from __future__ import annotations

from typing import Any

from bridge.sandbox.jenkins.buildstate import Cause, ParamValue
from bridge.sandbox.jenkins.export import Bean
from bridge.sandbox.jenkins.model import Job


def cause_bean(cause: Cause) -> Bean:
    bean = Bean(cause.java_class).add("shortDescription", cause.short_description, 3)
    if cause.user_id is not None:
        bean.add("userId", cause.user_id, 3).add("userName", cause.user_name, 3)
    return bean


def actions_beans(causes: list[Cause], parameters: list[ParamValue]) -> list[Bean]:
    out = [Bean("hudson.model.CauseAction").add("causes", [cause_bean(c) for c in causes], 2)]
    if parameters:
        values = [
            Bean(f"hudson.model.{p.type}").add("name", p.name, 3).add("value", p.value, 3) for p in parameters
        ]
        out.append(Bean("hudson.model.ParametersAction").add("parameters", values, 2))
    return out


def sonar_beans(analyses: list[dict[str, Any]]) -> list[Bean]:
    """The sonar plugin's actions on a run: per ``withSonarQubeEnv`` block a ``SonarMarkerAction`` (not
    exported: ``{}``) and a ``SonarAnalysisAction`` (``@ExportedBean(defaultVisibility = 2)``, properties
    sorted by name); then the transient ``SonarBuildBadgeAction`` (the common dashboard URL, or null)."""
    if not analyses:
        return []
    out: list[Bean] = []
    for analysis in analyses:
        bean = Bean("hudson.plugins.sonar.action.SonarAnalysisAction")
        for key in sorted(analysis):
            bean.add(key, analysis[key], 2)
        out += [Bean(None), bean]
    urls = {a.get("sonarqubeDashboardUrl") for a in analyses}
    badge = Bean("hudson.plugins.sonar.action.SonarBuildBadgeAction")
    return [*out, badge.add("url", urls.pop() if len(urls) == 1 else None, 2)]


def color(job: Job) -> str:
    """``WorkflowJob.getIconColor``: disabled (``disabled_anime`` while a build still runs), else the
    last build's ``Run.getIconColor``: its result's colour; while it runs, its predecessor's + _anime."""
    builds = sorted(job.builds.values(), key=lambda b: b.number, reverse=True)
    if job.disabled:
        return "disabled_anime" if builds and builds[0].building else "disabled"
    done = next((b for b in builds if not b.building), None)
    base = {"SUCCESS": "blue", "UNSTABLE": "yellow", "FAILURE": "red", "ABORTED": "aborted"}.get(
        done.result if done and done.result else "", "notbuilt"
    )
    return base + "_anime" if builds and builds[0].building else base
