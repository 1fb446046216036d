"""The sonar plugin in a run: ``withSonarQubeEnv`` and a scanner (``mvn sonar:sonar``) run inside it.

* Entering the block (``SonarBuildWrapper.setUp``): the installation is looked up (unknown: the build
  aborts), ``SONAR_HOST_URL``, ``SONAR_CONFIG_NAME``, ``SONAR_AUTH_TOKEN``, ``SONAR_MAVEN_GOAL``,
  ``SONAR_EXTRA_PROPS`` and ``SONARQUBE_SCANNER_PARAMS`` are injected, the token is masked.
* A scanner (``sonar:sonar``, ``$SONAR_MAVEN_GOAL``, ``sonar-scanner``) submits the analysis to the server
  (``api/ce/submit``, the token as Basic user) and writes ``target/sonar/report-task.txt`` (Maven) or
  ``.scannerwork/report-task.txt`` in the step's directory. It fails as Maven does when the server
  refuses the token or cannot be reached. Without ``sonar_scanner`` the agents reach no SonarQube: the
  step's output is simulated as any ``sh`` and no report is written.
* ``waitForQualityGate`` (``WaitForQualityGateStep``): the newest recorded analysis with a task, its
  installation's URL and token: ``api/ce/task`` until the task ended, then
  ``api/qualitygates/project_status?analysisId=``; ``abortPipeline`` fails the build unless the gate is
  ``OK``. Without ``sonar_scanner`` it answers ``OK`` at once (no server to ask).
* Leaving the block (``AddBuildInfo.tearDown`` → ``SonarUtils.addBuildInfoTo``): the first
  ``**/report-task.txt`` under the block's directory becomes a ``SonarAnalysisAction`` on the run
  (none: a warning and an action without task, ``skipped`` since the build has no result yet).
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from bridge.sandbox.jenkins.pipeline.errors import StepFailure
from bridge.sandbox.jenkins.pipeline.graph import FlowNode
from bridge.sandbox.jenkins.pipeline.handle import RunHandle
from bridge.sandbox.jenkins.pipeline.interpreter import Frame, to_text

SCANNER = re.compile(r"sonar:sonar|\$\{?SONAR_MAVEN_GOAL\b|sonar-scanner")
PLUGIN = "org.sonarsource.scanner.maven:sonar-maven-plugin:3.11.0.3922:sonar"


def _property(script: str, name: str) -> str | None:
    found = re.search(rf"-D{re.escape(name)}=(\"[^\"]*\"|'[^']*'|\S+)", script)
    return found.group(1).strip("'\"") if found else None


def enter(run: RunHandle, inner: Frame, start: FlowNode, args: list[Any], named: dict[str, Any]) -> None:
    name = to_text(named.get("installationName", args[0] if args else ""))
    server = run.context.sonar(name)
    if server is None:
        raise StepFailure(
            f"SonarQube installation defined in this job ({name}) does not match any configured installation."
            f" Number of installations that can be configured: {run.context.sonar_installations}.",
            java_type="hudson.AbortException",
        )
    run.console.write(
        f"Injecting SonarQube environment variables using the configuration: {server.name}", node=start
    )
    # SonarUtils.getTokenProperty asks the server's version (only a reachable sandbox SonarQube is asked)
    reachable = run.context.sonar_scanner
    token_key = "sonar.token" if reachable and _major(server.url) >= 10 else "sonar.login"
    params = (
        {"sonar.host.url": server.url, token_key: server.token}
        if server.token
        else {"sonar.host.url": server.url}
    )
    inner.env.update(
        {
            "SONAR_CONFIG_NAME": server.name,
            "SONAR_HOST_URL": server.url,
            "SONAR_AUTH_TOKEN": server.token,
            "SONAR_MAVEN_GOAL": "sonar:sonar",
            "SONAR_EXTRA_PROPS": "",
            "SONARQUBE_SCANNER_PARAMS": json.dumps(params),
        }
    )
    if server.token:
        inner.secrets = (*inner.secrets, server.token)


def _major(url: str) -> int:
    """``SonarUtils.getTokenProperty``: the server's major version (``api/server/version``), 0 on error."""
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/server/version", timeout=5) as r:  # noqa: S310
            return int(r.read().decode().split(".")[0])
    except (OSError, ValueError):
        return 0


