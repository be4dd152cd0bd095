"""Venues by kind: each account goes to its own kind's exchange, or is refused, never to paper."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.market_script import T0, ManualClock
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, SimulatedVenue
from tradewind.bootstrap.venues import AccountExchanges, venue_providers
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import ConfigurationError
from tradewind.ports import AccountAccess, Exchange
from tradewind.settings import Settings


@dataclass
class FakeProvider:
    """An ExchangeProvider that remembers the accounts it was asked for."""

    asked: list[int] = field(default_factory=list)

    def for_account(self, access: AccountAccess) -> Exchange:
        self.asked.append(access.account_id)
        raise NotImplementedError("no exchange behind this fake")


def access(account_id: int, kind: ExchangeKind) -> AccountAccess:
    return AccountAccess(account_id, kind, api_key="k", api_secret="s")


def test_each_account_goes_to_the_provider_of_its_kind() -> None:
    paper, binance = FakeProvider(), FakeProvider()
    exchanges = AccountExchanges({ExchangeKind.PAPER: paper, ExchangeKind.BINANCE: binance})
    for account_id, kind in ((1, ExchangeKind.PAPER), (2, ExchangeKind.BINANCE)):
        with pytest.raises(NotImplementedError):
            exchanges.for_account(access(account_id, kind))
    assert (paper.asked, binance.asked) == ([1], [2])


def test_a_kind_without_a_provider_is_refused_with_the_kinds_there_are() -> None:
    paper = FakeProvider()
    exchanges = AccountExchanges({ExchangeKind.PAPER: paper})  # as a scale-out worker has
    with pytest.raises(ConfigurationError) as caught:
        exchanges.for_account(access(9, ExchangeKind.BINANCE))
    assert str(caught.value) == (
        "account 9: no exchange for binance accounts in this process (there are: paper)"
    )
    assert paper.asked == []  # never sent to paper instead


def test_every_exchange_kind_has_a_registered_provider() -> None:
    venue = SimulatedVenue(CandlesPriceFeed({}), ManualClock(T0))
    providers = venue_providers(Settings(), venue, seed=1)
    assert set(providers) == set(ExchangeKind)


def test_an_unknown_kind_name_is_refused_with_the_kinds_there_are() -> None:
    assert ExchangeKind.parse("binance") is ExchangeKind.BINANCE
    with pytest.raises(ConfigurationError) as caught:
        ExchangeKind.parse("bybit")
    assert str(caught.value) == "exchange kind 'bybit' is not one of: paper, binance"
