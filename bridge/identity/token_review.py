"""Kubernetes TokenReview as an authenticator, with a short cache.

For in-cluster callers (service accounts, or users of the host cluster): the bearer goes to the host
cluster's ``tokenreviews`` API, which answers with the user name and groups. Answers, good and bad, are
cached for ``ttl`` keyed by the token's SHA-256 (never the token), so a burst of requests costs one
review; the price is that a deleted service account keeps access for at most ``ttl``. An unreachable
apiserver is a 503, never a silent 401 that would be cached.

Request threads share the cache, so every read and write of it holds one lock (the review itself runs
outside it). Only accepted tokens are cached: anyone can send garbage bearers, and caching rejections
would let unauthenticated callers evict real users' entries; a rejected token costs one review each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bridge.errors import Unauthenticated
from bridge.identity.authenticators import RequestFacts
from bridge.identity.principal import AuthSource, Principal
from bridge.identity.token_store import Clock, utcnow
from bridge.identity.tokens import looks_like_token, token_hash


@dataclass(frozen=True)
class ReviewResult:
    authenticated: bool
    username: str = ""
    groups: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()


class TokenReviewer(Protocol):
    """Port implemented by ``bridge.adapters.kube.token_review.KubeTokenReviewer``."""

    def review(self, token: str, *, audiences: Sequence[str]) -> ReviewResult:
        """Ask the cluster; raise ``UpstreamUnavailable`` when it cannot answer."""
        ...


class TokenReviewAuthenticator:
    def __init__(
        self,
        reviewer: TokenReviewer,
        *,
        ttl: timedelta = timedelta(seconds=10),
        audiences: Sequence[str] = (),
        clock: Clock = utcnow,
        max_entries: int = 4096,
    ) -> None:
        self._reviewer = reviewer
        self._ttl = ttl
        self._audiences = tuple(audiences)
        self._clock = clock
        self._max = max_entries
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[datetime, Principal]] = OrderedDict()

    def authenticate(self, facts: RequestFacts) -> Principal | None:
        if facts.bearer is None or looks_like_token(facts.bearer):
            return None
        principal = self._cached_review(facts.bearer)
        if principal is None:
            raise Unauthenticated("the Kubernetes token was not accepted by TokenReview")
        return principal

    def _cached_review(self, token: str) -> Principal | None:
        key = token_hash(token)
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(key)
                return hit[1]
        principal = self._review(token)
        if principal is None:
            return None
        with self._lock:
            self._cache[key] = (now + self._ttl, principal)
            self._cache.move_to_end(key)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return principal

    def _review(self, token: str) -> Principal | None:
        result = self._reviewer.review(token, audiences=self._audiences)
        if not result.authenticated or not result.username:
            return None
        if self._audiences and not result.audiences:
            return None  # the token was not issued for us
        return Principal(result.username, frozenset(result.groups), AuthSource.TOKEN_REVIEW)
