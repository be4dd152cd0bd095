"""The simulated (paper) exchange: Binance-like spot and USDⓈ-M accounts on replayed candles.

`SimulatedVenue` holds the accounts and the market; `venue.account(id)` is the `Exchange`
of one account. Fills, fees and protective exits follow STRATEGY.md "Fills"; rejects carry
Binance's codes and messages.
"""

from tradewind.adapters.exchange.simulated.errors import (
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
    "SimulatedExchange",
    "SimulatedVenue",
    "VenueOutcomeUnknown",
    "VenueRejection",
    "VenueTemporaryError",
    "VenueUnknownSymbol",
]
