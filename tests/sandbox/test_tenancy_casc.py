"""The JCasC loader, the realm's account endpoints and the executors API, against the shipped
jenkins-config/ over HTTP (python-jenkins as the client)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import jenkins
import pytest
import requests

from bridge.sandbox.jenkins import casc
from tests.sandbox.pipeline_helpers import wait_for
from tests.sandbox.tenancy_helpers import (
    ADMIN_PASSWORD,
    BRIDGE,
    BRIDGE_TOKEN,
    COMPOSE_AGENT,
    PREFIX,
    SHIPPED,
    create_identity,
    job,
    project,
    secrets_dir,
    session,
    start,
)
from tests.sandbox.wire import FOLDER_MODE as FOLDER


def test_shipped_file_loads_with_secrets_from_files_and_defaults(tmp_path: Path) -> None:
    config = casc.load(SHIPPED, environ={}, secrets_dir=secrets_dir(tmp_path))
    assert config.num_executors == 0
    assert {(u.id, u.password) for u in config.users} == {
        ("admin", ADMIN_PASSWORD),  # ${JENKINS_ADMIN_ID:-admin}, the password file trimmed
        ("jenkins-bridge", "br1dge-Pa55-from-a-file"),
    }
    assert config.strategy.kind == "projectMatrix"
    assert [a.kind for a in config.authenticators] == ["project", "global"]
    assert [(a.name, a.labels, a.template, a.mode) for a in config.agents] == [
        ("base", ("base",), True, "NORMAL"),
        *((n, (n,), True, "EXCLUSIVE") for n in ("maven", "nodejs", "go", "python")),
    ]
    # what the file uses and the sandbox does not model is listed, not silently dropped
    assert "jenkins.remotingSecurity" in config.not_modelled
    assert "jenkins.clouds.kubernetes.templates.containers" in config.not_modelled
    assert "unclassified.sonarGlobalConfiguration" not in config.not_modelled  # modelled: cascsonar
    assert [(i.name, i.server_url, i.credentials_id) for i in config.sonar] == [
        ("sonar", "http://sonarqube:9000", "sonar-server-token")  # ${SONAR_URL:-http://sonarqube:9000}
    ]
    assert "credentials.system" in config.not_modelled


def test_environment_wins_over_files_and_unresolved_variables_are_empty(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        "jenkins:\n  securityRealm:\n    local:\n      users:\n"
        "        - id: '${ID:-fallback}'\n          password: '${pw}'\n"
        "        - id: 'esc'\n          password: '^${pw}'\n"
        "        - id: 'missing'\n          password: '${nothing}'\n",
        encoding="utf-8",
    )
    directory = tmp_path / "s"
    directory.mkdir()
    (directory / "pw").write_text("from-file\n", encoding="utf-8")
    users = {u.id: u.password for u in casc.load(path, environ={}, secrets_dir=directory).users}
    assert users == {"fallback": "from-file", "esc": "${pw}", "missing": ""}
    users = {
        u.id: u.password
        for u in casc.load(path, environ={"ID": "x", "pw": "env"}, secrets_dir=directory).users
    }
    assert users["x"] == "env"


@pytest.mark.parametrize(
    "text",
    [
        "jenkins:\n  numExecutor: 0\n",  # typo
        "jenkins:\n  authorizationStrategy:\n    loggedInUsersCanDoAnything: {}\n",
        "jenkins:\n  authorizationStrategy:\n    projectMatrix:\n      entries:\n"
        "        - group: {name: g, permissions: ['Job/Fly']}\n",
        "security:\n  queueItemAuthenticator:\n    authenticators:\n"
        "      - global: {strategy: rootStrategy}\n",
    ],
)
def test_unknown_keys_and_values_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(casc.CascError):
        casc.load(path, environ={})


def test_files_merge_like_a_casc_directory(tmp_path: Path) -> None:
    config = casc.load([SHIPPED, COMPOSE_AGENT], environ={}, secrets_dir=secrets_dir(tmp_path))
    static = [a for a in config.agents if not a.template]
    assert [(a.name, a.labels, a.num_executors) for a in static] == [
        ("static-agent", ("static", "linux", "base", "maven"), 2)
    ]
    conflict = tmp_path / "conflict.yaml"
    conflict.write_text("jenkins:\n  numExecutors: 3\n", encoding="utf-8")
    with pytest.raises(casc.CascError, match="conflicting"):
        casc.load([SHIPPED, conflict], environ={}, secrets_dir=secrets_dir(tmp_path / "x"))


def test_cli_serves_the_shipped_configuration(tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("jenkins-bridge")
    env = {**os.environ, "SECRETS": str(secrets_dir(tmp_path)), "JENKINS_ADMIN_ID": "root"}
    args = [str(cli), "sandbox", "jenkins", "--port", "0", "--user", BRIDGE, "--token", BRIDGE_TOKEN]
    proc = subprocess.Popen([*args, "--casc", str(SHIPPED)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        match = re.search(r"at (http://127\.0\.0\.1:\d+/)", proc.stdout.readline())
        assert match
        url = match.group(1)
        assert requests.get(url + "api/json", auth=("root", ADMIN_PASSWORD)).status_code == 200
        assert requests.get(url + "api/json", auth=(BRIDGE, BRIDGE_TOKEN)).status_code == 200
        assert requests.get(url + "api/json", auth=("admin", ADMIN_PASSWORD)).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0 and ADMIN_PASSWORD not in out


def test_create_account_by_admin_and_user_lookup(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    s = session(j)
    assert s.get(f"{j.url}user/{PREFIX}team-a/api/json").status_code == 404
    r = create_identity(j, "team-a")
    assert r.status_code == 302 and r.headers["Location"] == f"{j.url}securityRealm/"
    user = s.get(f"{j.url}user/{PREFIX}team-a/api/json").json()
    assert user["id"] == f"{PREFIX}team-a" and user["_class"] == "hudson.model.User"
    # ids are case-insensitive: the same name in capitals is taken; the form is shown again (200)
    again = s.post(
        f"{j.url}securityRealm/createAccountByAdmin",
        data={"username": f"{PREFIX}TEAM-A", "password1": "p", "password2": "p", "email": "a@b"},
        allow_redirects=False,
    )
    assert again.status_code == 200 and "User name is already taken" in again.text
    for name in ("SYSTEM", "anonymous"):
        refused = s.post(
            f"{j.url}securityRealm/createAccountByAdmin",
            data={"username": name, "password1": "p", "password2": "p", "email": "a@b"},
            allow_redirects=False,
        )
        assert refused.status_code == 200 and "prohibited as a username" in refused.text
    denied = session(j, "alice").post(
        f"{j.url}securityRealm/createAccountByAdmin",
        data={"username": "eve", "password1": "p", "password2": "p", "email": "a@b"},
    )
    assert denied.status_code == 403 and "alice is missing the Overall/Administer permission" in denied.text
    assert j.state.extensions["jenkins_users.created"] == [f"{PREFIX}team-a"]


def test_a_realm_without_a_user_database_has_no_account_creation(sandbox_jenkins_factory: Any) -> None:
    form = {"username": "x", "password1": "p", "password2": "p", "email": "a@b"}
    for user_database, status in ((False, 404), (True, 302)):
        j = sandbox_jenkins_factory(user_database=user_database)
        r = requests.post(
            f"{j.url}securityRealm/createAccountByAdmin",
            data=form,
            auth=(j.admin_user, j.admin_token),
            allow_redirects=False,
        )
        assert r.status_code == status


def test_computer_api_shows_executors_to_readers_only(sandbox_jenkins_factory: Any, tmp_path: Path) -> None:
    j = start(sandbox_jenkins_factory, tmp_path)
    project(j, "team-a", {"alice": "operator"})
    job(j, "team-a", "wait", "node('maven') { input message: 'go?' }")
    s = session(j)
    assert s.post(f"{j.url}job/team-a/job/wait/build").status_code == 201
    wait_for(lambda: s.get(f"{j.url}job/team-a/job/wait/1/wfapi/pendingInputActions").json())
    bridge = jenkins.Jenkins(j.url, username=BRIDGE, password=BRIDGE_TOKEN)
    running = bridge.get_running_builds()
    assert len(running) == 1
    assert running[0]["number"] == 1 and running[0]["url"] == f"{j.url}job/team-a/job/wait/1/"
    assert running[0]["node"].startswith("maven-")
    master = bridge.get_node_info("(master)", depth=2)
    assert master["_class"] == "hudson.model.Hudson$MasterComputer" and master["executors"] == []
    flyweight = master["oneOffExecutors"][0]["currentExecutable"]
    assert flyweight == {
        "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
        "number": 1,
        "url": f"{j.url}job/team-a/job/wait/1/",
    }
    raw = s.get(
        f"{j.url}computer/api/json", params={"tree": "computer[_class,executors[currentExecutable[url]]]"}
    )
    agents = [c for c in raw.json()["computer"] if c["executors"]]
    assert agents[0]["_class"] == "org.csanchez.jenkins.plugins.kubernetes.KubernetesComputer"
    assert "_class" not in agents[0]["executors"][0]
    # bob cannot read team-a: the executors are there, what runs on them is not
    bob = jenkins.Jenkins(j.url, username="bob", password="bob-token")
    assert bob.get_running_builds() == []
    assert bob.get_node_info("(master)", depth=2)["oneOffExecutors"][0]["currentExecutable"] is None
    alice = jenkins.Jenkins(j.url, username="alice", password="alice-token")
    assert [b["number"] for b in alice.get_running_builds()] == [1]
    assert s.post(f"{j.url}job/team-a/job/wait/1/stop").status_code in (200, 302)
    wait_for(lambda: s.get(f"{j.url}job/team-a/job/wait/1/api/json").json()["result"])
    assert bridge.get_running_builds() == []
    nodes = [n["name"] for n in bridge.get_nodes()]
    assert nodes == ["Built-In Node"], "the pod agent is removed when its block ends"


def test_created_accounts_survive_a_restart_with_a_state_dir(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    j = sandbox_jenkins_factory(state_dir=tmp_path / "state")
    form = {"username": "jb-project-x", "password1": "Pw-1", "password2": "Pw-1", "email": "a@b"}
    auth = (j.admin_user, j.admin_token)
    r = requests.post(
        f"{j.url}securityRealm/createAccountByAdmin", data=form, auth=auth, allow_redirects=False
    )
    assert r.status_code == 302
    j.restart()
    assert requests.get(f"{j.url}user/jb-project-x/api/json", auth=auth).status_code == 200
    assert requests.get(f"{j.url}api/json", auth=("jb-project-x", "Pw-1")).status_code == 200
    text = (tmp_path / "state" / "sandbox-jenkins.json").read_text(encoding="utf-8")
    assert "Pw-1" not in text


def test_builds_never_see_system_scope_credentials_of_the_system_store(sandbox_jenkins_factory: Any) -> None:
    import xml.etree.ElementTree as ET

    from tests.sandbox.pipeline_helpers import create_job, fast
    from tests.sandbox.wire import XML, token_session

    j = sandbox_jenkins_factory()
    fast(j)
    s = token_session(j)
    for cred_id, scope in (("sys", "SYSTEM"), ("glob", "GLOBAL")):
        root = ET.Element("org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl")
        ET.SubElement(root, "scope").text = scope
        ET.SubElement(root, "id").text = cred_id
        ET.SubElement(root, "secret").text = f"{cred_id}-value-123"
        url = f"{j.url}credentials/store/system/domain/_/createCredentials"
        assert s.post(url, data=ET.tostring(root, encoding="unicode"), headers=XML).status_code == 200
    for cred_id in ("sys", "glob"):
        binding = f"string(credentialsId: '{cred_id}', variable: 'X')"
        script = f"node {{ withCredentials([{binding}]) {{ echo 'bound' }} }}"
        create_job(j, cred_id, script)
        assert s.post(f"{j.url}job/{cred_id}/build").status_code == 201
    results = {
        c: wait_for(lambda c=c: s.get(f"{j.url}job/{c}/1/api/json").json()["result"]) for c in ("sys", "glob")
    }
    assert results == {"sys": "FAILURE", "glob": "SUCCESS"}
    assert "Could not find credentials entry with ID 'sys'" in s.get(f"{j.url}job/sys/1/consoleText").text


AGENT_1 = """
jenkins:
  numExecutors: 0
  securityRealm:
    local:
      users:
        - id: admin
          password: pw
  authorizationStrategy:
    projectMatrix:
      entries:
        - user: {name: admin, permissions: [Overall/Administer]}
  nodes:
    - permanent: {name: agent-1, labelString: linux, numExecutors: 2}
