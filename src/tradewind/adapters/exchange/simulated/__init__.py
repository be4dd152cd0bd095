"""The simulated (paper) exchange: spot and linear futures accounts on replayed candles.

`SimulatedVenue` holds the accounts and the market; `venue.account(id)` is the `Exchange`
of one account. Fills, fees and protective exits follow STRATEGY.md "Fills"; the symbol
rules are whatever `MarketRules` it is given. Rejections say why in the domain's words
(`Refusal`); an exchange protocol served on top of it (see `tradewind.testkit`) maps them
to that exchange's codes.
"""

from tradewind.adapters.exchange.simulated.errors import (
    Refusal,
    VenueOutcomeUnknown,
    VenueRejection,
    VenueTemporaryError,
    VenueUnknownSymbol,
)
from tradewind.adapters.exchange.simulated.exchange import SimulatedExchange
from tradewind.adapters.exchange.simulated.faults import FaultMode, Faults
from tradewind.adapters.exchange.simulated.feed import CandlesPriceFeed, PriceFeed
from tradewind.adapters.exchange.simulated.state import Balance
from tradewind.adapters.exchange.simulated.venue import DEFAULT_SPOT_BALANCES, SimulatedVenue

__all__ = [
    "DEFAULT_SPOT_BALANCES",
    "Balance",
    "CandlesPriceFeed",
    "FaultMode",
    "Faults",
    "PriceFeed",
    "Refusal",
    "SimulatedExchange",
    "SimulatedVenue",
    "VenueOutcomeUnknown",
    "VenueRejection",
    "VenueTemporaryError",
    "VenueUnknownSymbol",
]
