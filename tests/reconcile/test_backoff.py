"""Failed projects wait with exponential backoff and jitter, honouring Retry-After, on the one Clock."""

from __future__ import annotations

from bridge.clock import ManualClock
from bridge.domain.model import Project, SyncStatus
from bridge.errors import UpstreamUnavailable
from bridge.reconcile.backoff import Backoff
from bridge.reconcile.ports import Kind, Ref
from bridge.reconcile.provision import Provisioner
from bridge.reconcile.worker import Worker
from tests.reconcile.doubles import FakeJenkins, MemoryDesiredState


def test_the_wait_doubles_is_capped_and_jittered() -> None:
    low = Backoff(initial=2.0, maximum=30.0, jitter=lambda: 0.0)
    high = Backoff(initial=2.0, maximum=30.0, jitter=lambda: 1.0)
    assert [high.delay(n) for n in (1, 2, 3, 4, 5, 6)] == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert [low.delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]  # equal jitter: half to all of it
    assert high.delay(1, retry_after=20.0) == 20.0 and high.delay(4, retry_after=3.0) == 16.0
    assert high.delay(1, retry_after=900.0) == 30.0  # a Retry-After is honoured up to the maximum


def test_due_follows_the_clock_and_success_forgets() -> None:
    clock = ManualClock()
    backoff = Backoff(initial=2.0, maximum=60.0, clock=clock, jitter=lambda: 1.0)
    backoff.failed(["a", "b"], {"b": 10.0})
    assert backoff.due() == set() and backoff.next_due() == 2.0
    clock.advance(2.0)
    assert backoff.due() == {"a"}
    backoff.failed(["a"])  # second failure in a row: 4 s
    clock.advance(3.9)
    assert backoff.due() == set()
    clock.advance(4.2)
    assert backoff.due() == {"a", "b"}
    backoff.succeeded(["a", "b"])
    assert backoff.due() == set() and backoff.next_due() is None


class Throttled(FakeJenkins):
    """Answers 429 with Retry-After while ``throttled``."""

    throttled = True

    def _hit(self, method: str) -> None:
        if self.throttled:
            raise UpstreamUnavailable("Jenkins answered 429 to GET /job/a/api/json", retry_after=45.0)
        super()._hit(method)


def test_the_worker_retries_a_throttled_project_only_after_retry_after() -> None:
    clock = ManualClock()
    desired, jenkins = MemoryDesiredState(), Throttled()
    worker = Worker(
        provisioner=Provisioner(desired=desired, jenkins=jenkins, key=b"k", clock=clock),
        desired=desired,
        backoff=Backoff(initial=2.0, maximum=300.0, clock=clock, jitter=lambda: 1.0),
    )
    desired.put(Project(name="a", workspace="w"))
    first = worker.poll()
    assert first is not None and first.retry == {"a"} and first.retry_after == {"a": 45.0}
    assert desired.sync[Ref(Kind.PROJECT, "a")].status is SyncStatus.PENDING
    jenkins.throttled = False
    clock.advance(44.0)
    assert worker.poll() is None  # not every poll: Jenkins asked for 45 s
    clock.advance(1.0)
    second = worker.poll()
    assert second is not None and second.writes == 1 and worker.backoff.waiting() == {}
    assert desired.sync[Ref(Kind.PROJECT, "a")].status is SyncStatus.SYNCED