def scan(run: RunHandle, frame: Frame, script: str, node: FlowNode, code: int) -> int:
    """Run a scanner found in ``script``; ``code`` (the simulated exit code) otherwise."""
    host = frame.env.get("SONAR_HOST_URL")
    if not SCANNER.search(script) or not host or not run.context.sonar_scanner:
        return code
    token = (
        _property(script, "sonar.token")
        or _property(script, "sonar.login")
        or frame.env.get("SONAR_AUTH_TOKEN", "")
    )
    base = run.context.job_full_name.rsplit("/", 1)[-1]
    key = _property(script, "sonar.projectKey") or f"io.jenkins.sandbox:{base}"
    name = _property(script, "sonar.projectName") or base
    maven = "sonar-scanner" not in script

    def write(line: str) -> None:
        run.console.write(line, node=node, secrets=frame.secrets)

    prefix = "[INFO] " if maven else "INFO: "
    if maven:
        write("[INFO] Scanning for projects...")
        write(f"[INFO] --- {PLUGIN.split(':', 1)[1]} (default-cli) @ {base} ---")
    write(f"{prefix}Project key: {key}")
    if not host.startswith(("http://", "https://")):
        return _failed(write, maven, base, f"Invalid URL: {host}")
    try:
        body = urllib.parse.urlencode({"projectKey": key, "projectName": name}).encode()
        task_id = _call(host.rstrip("/") + "/api/ce/submit", token, body)["taskId"]
    except urllib.error.HTTPError as e:
        reason = (
            "Not authorized. Please check the user token in the property 'sonar.token' or the credentials "
            "in the properties 'sonar.login' and 'sonar.password'."
            if e.code == 401
            else f"Failed to upload report: Error {e.code} on {host.rstrip('/')}/api/ce/submit"
        )
        return _failed(write, maven, base, reason)
    except OSError as e:
        reason = f"Unable to execute SonarScanner analysis: Fail to get bootstrap index from server: {e}"
        return _failed(write, maven, base, reason)
    server = host.rstrip("/")
    dashboard = f"{server}/dashboard?id={urllib.parse.quote(key, safe='')}"
    write(f"{prefix}ANALYSIS SUCCESSFUL, you can find the results at: {dashboard}")
    write(
        f"{prefix}Note that you will be able to access the updated dashboard once the server has processed "
        "the submitted analysis report"
    )
    write(f"{prefix}More about the report processing at {server}/api/ce/task?id={task_id}")
    if maven:
        write("[INFO] BUILD SUCCESS")
    folder = "target/sonar" if maven else ".scannerwork"
    run.report_tasks[f"{frame.workspace}/{folder}/report-task.txt"] = {
        "projectKey": key,
        "serverUrl": server,
        "dashboardUrl": dashboard,
        "ceTaskId": task_id,
        "ceTaskUrl": f"{server}/api/ce/task?id={task_id}",
    }
    return 0


def _failed(write: Callable[[str], None], maven: bool, base: str, reason: str) -> int:
    if maven:
        write("[INFO] BUILD FAILURE")
        write(f"[ERROR] Failed to execute goal {PLUGIN} (default-cli) on project {base}: {reason}")
    else:
        write(f"ERROR: {reason}")
    return 1


def leave(run: RunHandle, inner: Frame, credentials_id: str | None) -> None:
    """Record the analysis of the block (``SonarUtils.addBuildInfoTo``)."""
    root = inner.workspace.rstrip("/") + "/"
    found = sorted(p for p in run.report_tasks if p.startswith(root))
    action: dict[str, Any] = {
        "ceTaskId": None,
        "credentialsId": credentials_id,
        "installationName": inner.env.get("SONAR_CONFIG_NAME", ""),
        "installationUrl": inner.env.get("SONAR_HOST_URL", ""),
        "new": True,
        "serverUrl": None,
        "skipped": False,
        "sonarqubeDashboardUrl": None,
    }
    if not found:
        run.console.write(
            "WARN: Unable to locate 'report-task.txt' in the workspace. Did the SonarScanner succeed?"
        )
        action["skipped"] = run.current_result == "SUCCESS"  # WorkflowRun.getResult() still null
    else:
        if len(found) > 1:
            run.console.write(
                "WARN: Found multiple 'report-task.txt' in the workspace. Taking the first one."
            )
            for path in found:
                run.console.write(path)
        report = run.report_tasks[found[0]]
        action.update(
            ceTaskId=report["ceTaskId"],
            serverUrl=report["serverUrl"],
            sonarqubeDashboardUrl=report["dashboardUrl"],
        )
    run.analyses.append(action)


