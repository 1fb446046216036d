"""The seed story (a pipeline across three Kubernetes clusters), told through the bridge's public API.

The steps follow the seed: clusters ``rohan`` (development), ``gondor`` (testing, the host with DevOps)
and ``shire`` (production); the workspace ``devops-multicluster`` holding them; the DevOps project
``multicluster-demo`` on ``gondor``; the credentials ``dockerhub-id`` and ``sonar-token`` (the clusters'
kubeconfigs are synced by the bridge); the pipeline ``build-and-deploy-application`` with the seed's
Jenkinsfile, and a run with ``BRANCH_NAME=master`` that two approvals take to production. Every step
is an API call as a named user (the platform admin's bootstrap token for the workspace and project);
``run.py`` follows the run. A step that cannot be done raises ``StoryFailed`` naming it; an API call
that fails raises the client's ``ApiError``, which the command reports with ``Story.current``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bridge.cli.demo.client import BridgeClient, path
from bridge.cli.demo.kube import CLUSTERS, HOW_TO_GET_REAL_ONES
from bridge.cli.demo.printer import Printer
from bridge.sandbox.sonarqube import Condition, Issue, Profile

WORKSPACE = "devops-multicluster"
PROJECT = "multicluster-demo"
PIPELINE = "build-and-deploy-application"
HOST_CLUSTER = "gondor"
JENKINSFILE = Path(__file__).resolve().parents[3] / "examples" / "multicluster" / "Jenkinsfile"
#: The demo's people: who they are in the project, and what they do in the story.
PEOPLE = {
    "alice": ("admin", "declares the project's credentials and pipeline, starts the run"),
    "bob": ("operator", "approves the deployments"),
    "carol": ("viewer", "watches; may not approve"),
}
#: The seed's deploy targets: (cluster, namespace) per deploy stage, in the order the run deploys.
TARGETS = (
    ("rohan", "kubesphere-sample-dev"),
    ("gondor", "kubesphere-sample-prod"),
    ("shire", "kubesphere-sample-prod"),
)
#: What the sandbox SonarQube finds in the seed's project (the ``sonarqube analysis`` stage).
SONAR_PROFILE = Profile(
    issues=(
        Issue(
            "java:S2068",
            "VULNERABILITY",
            "BLOCKER",
            "src/main/java/io/kubesphere/devops/Config.java",
            21,
            "Remove this hard-coded password.",
        ),
        Issue(
            "java:S1118",
            "CODE_SMELL",
            "MAJOR",
            "src/main/java/io/kubesphere/devops/Application.java",
            8,
            "Add a private constructor to hide the implicit public one.",
        ),
        Issue(
            "java:S106",
            "CODE_SMELL",
            "MINOR",
            "src/main/java/io/kubesphere/devops/HelloController.java",
            17,
            "Replace this use of System.out by a logger.",
        ),
    ),
    measures={"coverage": "83.4", "duplicated_lines_density": "0.0", "ncloc": "132"},
    new_measures={"new_coverage": "90.0"},
    conditions=(Condition("new_coverage", "LT", "80"),),
)
#: Demo secrets (the build must never show them).
SECRETS = {"dockerhub-id": ("demo-docker-bot", "d0cker-Demo-pa55"), "sonar-token": "sq-demo-t0ken-4f3a9c"}

T = TypeVar("T")


class StoryFailed(Exception):
    """A step of the story could not be done: ``step`` names it, ``reason`` says why."""

    def __init__(self, step: str, reason: str) -> None:
        self.step, self.reason = step, reason
        super().__init__(f"{step}: {reason}")


@dataclass
class Story:
    printer: Printer
    url: str
    admin: BridgeClient
    mint: Callable[[str], str]  # user → a new API token (the identity features, audited)
    jenkinsfile: str
    real_clusters: bool
    timeout: float = 120.0
    #: The clusters' credential policy (``scoped`` or ``full``) and why.
    policy: str = "full"
    policy_reason: str = ""
    #: (project, credential id) → the kubeconfig the sandbox Jenkins holds in the project's folder.
    folder_kubeconfig: Callable[[str, str], str | None] = field(default=lambda project, cid: None)
    people: dict[str, BridgeClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    current: str = "start"  # the step being told

    # --- helpers -------------------------------------------------------------------------------

    def begin(self, step: str, title: str) -> None:
        """A new step: ``step`` names it in a failure, ``title`` heads it in the account."""
        self.current = step
        self.printer.step(title)

    def wait(self, what: str, look: Callable[[], T | None], *, interval: float = 0.25) -> T:
        """``look()`` until it returns something; ``StoryFailed`` after ``timeout`` seconds."""
        deadline = time.monotonic() + self.timeout
        while True:
            found = look()
            if found:
                return found
            if time.monotonic() > deadline:
                raise StoryFailed(self.current, f"timed out after {self.timeout:.0f}s waiting for {what}")
            time.sleep(interval)

    def as_(self, user: str) -> BridgeClient:
        return self.people[user]

    # --- the steps -----------------------------------------------------------------------------

    def clusters(self) -> None:
        p = self.printer
        self.begin("clusters", "Clusters: rohan (development), gondor (testing, host), shire (production)")

        def listed() -> list[dict[str, Any]] | None:
            items = {c["name"]: c for c in self.admin.items(path("clusters"))}
            checked = [items.get(n) for n in CLUSTERS]
            if any(c is None or c["reachability"]["reachable"] is None for c in checked):
                return None
            return [c for c in checked if c is not None]

        found = self.wait("the inventory to list and probe rohan, gondor and shire", listed)
        rows = [["cluster", "role", "devops", "reachable", "kubernetes", "used for"]]
        for c in found:
            reach = c["reachability"]
            rows.append(
                [
                    c["name"],
                    c["role"],
                    "yes" if c["devops_enabled"] else "no",
                    "yes" if reach["reachable"] else "no",
                    c.get("kubernetes_version") or "-",
                    CLUSTERS[c["name"]],
                ]
            )
        p.table(rows)
        unreachable = [c["name"] for c in found if not c["reachability"]["reachable"]]
        if self.real_clusters and unreachable:
            raise StoryFailed("clusters", f"real clusters not reachable: {', '.join(unreachable)}")
        if unreachable:
            p.warn(f"static kubeconfigs only: {', '.join(unreachable)} shown as unreachable")
            p.fact(f"for real clusters, {HOW_TO_GET_REAL_ONES}")
        else:
            p.good("three real kube-apiservers answer /version through their kubeconfigs")

    def workspace_and_project(self) -> None:
        p = self.printer
        self.begin(
            "workspace", f"Workspace {WORKSPACE} with the three clusters, project {PROJECT} on {HOST_CLUSTER}"
        )
        self.admin.post(
            path("workspaces"),
            {
                "name": WORKSPACE,
                "description": "The seed's multi-cluster workspace",
                "clusters": list(CLUSTERS),
            },
        )
        p.good(f"workspace {WORKSPACE}: clusters {', '.join(CLUSTERS)}")
        made = self.admin.post(
            path("projects"),
            {
                "name": PROJECT,
                "workspace": WORKSPACE,
                "cluster": HOST_CLUSTER,
                "description": "Build once, deploy to three clusters",
            },
        )
        if made.get("cluster") != HOST_CLUSTER:
            raise StoryFailed("workspace", f"project {PROJECT} was placed on {made.get('cluster')}")
        p.good(
            f"project {PROJECT} in {WORKSPACE}, placed on cluster {made['cluster']} "
            f"(DevOps-enabled host; Jenkins controller {made.get('jenkins')!r} runs it)"
        )

    def people_and_tokens(self) -> None:
        p = self.printer
        self.begin("people", "People: project members and their API tokens")
        for user, (role, does) in PEOPLE.items():
            self.admin.post(path("projects", PROJECT, "members"), {"subject": user, "role": role})
            self.tokens[user] = self.mint(user)
            self.people[user] = BridgeClient(self.url, self.tokens[user])
            p.fact(f"{user:<6} {role:<9} {does}")
        who = self.as_("alice").get(path("whoami"))
        p.good(f"tokens minted; alice is {who['projects'].get(PROJECT)} of {PROJECT}")

    def credentials_and_pipeline(self) -> None:
        p = self.printer
        self.begin(
            "credentials",
            "Credentials dockerhub-id and sonar-token, pipeline build-and-deploy-application (as alice)",
        )
        alice = self.as_("alice")
        user, password = SECRETS["dockerhub-id"]
        bodies = [
            {
                "id": "dockerhub-id",
                "type": "basic-auth",
                "description": "Pushes images to Docker Hub",
                "data": {"username": user, "password": password},
            },
            {
                "id": "sonar-token",
                "type": "secret-text",
                "description": "SonarQube analysis",
                "data": {"secret": SECRETS["sonar-token"]},
            },
        ]
        for body in bodies:
            alice.post(path("projects", PROJECT, "credentials"), body)
            p.good(f"credential {body['id']} ({body['type']}); its secret is write-only")
        made = alice.post(
            path("projects", PROJECT, "pipelines"),
            {
                "name": PIPELINE,
                "description": "The seed's Jenkinsfile, verbatim",
                "jenkinsfile": self.jenkinsfile,
                # the seed's namespaces, "created beforehand": the bridge creates the missing ones
                "targets": [{"cluster": c, "namespace": n, "create_namespace": True} for c, n in TARGETS],
            },
        )
        verdict = (made.get("validation") or {}).get("status", "unchecked")
        p.good(
            f"pipeline {PIPELINE}: the seed's Jenkinsfile ({len(self.jenkinsfile.splitlines())} lines), "
            f"validation {verdict}"
        )
        p.fact("deploy targets: " + ", ".join(f"{c}/{n}" for c, n in TARGETS))

    def sync(self) -> None:
        p = self.printer
        self.begin(
            "sync", "Sync: Jenkins gets the folder, the credentials, the job and the three kubeconfigs"
        )
        alice = self.as_("alice")
        p.fact(f"credential policy {self.policy}: {self.policy_reason}")

        def synced() -> list[list[str]] | None:
            rows = [["object", "status", "detail"]]
            creds = list(alice.items(path("projects", PROJECT, "credentials")))
            pipe = alice.get(path("projects", PROJECT, "pipelines", PIPELINE))
            kube = list(alice.items(path("projects", PROJECT, "clusters")))
            states = [(f"credential {c['id']}", c["sync"]) for c in creds] + [
                (f"pipeline {PIPELINE}", pipe["sync"])
            ]
            for name, sync in states:
                if sync["status"] == "error":
                    raise StoryFailed("sync", f"{name}: {sync.get('message')}")
                rows.append([name, sync["status"], ""])
            for k in kube:
                # a scoped grant waits for its namespace (created by the targets' check) and is retried
                if k["status"] in ("error", "conflict") and self.policy != "scoped":
                    raise StoryFailed("sync", f"kubeconfig {k['cluster']}: {k.get('message')}")
                granted = ", ".join(k.get("namespaces") or ()) or "-"
                policy = k.get("policy") or self.policy
                detail = f"cluster {k['cluster']}, {policy}" + (
                    f" (namespaces {granted}, token expires {k['token_expires_at'][11:19]})"
                    if policy == "scoped" and k.get("token_expires_at")
                    else ""
                )
                rows.append([f"kubeconfig {k['credential_id']}", k["status"], detail])
            done = all(r[1] == "synced" for r in rows[1:])
            return rows if done and {k["cluster"] for k in kube} >= set(CLUSTERS) else None

        rows = self.wait("every object and kubeconfig to be synced", synced)
        p.table(rows)
        p.good(
            "kubeconfigs synced automatically: the Jenkinsfile's rohan, gondor and shire credentials exist"
        )
        if self.policy == "scoped":
            p.good("each may deploy only to the project's namespace on its cluster, and expires on its own")
