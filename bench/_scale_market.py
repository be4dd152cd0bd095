"""Pick where the scale benchmark's generated market starts, so its slots are busy.

Bots that trade the same symbol with similar periods signal together: a few slots may
hold no signal at all, or a burst. A benchmark of waiting bots only would measure the
cheap path. So, of `CANDIDATES` possible market starts, the benchmark takes the one whose
measured slots hold the most (or the median number of) entry signals for the bots of
bench/_ticks_world.py, counted as if every bot were flat (spot bots enter on BUY,
futures bots on either).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from decimal import Decimal

from _ticks_world import MIX
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.marketdata.generated import GeneratedMarket
from tradewind.bootstrap.markets import START_PRICES
from tradewind.bootstrap.worker import HISTORY_MINUTES, MARKET_DAYS
from tradewind.bot_config import BotConfig
from tradewind.domain.indicators import ema, rsi
from tradewind.domain.strategies.ema_rsi import signal_at
from tradewind.domain.types import PositionType, Signal
from tradewind.services.tick.context import INDICATOR_HISTORY

CANDIDATES = 40
STEP_MINUTES = 11  # candidate starts this far apart: different hours, different slots


def market(start: int, seed: int) -> GeneratedMarket:
    """Return the workers' generated market from `start` (as bootstrap.worker.paper_market does)."""
    return GeneratedMarket(
        start, HISTORY_MINUTES + MARKET_DAYS * 1440, seed,
        start_price=lambda symbol: START_PRICES.get(symbol, Decimal(100)),
        tick=lambda symbol: rules_for(symbol, PositionType.SPOT).tick_size,
    )  # fmt: skip


def bots_by_config(bots: int) -> Counter[tuple[int, int, int, int]]:
    """Count the bots of `populate` by (mix entry, ema fast, ema slow, rsi period)."""
    counts: Counter[tuple[int, int, int, int]] = Counter()
    for n in range(bots):
        user = n // len(MIX)
        counts[(n % len(MIX), 5 + user % 5, 13 + user % 11, 6 + user % 4)] += 1
    return counts


Pair = tuple[float, float] | None


def _last_two(
    generated: GeneratedMarket, memo: dict[tuple[object, ...], Pair], slot: int,
    config: BotConfig, kind: str, period: int,
) -> Pair:  # fmt: skip
    """Return an indicator's values at the last two closed candles of `slot`, if defined."""
    key = (slot, config.symbol, config.timeframe, kind, period)
    if key not in memo:
        memo[key] = None
        if slot % {"1m": 60, "3m": 180, "5m": 300, "15m": 900}[config.timeframe] == 0:
            candles = generated.closed_candles(
                config.symbol, config.timeframe, config.position_type, slot, INDICATOR_HISTORY
            )
            values = (ema if kind == "ema" else rsi)(candles.close, period)
            pair = float(values[-2]), float(values[-1])
            memo[key] = None if any(map(math.isnan, pair)) else pair
    return memo[key]


def entries(start: int, seed: int, slots: list[int], bots: int) -> int:
    """Return how many of the bots would enter at `slots` on the market from `start`."""
    generated = market(start, seed)
    configs = [BotConfig.model_validate({"name": "b", **entry}) for entry in MIX]
    memo: dict[tuple[object, ...], Pair] = {}
    total = 0
    for slot in slots:
        for (mix, fast, slow, period), count in bots_by_config(bots).items():
            config = configs[mix]
            f = _last_two(generated, memo, slot, config, "ema", fast)
            s = _last_two(generated, memo, slot, config, "ema", slow)
            r = _last_two(generated, memo, slot, config, "rsi", period)
            if f is None or s is None or r is None:
                continue
            params = replace(
                config.strategy_params(), ema_fast=fast, ema_slow=slow, rsi_period=period
            )
            signal = signal_at(f[0], s[0], r[0], f[1], s[1], r[1], params)
            futures = config.position_type is PositionType.FUTURES
            if signal is Signal.BUY or (signal is Signal.SELL and futures):
                total += count
    return total


def pick_start(
    first_slot: int, slots: int, bots: int, seed: int, choice: str = "busiest"
) -> tuple[int, int]:
    """Return the market start whose `slots` slots from `first_slot` hold the most entry
    signals ("busiest"), the median number ("median") or the fewest ("quietest"), and
    that number."""
    measured = [first_slot + 60 * i for i in range(slots)]
    latest = first_slot - 60 * HISTORY_MINUTES
    found = sorted(
        (entries(start, seed, measured, bots), start)
        for start in (latest - 60 * STEP_MINUTES * k for k in range(CANDIDATES))
    )
    signals, start = {"busiest": found[-1], "median": found[len(found) // 2],
                      "quietest": found[0]}[choice]  # fmt: skip
    return start, signals
