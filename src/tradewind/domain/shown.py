"""Money as people read it: an amount rounded to its asset's precision.

For what a person reads (a bot's stated reason, tables); records and the --quiet JSON keep
every decimal. Quote assets worth about a dollar show cents; any other asset shows 8
decimals, the precision Binance keeps balances in.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

DOLLARS = frozenset({"USDT", "USDC", "FDUSD", "BUSD", "TUSD", "USDP", "DAI", "USD"})
# Quote assets a symbol may end in, longest first so FDUSD wins over USD.
_QUOTES = tuple(sorted(DOLLARS | {"BTC", "ETH", "BNB", "EUR", "TRY", "BRL"}, key=len, reverse=True))


def money_places(asset: str) -> int:
    """Return the decimals an amount of `asset` is shown with."""
    return 2 if asset.upper() in DOLLARS else 8


def quote_of(symbol: str) -> str:
    """Return the quote asset a symbol ends in (`BTCUSDT` -> `USDT`), or "" if unknown."""
    upper = symbol.upper()
    return next((q for q in _QUOTES if upper.endswith(q) and len(upper) > len(q)), "")


def rounded(value: Decimal, asset: str) -> Decimal:
    """Round `value` to the precision `asset` is shown with (half to even, as banks do)."""
    return value.quantize(Decimal(1).scaleb(-money_places(asset)), rounding=ROUND_HALF_EVEN)


def money_text(value: Decimal, asset: str, *, sign: bool = False) -> str:
    """Show `value` of `asset` to its precision with the asset's name: `-2.78 USDT`."""
    shown = rounded(value, asset)
    text = f"{shown:{'+' if sign else ''},f}"
    return f"{text} {asset}" if asset else text
