"""The Jenkinsfile of an SCM pipeline job, read as workflow-cps's lightweight checkout does.

``CpsScmFlowDefinition`` with ``lightweight`` asks the Git plugin for the one file at the configured
branch (``GitSCMFileSystem``) with the job's credential; here the ``git`` binary fetches that branch's
head (depth 1) into a temporary repository and shows ``scriptPath``. Outcomes and their console lines:

* found: "Obtained <scriptPath> from git <url>", then the run;
* file missing: "ERROR: Unable to find <scriptPath> from git <url>" (the ``AbortException``), FAILURE;
* branch unknown: no file system, so the full checkout is tried and finds no revision: "ERROR:
  Couldn't find any revision to build. Verify the repository and branch configuration for this job.";
* fetch refused (bad or missing credential, unreachable): "ERROR: Error fetching remote repo 'origin'"
  and the ``GitException`` with git's own message.

A username/password credential travels as an HTTP ``Authorization`` header (never in the URL, so it
appears in no message). Call with the state lock held (credentials are resolved from the job's folders).
"""

from __future__ import annotations

import base64
import os
import subprocess
import tempfile
from collections.abc import Callable
from typing import Any

from bridge.sandbox.jenkins.credentials import resolve_credential
from bridge.sandbox.jenkins.model import Job
from bridge.sandbox.jenkins.pipeline.run import StartFailure

NO_REVISION = (
    "ERROR: Couldn't find any revision to build. Verify the repository and branch configuration for this job."
)
TIMEOUT = 60


def program_for(
    job: Job, replay: str | None, compile_program: Callable[[str], Any]
) -> tuple[str, Any, list[str]]:
    """The script a new build runs, its compiled program, and the console lines before the run."""
    if replay is not None or job.scm is None:
        script = replay if replay is not None else (job.script or "")
        return script, compile_program(script), []
    ok, script, lines = lightweight_checkout(job)
    if not ok:
        return "", StartFailure(lines), []
    return script, compile_program(script), lines


def _branch(spec: str) -> str:
    name = spec.strip() or "master"
    for prefix in ("refs/heads/", "*/", "origin/"):
        name = name.removeprefix(prefix)
    return name


def _auth(job: Job) -> list[str]:
    cid = (job.scm or {}).get("credentialsId")
    if not cid:
        return []
    cred = resolve_credential(job, cid)
    if cred is None or "password" not in cred.values:
        return []  # the Git plugin goes on without it (and the server refuses)
    token = base64.b64encode(f"{cred.values.get('username', '')}:{cred.values['password']}".encode()).decode()
    return ["-c", f"http.extraHeader=Authorization: Basic {token}"]


def lightweight_checkout(job: Job) -> tuple[bool, str, list[str]]:
    """(found, script, console lines); on failure the lines say why, in Jenkins's words."""
    scm = job.scm or {}
    url = scm.get("url", "")
    path = job.script_path or "Jenkinsfile"
    branch = _branch(scm.get("branch", ""))
    key = f"git {url}"
    with tempfile.TemporaryDirectory(prefix="sandbox-scm-") as tmp:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_ASKPASS": "/bin/false",
        }

        def git(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["git", "-c", "credential.helper=", *_auth(job), *args],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
            )

        git("init", "-q", ".")
        fetched = git("fetch", "-q", "--depth", "1", url, f"refs/heads/{branch}")
        if fetched.returncode != 0:
            stderr = fetched.stderr.strip()
            if "couldn't find remote ref" in stderr.lower():
                return (
                    False,
                    "",
                    [
                        "Lightweight checkout support not available, falling back to full checkout.",
                        NO_REVISION,
                    ],
                )
            return (
                False,
                "",
                [
                    "ERROR: Error fetching remote repo 'origin'",
                    f"hudson.plugins.git.GitException: Failed to fetch from {url}",
                    f"stderr: {stderr}",
                ],
            )
        shown = git("show", f"FETCH_HEAD:{path}")
        if shown.returncode != 0:
            return False, "", [f"ERROR: Unable to find {path} from {key}"]
        return True, shown.stdout, [f"Obtained {path} from {key}"]
