"""Kubernetes TokenReview as an authenticator, with a short cache.

For in-cluster callers (service accounts, or users of the host cluster): the bearer goes to the host
cluster's ``tokenreviews`` API, which answers with the user name and groups. Answers, good and bad, are
cached for ``ttl`` keyed by the token's SHA-256 (never the token), so a burst of requests costs one
review; the price is that a deleted service account keeps access for at most ``ttl``. An unreachable
apiserver is a 503, never a silent 401 that would be cached.

Request threads share the caches, so every read and write of them holds one lock (the review itself
runs outside it). Rejections are cached too, for the same ``ttl``, so a client repeating a bad bearer
costs one review per ``ttl``; they live in a separate bounded cache, so garbage bearers sprayed by an
unauthenticated caller evict only other rejections, never a real user's entry.

The user and group names a review returns must be valid subject names (``bridge.identity.names``, the
rule for local names and proxy headers); a review that returns anything else is a rejection.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bridge.errors import Unauthenticated
from bridge.identity.authenticators import RequestFacts
from bridge.identity.names import is_valid_subject
from bridge.identity.principal import AuthSource, Principal
from bridge.identity.token_store import Clock, utcnow
from bridge.identity.tokens import looks_like_token, token_hash

log = logging.getLogger(__name__)


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
        #: Rejected tokens (by hash) and until when the rejection holds; bounded like ``_cache``.
        self._rejected: OrderedDict[str, datetime] = OrderedDict()

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
            rejected_until = self._rejected.get(key)
            if rejected_until is not None and rejected_until > now:
                return None
        principal = self._review(token)
        with self._lock:
            if principal is None:
                self._remember(self._rejected, key, now + self._ttl)
            else:
                self._rejected.pop(key, None)
                self._remember(self._cache, key, (now + self._ttl, principal))
        return principal

    def _remember(self, cache: OrderedDict[str, Any], key: str, value: Any) -> None:
        """Insert or refresh ``key`` as the newest entry, dropping the oldest beyond the bound (lock held)."""
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > self._max:
            cache.popitem(last=False)

    def _review(self, token: str) -> Principal | None:
        result = self._reviewer.review(token, audiences=self._audiences)
        if not result.authenticated or not result.username:
            return None
        if self._audiences and not result.audiences:
            return None  # the token was not issued for us
        if not is_valid_subject(result.username) or not all(is_valid_subject(g) for g in result.groups):
            log.warning(
                "TokenReview accepted a token but returned a user or group name the bridge does not "
                "accept (user %r); refused",
                result.username[:80],
            )
            return None
        return Principal(result.username, frozenset(result.groups), AuthSource.TOKEN_REVIEW)
