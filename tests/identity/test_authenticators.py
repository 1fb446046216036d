"""Each authenticator on plain request facts: bootstrap, API tokens, trusted proxy, TokenReview cache."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from bridge.errors import Unauthenticated, UpstreamUnavailable
from bridge.identity.authenticators import (
    ApiTokenAuthenticator,
    AuthenticatorChain,
    BootstrapTokenAuthenticator,
    RequestFacts,
    TrustedProxyAuthenticator,
)
from bridge.identity.principal import PLATFORM_ADMINS_GROUP, AuthSource
from bridge.identity.token_review import ReviewResult, TokenReviewAuthenticator
from bridge.identity.token_store import TokenStore

ADMIN = "bootstrap-admin-token-0123456789"
PROXY = "proxy-credential-abcdefghijklmnop"


@pytest.fixture
def store(engine, clock) -> TokenStore:
    return TokenStore(engine, clock=clock)


@pytest.fixture
def chain(store) -> AuthenticatorChain:
    return AuthenticatorChain(
        proxy=TrustedProxyAuthenticator(proxy_token=PROXY, client_cns=["console-backend"]),
        bearer=[BootstrapTokenAuthenticator(ADMIN), ApiTokenAuthenticator(store)],
    )


def test_bootstrap_token_is_a_platform_admin(chain) -> None:
    p = chain.authenticate(RequestFacts(bearer=ADMIN))
    assert p.source is AuthSource.BOOTSTRAP
    assert PLATFORM_ADMINS_GROUP in p.groups
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts(bearer=ADMIN[:-1] + "X"))


def test_api_token_gives_its_user_and_groups(chain, store) -> None:
    issued = store.create(user="alice", groups=("team-a",), created_by="t")
    p = chain.authenticate(RequestFacts(bearer=issued.token))
    assert (p.name, p.groups, p.source, p.token_id) == (
        "alice",
        frozenset({"team-a"}),
        AuthSource.API_TOKEN,
        issued.info.id,
    )


def test_expired_or_revoked_api_token_is_401(chain, store, clock) -> None:
    expiring = store.create(user="alice", expires_in=timedelta(minutes=5), created_by="t")
    revoked = store.create(user="bob", created_by="t")
    store.revoke(revoked.info.id)
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts(bearer=revoked.token))
    assert chain.authenticate(RequestFacts(bearer=expiring.token)).name == "alice"
    clock.advance(minutes=5)
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts(bearer=expiring.token))


def test_no_credentials_is_401(chain) -> None:
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts())


def test_proxy_headers_with_the_proxy_token_name_the_user(chain) -> None:
    p = chain.authenticate(
        RequestFacts(proxy_token=PROXY, remote_user="carol", remote_groups=("dev, ops", "qa"))
    )
    assert (p.name, p.groups, p.source) == ("carol", frozenset({"dev", "ops", "qa"}), AuthSource.PROXY)


def test_proxy_headers_with_the_proxy_client_certificate_name_the_user(chain) -> None:
    p = chain.authenticate(RequestFacts(client_cert_cn="console-backend", remote_user="carol"))
    assert p.name == "carol"


def test_forged_proxy_headers_without_credential_are_ignored(chain, store) -> None:
    # Alone: no identity at all.
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts(remote_user="admin", remote_groups=(PLATFORM_ADMINS_GROUP,)))
    # With the caller's own token: the caller stays who the token says.
    issued = store.create(user="mallory", created_by="t")
    p = chain.authenticate(
        RequestFacts(bearer=issued.token, remote_user="admin", remote_groups=(PLATFORM_ADMINS_GROUP,))
    )
    assert (p.name, p.groups) == ("mallory", frozenset())
    # A certificate with another CN does not make a proxy either.
    p = chain.authenticate(RequestFacts(bearer=issued.token, client_cert_cn="someone", remote_user="admin"))
    assert p.name == "mallory"


def test_wrong_proxy_token_is_401_not_a_fallthrough(chain) -> None:
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts(bearer=ADMIN, proxy_token="guess", remote_user="admin"))


def test_proxy_without_user_or_with_bad_names_is_401(chain) -> None:
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts(proxy_token=PROXY))
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts(proxy_token=PROXY, remote_user="bad\nname"))


def test_proxy_token_when_proxy_mode_is_off_is_401(store) -> None:
    chain = AuthenticatorChain(proxy=None, bearer=[ApiTokenAuthenticator(store)])
    with pytest.raises(Unauthenticated):
        chain.authenticate(RequestFacts(proxy_token=PROXY, remote_user="carol"))


class CountingReviewer:
    """Answers like the apiserver for one known token; counts calls to prove the cache."""

    def __init__(self, known: dict[str, ReviewResult]) -> None:
        self.known = known
        self.calls = 0
        self.down = False

    def review(self, token: str, *, audiences: Sequence[str]) -> ReviewResult:
        self.calls += 1
        if self.down:
            raise UpstreamUnavailable("apiserver down")
        return self.known.get(token, ReviewResult(authenticated=False))


def test_token_review_is_cached_for_ttl(clock) -> None:
    sa = ReviewResult(True, "system:serviceaccount:ci:deployer", ("system:serviceaccounts",))
    reviewer = CountingReviewer({"jwt-1": sa})
    auth = TokenReviewAuthenticator(reviewer, ttl=timedelta(seconds=10), clock=clock)
    for _ in range(5):
        p = auth.authenticate(RequestFacts(bearer="jwt-1"))
        assert p is not None and p.name == sa.username and p.source is AuthSource.TOKEN_REVIEW
    assert reviewer.calls == 1
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            auth.authenticate(RequestFacts(bearer="jwt-bad"))
    assert reviewer.calls == 2  # a rejection is cached too: repeating a bad bearer costs one review
    clock.advance(seconds=10)
    reviewer.known.clear()  # the service account was deleted
    with pytest.raises(Unauthenticated):
        auth.authenticate(RequestFacts(bearer="jwt-1"))
    with pytest.raises(Unauthenticated):
        auth.authenticate(RequestFacts(bearer="jwt-bad"))
    assert reviewer.calls == 4  # both expired with the ttl and were reviewed again


def test_a_cached_rejection_ends_with_the_ttl(clock) -> None:
    reviewer = CountingReviewer({})
    auth = TokenReviewAuthenticator(reviewer, ttl=timedelta(seconds=10), clock=clock)
    with pytest.raises(Unauthenticated):
        auth.authenticate(RequestFacts(bearer="jwt-new"))
    reviewer.known["jwt-new"] = ReviewResult(True, "system:serviceaccount:ci:new")  # created just after
    clock.advance(seconds=9)
    with pytest.raises(Unauthenticated):
        auth.authenticate(RequestFacts(bearer="jwt-new"))
    clock.advance(seconds=1)
    assert auth.authenticate(RequestFacts(bearer="jwt-new")) is not None
    assert reviewer.calls == 2


@pytest.mark.parametrize(
    ("username", "groups"),
    [
        ("alice\n", ()),
        ("", ()),
        (" alice", ()),
        ("alice", ("devs\n",)),
        ("alice", ("jenkins-bridge:platform-admins\n",)),
        ("alice/../bob", ()),
    ],
)
def test_token_review_names_follow_the_local_name_rules(
    clock, username: str, groups: tuple[str, ...]
) -> None:
    reviewer = CountingReviewer({"jwt-1": ReviewResult(True, username, groups)})
    auth = TokenReviewAuthenticator(reviewer, clock=clock)
    with pytest.raises(Unauthenticated):
        auth.authenticate(RequestFacts(bearer="jwt-1"))


def test_token_review_outage_is_503_and_not_cached(clock) -> None:
    reviewer = CountingReviewer({"jwt-1": ReviewResult(True, "u")})
    reviewer.down = True
    auth = TokenReviewAuthenticator(reviewer, clock=clock)
    with pytest.raises(UpstreamUnavailable):
        auth.authenticate(RequestFacts(bearer="jwt-1"))
    reviewer.down = False
    assert auth.authenticate(RequestFacts(bearer="jwt-1")) is not None


def test_token_review_requires_audience_match_when_configured(clock) -> None:
    reviewer = CountingReviewer({"jwt-1": ReviewResult(True, "u", audiences=())})
    auth = TokenReviewAuthenticator(reviewer, audiences=["jenkins-bridge"], clock=clock)
    with pytest.raises(Unauthenticated):
        auth.authenticate(RequestFacts(bearer="jwt-1"))


def test_token_review_skips_bridge_tokens(clock) -> None:
    reviewer = CountingReviewer({})
    auth = TokenReviewAuthenticator(reviewer, clock=clock)
    assert auth.authenticate(RequestFacts(bearer="jbt_" + "a" * 43)) is None
    assert reviewer.calls == 0


def test_token_review_cache_is_bounded(clock) -> None:
    reviewer = CountingReviewer({f"jwt-{i}": ReviewResult(True, f"u{i}") for i in range(10)})
    auth = TokenReviewAuthenticator(reviewer, clock=clock, max_entries=3)
    for i in range(10):
        assert auth.authenticate(RequestFacts(bearer=f"jwt-{i}")) is not None
    assert len(auth._cache) == 3
