"""Projects reconciled side by side on a bounded pool: each project's actions stay in plan order (folder
first), no more than ``concurrency`` projects are in Jenkins at once, and writes are still the changes."""

from __future__ import annotations

import threading

from bridge.domain.model import Credential, CredentialType, Pipeline, Project, SecretData
from bridge.domain.plan import Kind
from bridge.reconcile.provision import Provisioner
from tests.reconcile.doubles import FakeJenkins, MemoryDesiredState

WORKERS = 3
PROJECTS = [f"p{i}" for i in range(7)]


class Recording(FakeJenkins):
    """Records the order of writes per project and how many projects are being written at once; the
    first ``WORKERS`` folder creates wait for each other, so a pool narrower than that fails."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.writes: dict[str, list[str]] = {}
        self.active: dict[str, int] = {}  # project -> writes in flight
        self.most = 0
        self.barrier = threading.Barrier(WORKERS, timeout=30)
        self.first_round = set(PROJECTS[:WORKERS])

    def _enter(self, project: str, what: str) -> None:
        with self.lock:
            self.writes.setdefault(project, []).append(what)
            self.active[project] = self.active.get(project, 0) + 1
            self.most = max(self.most, sum(1 for n in self.active.values() if n))

    def _leave(self, project: str) -> None:
        with self.lock:
            self.active[project] -= 1

    def create_item(self, path: str, config: bytes) -> None:
        project = path.split("/")[0]
        self._enter(project, "folder" if "/" not in path else "job")
        try:
            if "/" not in path and project in self.first_round:
                self.barrier.wait()  # all WORKERS first folders are in flight together
            super().create_item(path, config)
        finally:
            self._leave(project)

    def create_credential(self, folder: str, config: bytes) -> None:
        self._enter(folder, "credential")
        try:
            super().create_credential(folder, config)
        finally:
            self._leave(folder)


def declare(desired: MemoryDesiredState) -> None:
    for name in PROJECTS:
        desired.put(Project(name=name, workspace="w"))
        desired.put(
            Credential(
                project=name,
                id="git",
                type=CredentialType.BASIC_AUTH,
                data=SecretData(username="u", password="p"),
            )
        )
        for job in ("a", "b"):
            desired.put(Pipeline(project=name, name=job, jenkinsfile="echo"))


def test_projects_run_side_by_side_each_in_plan_order_and_bounded() -> None:
    desired, jenkins = MemoryDesiredState(), Recording()
    declare(desired)
    provisioner = Provisioner(desired=desired, jenkins=jenkins, key=b"k", concurrency=WORKERS)
    result = provisioner.run()
    assert not result.errors and result.writes == len(PROJECTS) * 4
    assert jenkins.most == WORKERS  # the first round met at the barrier; never more than the pool
    for name in PROJECTS:
        assert jenkins.writes[name] == ["folder", "credential", "job", "job"], name
        assert set(jenkins.root[name].children) == {"a", "b"}
    assert provisioner.run().writes == 0  # writes = changes, on the pool too
    desired.put(Pipeline(project="p4", name="a", jenkinsfile="echo 'changed'"))
    changed = provisioner.run()
    assert [(a.ref.kind, a.ref.project, a.ref.name) for a in changed.applied] == [(Kind.PIPELINE, "p4", "a")]


def test_one_worker_is_the_sequential_pass() -> None:
    desired, jenkins = MemoryDesiredState(), Recording()
    jenkins.first_round = set()
    declare(desired)
    assert Provisioner(desired=desired, jenkins=jenkins, key=b"k", concurrency=1).run().writes == 28
    assert jenkins.most == 1
