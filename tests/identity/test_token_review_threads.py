"""The TokenReview cache under concurrent request threads, and what it refuses to remember."""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from bridge.errors import Unauthenticated
from bridge.identity.authenticators import RequestFacts
from bridge.identity.token_review import ReviewResult, TokenReviewAuthenticator

THREADS = 8
ROUNDS = 1000


class AcceptingReviewer:
    """Accepts every ``ok-`` token and rejects the rest; thread-safe call counting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0

    def review(self, token: str, *, audiences: Sequence[str]) -> ReviewResult:
        with self._lock:
            self.calls += 1
        if token.startswith("ok-"):
            return ReviewResult(True, "user-" + token)
        return ReviewResult(False)


class YieldingDict(OrderedDict[str, Any]):
    """An ``OrderedDict`` that gives up the GIL after each write, as a slow path in real code would.

    Without it, CPython rarely switches threads between two statements of the cache update, and the
    race (an entry evicted by another thread before ``move_to_end``; two threads popping the last entry)
    would need minutes to show.
    """

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        time.sleep(0)

    def popitem(self, last: bool = True) -> tuple[str, Any]:
        item = super().popitem(last=last)
        time.sleep(0)
        return item


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Switch threads very often so interleavings inside the cache update actually happen."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


@pytest.mark.usefixtures("fast_switching")
def test_threads_hammering_a_small_cache_never_fail() -> None:
    # One entry: every insert evicts another thread's fresh entry, the tightest contention there is.
    auth = TokenReviewAuthenticator(AcceptingReviewer(), max_entries=1)
    auth._cache = YieldingDict()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def hammer(n: int) -> None:
        start.wait()
        try:
            for i in range(ROUNDS):
                token = f"ok-{n}-{i % 16}"  # hits, misses and evictions, all contended
                principal = auth.authenticate(RequestFacts(bearer=token))
                assert principal is not None and principal.name == "user-" + token
        except BaseException as e:  # any failure in a thread fails the test
            errors.append(e)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(auth._cache) <= 1


def test_rejected_tokens_do_not_evict_accepted_ones() -> None:
    reviewer = AcceptingReviewer()
    auth = TokenReviewAuthenticator(reviewer, max_entries=4)
    assert auth.authenticate(RequestFacts(bearer="ok-real-user")) is not None
    for i in range(100):  # an unauthenticated caller spraying garbage bearers
        with pytest.raises(Unauthenticated):
            auth.authenticate(RequestFacts(bearer=f"garbage-{i}"))
    assert len(auth._cache) == 1
    calls = reviewer.calls
    assert auth.authenticate(RequestFacts(bearer="ok-real-user")) is not None
    assert reviewer.calls == calls  # still served from the cache
