"""`jenkins-bridge sandbox jenkins` serves until it is told to stop."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import requests


def test_cli_serves_with_prefix_and_state_dir(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("jenkins-bridge")
    args = [str(cli), "sandbox", "jenkins", "--port", "0", "--token", "cli-token", "--url-prefix", "/jenkins"]
    proc = subprocess.Popen([*args, "--state-dir", str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        match = re.search(r"at (http://127\.0\.0\.1:\d+/jenkins/)", proc.stdout.readline())
        assert match, "the URL is printed first"
        url = match.group(1)
        resp = requests.post(
            url + "createItem",
            data={"name": "f", "mode": "com.cloudbees.hudson.plugins.folder.Folder"},
            auth=("admin", "cli-token"),
        )
        assert resp.status_code == 200 and resp.url == url + "job/f/configure"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "stopped" in out and "cli-token" not in out
    assert (tmp_path / "sandbox-jenkins.json").exists()