"""


def test_computer_api_has_the_shape_of_the_reference_sample(
    sandbox_jenkins_factory: Any, tmp_path: Path
) -> None:
    from tests.sandbox.pipeline_helpers import create_job, fast
    from tests.sandbox.wire import sample_json, shape

    path = tmp_path / "agent.yaml"
    path.write_text(AGENT_1, encoding="utf-8")
    j = sandbox_jenkins_factory(casc=path, casc_environ={}, admin_user="admin", admin_token="adm")
    fast(j)
    s = requests.Session()
    s.auth = ("admin", "adm")
    assert s.post(f"{j.url}createItem", params={"name": "tenant-a"}, data={"mode": FOLDER}).status_code == 200
    create_job(j, "tenant-a/app", "node('linux') { input message: 'go?' }")
    assert s.post(f"{j.url}job/tenant-a/job/app/build").status_code == 201
    wait_for(lambda: s.get(f"{j.url}job/tenant-a/job/app/1/wfapi/pendingInputActions").json())
    tree = "computer[displayName,executors[currentExecutable[url]],oneOffExecutors[currentExecutable[url]]]"
    ours = s.get(f"{j.url}computer/api/json", params={"tree": tree}).json()
    reference = sample_json("computer-api-json-tree-running-pipeline.json")
    assert json.dumps(shape(ours)) == json.dumps(shape(reference))  # keys in Jenkins's order too
    assert [c["_class"] for c in ours["computer"]] == [c["_class"] for c in reference["computer"]]
    assert [c["displayName"] for c in ours["computer"]] == ["Built-In Node", "agent-1"]
    agent = ours["computer"][1]["executors"]
    assert agent[0]["currentExecutable"]["url"] == f"{j.url}job/tenant-a/job/app/1/"
    assert agent[1] == {"currentExecutable": None}
    s.post(f"{j.url}job/tenant-a/job/app/1/stop")


def test_the_shipped_fixture_is_the_shipped_configuration(sandbox_jenkins_shipped: Any) -> None:
    from tests.fixtures.sandbox import SHIPPED_BRIDGE_TOKEN, SHIPPED_BRIDGE_USER

    j = sandbox_jenkins_shipped
    bridge = jenkins.Jenkins(j.url, username=SHIPPED_BRIDGE_USER, password=SHIPPED_BRIDGE_TOKEN)
    assert bridge.get_whoami()["id"] == SHIPPED_BRIDGE_USER
    assert j.casc is not None and j.casc.num_executors == 0 and j.casc.strategy.kind == "projectMatrix"
    assert requests.get(f"{j.url}api/json", auth=("admin", "jenkins-admin-password-value")).status_code == 200
