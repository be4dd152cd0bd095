"""The venues, by `ExchangeKind`: where a new venue registers its provider.

Every account trades on the exchange of its kind, through the provider registered for that
kind in `venue_providers`; a kind with no provider in a process is refused, never sent to
paper. What a venue's adapter implements and which suite it passes:
adapters/exchange/README.md.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess, Exchange, ExchangeProvider
from tradewind.settings import BinanceRetrySettings, Settings


@dataclass(frozen=True, slots=True)
class PaperExchanges:
    """Gives each paper account its wallets on the simulated venue."""

    venue: SimulatedVenue

    def for_account(self, access: AccountAccess) -> Exchange:
        if access.kind is not ExchangeKind.PAPER:
            raise ConfigurationError(f"account {access.account_id} is not a paper account")
        balances = access.paper_balances
        return self.venue.account(
            access.account_id,
            spot_balances=balances.get(PositionType.SPOT),
            futures_balances=balances.get(PositionType.FUTURES),
        )


class AccountExchanges:
    """Gives each account the exchange of its kind, from the providers registered here.

    An account whose kind has no provider in this process is refused with the kinds
    there are: an order never goes to another venue than its account's.
    """

    def __init__(self, providers: Mapping[ExchangeKind, ExchangeProvider]) -> None:
        self.providers: Mapping[ExchangeKind, ExchangeProvider] = dict(providers)

    def for_account(self, access: AccountAccess) -> Exchange:
        provider = self.providers.get(access.kind)
        if provider is None:
            there = ", ".join(kind.value for kind in self.providers) or "none"
            raise ConfigurationError(
                f"account {access.account_id}: no exchange for {access.kind.value} accounts "
                f"in this process (there are: {there})"
            )
        return provider.for_account(access)


class VenueCredentialCheck:
    """The `CredentialCheck` of this process: asks Binance for the account (a signed read,
    weight 20) with the key and secret given, before an account is stored."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._binance: BinanceExchanges | None = None
        self._guard = threading.Lock()

    def __call__(self, access: AccountAccess) -> None:
        if access.kind is ExchangeKind.PAPER:
            return
        with self._guard:  # built on first use: the settings' retry variables read once
            if self._binance is None:
                self._binance = BinanceExchanges(binance_options(self._settings))
            binance = self._binance
        binance.for_account(access).free_balance("USDT", PositionType.SPOT)


def venue_providers(
    settings: Settings, paper: SimulatedVenue, *, seed: int | None = None
) -> dict[ExchangeKind, ExchangeProvider]:
    """Return the provider of every venue, by kind: where a new venue registers.

    Each `ExchangeKind` has its line here (see adapters/exchange/README.md).
    """
    return {
        ExchangeKind.PAPER: PaperExchanges(paper),
        ExchangeKind.BINANCE: BinanceExchanges(binance_options(settings, seed=seed)),
    }


def binance_options(settings: Settings, *, seed: int | None = None) -> BinanceOptions:
    """Read how to talk to Binance from the settings (and BINANCE_RETRY_*)."""
    from pydantic import ValidationError

    try:
        retry = BinanceRetrySettings()
    except ValidationError as e:
        from tradewind.bot_config import format_validation_error

        lines = [
            f"BINANCE_RETRY_{line.upper()}" for line in format_validation_error(e).splitlines()
        ]
        raise ConfigurationError("invalid settings:\n" + "\n".join(lines)) from None
    return BinanceOptions(
        url=settings.binance_url,
        timeout=settings.binance_timeout,
        recv_window_ms=settings.binance_recv_window,
        retry_max_attempts=retry.max_attempts,
        retry_backoff_base=retry.backoff_base,
        redis_url=settings.redis_url,
        namespace=settings.namespace,
        seed=seed,
    )
