"""What the sandbox SonarQube holds: users' tokens, projects, Compute Engine tasks and analyses.

A task's status follows the clock (``PENDING`` → ``IN_PROGRESS`` → ``SUCCESS``/``FAILED``) over
``processing_seconds``, so clients see the states a real Compute Engine goes through. What an analysis
finds is the project's ``Profile``: its issues, measures and quality gate conditions.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
RULE_NAMES = {
    "java:S2259": "Null pointers should not be dereferenced",
    "java:S1192": "String literals should not be duplicated",
    "java:S2068": "Hard-coded credentials are security-sensitive",
    "java:S106": "Standard outputs should not be used directly to log anything",
}
TYPE_QUALITY = {"BUG": "RELIABILITY", "VULNERABILITY": "SECURITY", "CODE_SMELL": "MAINTAINABILITY"}
SEVERITY_IMPACT = {"BLOCKER": "HIGH", "CRITICAL": "HIGH", "MAJOR": "MEDIUM", "MINOR": "LOW", "INFO": "LOW"}


@dataclass(frozen=True)
class Issue:
    rule: str
    type: str  # BUG | VULNERABILITY | CODE_SMELL
    severity: str  # INFO | MINOR | MAJOR | CRITICAL | BLOCKER
    path: str  # file path in the project
    line: int
    message: str
    effort_minutes: int = 10
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    metric: str
    comparator: str  # GT | LT
    threshold: str


@dataclass(frozen=True)
class Profile:
    """What the next analyses of a project find. ``bugs``/``vulnerabilities``/``code_smells`` are counted
    from ``issues``; ``failure`` makes the Compute Engine task fail with that message."""

    issues: tuple[Issue, ...] = ()
    measures: Mapping[str, str] = field(default_factory=dict)
    new_measures: Mapping[str, str] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    failure: str | None = None


SONAR_WAY = (
    Condition("new_reliability_rating", "GT", "1"),
    Condition("new_security_rating", "GT", "1"),
    Condition("new_maintainability_rating", "GT", "1"),
    Condition("new_coverage", "LT", "80"),
    Condition("new_duplicated_lines_density", "GT", "3"),
)
DEFAULT_PROFILE = Profile(
    issues=(
        Issue(
            "java:S2259",
            "BUG",
            "MAJOR",
            "src/main/java/io/kubesphere/devops/HelloWorldController.java",
            42,
            'A "NullPointerException" could be thrown; "name" is nullable here.',
            10,
            ("cwe",),
        ),
        Issue(
            "java:S1192",
            "CODE_SMELL",
            "CRITICAL",
            "src/main/java/io/kubesphere/devops/Greeting.java",
            17,
            'Define a constant instead of duplicating this literal "hello" 3 times.',
            8,
            ("design",),
        ),
        Issue(
            "java:S106",
            "CODE_SMELL",
            "MAJOR",
            "src/main/java/io/kubesphere/devops/Application.java",
            9,
            "Replace this use of System.out by a logger.",
            10,
            ("bad-practice",),
        ),
    ),
    measures={
        "coverage": "81.3",
        "duplicated_lines_density": "1.9",
        "ncloc": "412",
        "tests": "12",
        "reliability_rating": "3.0",
        "security_rating": "1.0",
        "sqale_rating": "1.0",
        "security_hotspots": "0",
        "duplicated_blocks": "1",
        "sqale_index": "28",
        "ncloc_language_distribution": "java=398;xml=14",
    },
    new_measures={
        "new_reliability_rating": "1",
        "new_security_rating": "1",
        "new_maintainability_rating": "1",
        "new_coverage": "84.2",
        "new_duplicated_lines_density": "0.0",
        "new_lines": "37",
        "new_lines_to_cover": "19",
        "new_bugs": "0",
        "new_vulnerabilities": "0",
        "new_code_smells": "0",
        "new_technical_debt": "0",
    },
    conditions=SONAR_WAY,
)


def sonar_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@dataclass
class Project:
    key: str
    name: str
    uuid: str


@dataclass
class Analysis:
    id: str
    project: Project
    at: float
    profile: Profile
    period_date: float

    def value(self, metric: str) -> str | None:
        counts = {t: sum(1 for i in self.profile.issues if i.type == t) for t in TYPE_QUALITY}
        derived = {
            "bugs": counts["BUG"],
            "vulnerabilities": counts["VULNERABILITY"],
            "code_smells": counts["CODE_SMELL"],
        }
        if metric in derived:
            return str(derived[metric])
        if metric == "alert_status":
            return self.gate_status()
        return self.profile.measures.get(metric, self.profile.new_measures.get(metric))

    def conditions(self) -> list[tuple[Condition, str, str]]:
        """(condition, actual value, status) for each condition with a value."""
        out = []
        for c in self.profile.conditions:
            actual = self.value(c.metric)
            if actual is None:
                continue
            bad = (
                float(actual) > float(c.threshold)
                if c.comparator == "GT"
                else float(actual) < float(c.threshold)
            )
            out.append((c, actual, "ERROR" if bad else "OK"))
        return out

    def gate_status(self) -> str:
        if not self.profile.conditions:
            return "NONE"
        return "ERROR" if any(s == "ERROR" for _, _, s in self.conditions()) else "OK"


@dataclass
class Task:
    id: str
    project: Project
    submitter: str
    submitted: float
    analysis: Analysis
    pending_until: float
    done_at: float

    def status(self, now: float) -> str:
        if now < self.pending_until:
            return "PENDING"
        if now < self.done_at:
            return "IN_PROGRESS"
        return "FAILED" if self.analysis.profile.failure else "SUCCESS"


@dataclass(frozen=True)
class Account:
    login: str
    browse: bool = True  # Browse on every project (else only Execute Analysis)


class SonarState:
    def __init__(self, *, seed: int = 0, processing_seconds: float = 0.2) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)  # noqa: S311 - ids, not secrets
        self.processing_seconds = processing_seconds
        self.tokens: dict[str, Account] = {}
        self.projects: dict[str, Project] = {}
        self.profiles: dict[str, Profile] = {}
        self.tasks: dict[str, Task] = {}
        self.analyses: dict[str, Analysis] = {}
        self.latest: dict[str, Analysis] = {}  # project key -> newest successful analysis
        self._running: list[Task] = []  # submitted tasks that have not ended yet
        self.clock = time.time

    def new_id(self) -> str:
        return "AZ" + "".join(self.rng.choice(ID_ALPHABET) for _ in range(18))

    def submit(self, key: str, name: str, submitter: str) -> Task:
        with self.lock:
            project = self.projects.get(key)
            if project is None:
                project = self.projects[key] = Project(key, name or key, self.new_id())
            now = self.clock()
            previous = self.latest.get(key)
            analysis = Analysis(
                self.new_id(),
                project,
                now,
                self.profiles.get(key, DEFAULT_PROFILE),
                previous.at if previous else now,
            )
            third = self.processing_seconds / 3
            task = Task(
                self.new_id(), project, submitter, now, analysis, now + third, now + self.processing_seconds
            )
            self.tasks[task.id] = task
            self._running.append(task)
            return task

    def settle(self) -> None:
        """Tasks that ended since the last call publish their analysis (the newest one becomes the
        project's current state)."""
        with self.lock:
            now = self.clock()
            ended = sorted((t for t in self._running if t.done_at <= now), key=lambda t: t.done_at)
            if not ended:
                return
            self._running = [t for t in self._running if t.done_at > now]
            for task in ended:
                a = task.analysis
                if task.status(now) == "SUCCESS":
                    self.analyses[a.id] = a
                    current = self.latest.get(task.project.key)
                    if current is None or current.at <= a.at:
                        self.latest[task.project.key] = a
