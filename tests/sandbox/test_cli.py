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


def test_cli_users_groups_and_system_properties() -> None:
    cli = Path(sys.executable).with_name("jenkins-bridge")
    prop = "jenkins.security.ApiTokenProperty.adminCanGenerateNewTokens=true"
    args = [str(cli), "sandbox", "jenkins", "--port", "0", "--token", "cli-token"]
    args += ["--add-user", "alice:alice-token:dev,qa", "-D", prop]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", proc.stdout.readline())
        assert match
        url = match.group(1)
        me = requests.get(url + "whoAmI/api/json", auth=("alice", "alice-token")).json()
        assert me["name"] == "alice" and {"dev", "qa"} <= set(me["authorities"])
        assert requests.get(url + "api/json", auth=("alice", "wrong")).status_code == 401
        # The property lets the administrator mint a token for alice (refused without it).
        minted = requests.post(
            url + "user/alice/descriptorByName/jenkins.security.ApiTokenProperty/generateNewToken",
            data={"newTokenName": "t"},
            auth=("admin", "cli-token"),
        )
        assert minted.status_code == 200, minted.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_cli_rejects_a_malformed_user() -> None:
    cli = Path(sys.executable).with_name("jenkins-bridge")
    done = subprocess.run(
        [str(cli), "sandbox", "jenkins", "--port", "0", "--add-user", "alice"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and "ID:TOKEN" in done.stderr
