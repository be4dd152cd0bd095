"""The API's short memory of who a credential signs in: never past its seconds, per key,
off at 0, and forgotten at once when cleared (what every change does)."""

from __future__ import annotations

from tradewind.entrypoints.api.principals import PrincipalCache
from tradewind.services.access import Actor
from tradewind.services.identity import ALL_SCOPES, Principal, Via


class Clock:
    at = 1_000

    def now(self) -> int:
        return self.at


ANN = Principal(Actor.user(1), 1, ALL_SCOPES, Via.TOKEN)


def test_a_lookup_is_reused_for_its_seconds_only_and_never_for_another_key() -> None:
    clock = Clock()
    cache = PrincipalCache(2, clock.now)
    key = cache.key("token", "tw_secret")
    cache.put(key, ANN, cache.generation)
    assert cache.get(key) == ANN
    assert cache.get(cache.key("session", "tw_secret")) is None  # a cookie is not a token
    assert cache.get(cache.key("token", "tw_other")) is None
    clock.at += 1
    assert cache.get(key) == ANN
    clock.at += 1
    assert cache.get(key) is None


def test_clearing_forgets_every_lookup_and_zero_seconds_remembers_none() -> None:
    clock = Clock()
    cache = PrincipalCache(2, clock.now)
    key = cache.key("session", "cookie")
    cache.put(key, ANN, cache.generation)
    cache.clear()
    assert cache.get(key) is None
    off = PrincipalCache(0, clock.now)
    off.put(key, ANN, off.generation)
    assert off.get(key) is None


def test_a_lookup_begun_before_a_change_is_not_remembered() -> None:
    cache = PrincipalCache(2, Clock().now)
    key = cache.key("token", "tw_secret")
    began = cache.generation
    cache.clear()  # a change (a revocation, say) ended while the lookup ran
    cache.put(key, ANN, began)
    assert cache.get(key) is None