def _call(url: str, token: str, form: bytes | None = None) -> dict[str, Any]:
    """GET ``url`` (POST ``form`` when given) with the token as the Basic user; the JSON answer."""
    request = urllib.request.Request(url, data=form)  # noqa: S310 - http(s) only (checked by the callers)
    if token:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{token}:".encode()).decode())
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        body: dict[str, Any] = json.loads(response.read())
        return body


def quality_gate(run: RunHandle, frame: Frame, node: FlowNode, named: dict[str, Any]) -> str:
    """The gate of the run's newest analysis (``WaitForQualityGateStep.start``/``checkQualityGate``)."""

    def write(line: str) -> None:
        run.console.write(line, node=node, secrets=frame.secrets)

    if not run.context.sonar_scanner:
        write("Checking status of SonarQube task")
        return "OK"
    if not run.analyses:
        raise StepFailure(
            "No previous SonarQube analysis found on this pipeline execution. Please use the "
            "'withSonarQubeEnv' wrapper to run your analysis.",
            java_type="java.lang.IllegalStateException",
        )
    found = next((a for a in reversed(run.analyses) if a.get("ceTaskId")), None)
    server = run.context.sonar(str(found.get("installationName") or "")) if found else None
    if found is None or server is None or not str(found.get("installationUrl", "")).startswith("http"):
        raise StepFailure(
            "Unable to guess SonarQube task id and/or SQ server details. Please use the 'withSonarQubeEnv' "
            "wrapper to run your analysis.",
            java_type="java.lang.IllegalStateException",
        )
    task_id, base = str(found["ceTaskId"]), str(found["installationUrl"]).rstrip("/")
    token = _property_of(named, "credentialsId", run) or server.token
    write(f"Checking status of SonarQube task '{task_id}' on server '{server.name}'")
    shown = ""
    try:
        while True:
            task = _call(f"{base}/api/ce/task?id={urllib.parse.quote(task_id)}", token)["task"]
            status = str(task.get("status"))
            if status != shown:
                write(f"SonarQube task '{task_id}' status is '{status}'")
                shown = status
            if status in ("FAILED", "CANCELED"):
                raise StepFailure(f"SonarQube analysis '{task_id}' failed: {status}")
            if status == "SUCCESS":
                analysis = urllib.parse.quote(str(task.get("analysisId", "")))
                gate = _call(f"{base}/api/qualitygates/project_status?analysisId={analysis}", token)
                break
            run.check_interrupt()
            time.sleep(0.05)  # the plugin waits for SonarQube's webhook; the sandbox polls
    except (OSError, ValueError, KeyError) as e:
        raise StepFailure(f"SonarQube did not answer: {e}", java_type="java.io.IOException") from None
    result = str(gate.get("projectStatus", {}).get("status", "NONE"))
    write(f"SonarQube task '{task_id}' completed. Quality gate is '{result}'")
    if named.get("abortPipeline") and result != "OK":
        raise StepFailure(
            f"Pipeline aborted due to quality gate failure: {result}", java_type="hudson.AbortException"
        )
    return result


def _property_of(named: dict[str, Any], key: str, run: RunHandle) -> str:
    """The step's ``credentialsId`` (a Secret text credential) resolved to its secret, or empty."""
    credentials_id = named.get(key)
    if not credentials_id:
        return ""
    value = run.context.credentials(to_text(credentials_id))
    return value.secret if value is not None and value.kind == "string" else ""
