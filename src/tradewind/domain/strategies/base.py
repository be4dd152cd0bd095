"""What a strategy plugin is: a named rule from closed candles to BUY, SELL or nothing.

A strategy has a parameters type (a frozen dataclass whose fields describe themselves
with `param(...)` and whose `__post_init__` checks the rules between fields), the number
of closed candles it needs before it can decide (its warm-up), the number its indicators
need to equal their whole-history values (the history the tick reads), and two forms of
its signal that must agree candle for candle: `signals` over whole arrays for the
backtester, and `last_signal` at the newest candle for the tick. Its tests prove them equal.

A new strategy is one module beside `ema_rsi.py` and one line in the registry
(`tradewind.domain.strategies`); nothing else in the code names a strategy.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Generic, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from tradewind.domain.candles import Candles, FloatArray
from tradewind.domain.errors import DomainError
from tradewind.domain.types import Signal

SignalArray = NDArray[np.int8]
P = TypeVar("P")
P_contra = TypeVar("P_contra", contravariant=True)


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """How one parameter describes itself: its meaning, range and former field name.

    Bounds are inclusive (`ge`, `le`) or exclusive (`gt`, `lt`); None = unbounded.
    `alias` is the flat name a bot config used before strategies were plugins
    (e.g. `custom_ema_fast`), still accepted as input.
    """

    description: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    alias: str | None = None

    def bounds(self) -> str:
        """Return the valid range as text, e.g. `≥ 2` or `> 0, < 100`; empty when unbounded."""
        return ", ".join(
            f"{rule} {bound:g}"
            for bound, rule in ((self.ge, "≥"), (self.gt, ">"), (self.le, "≤"), (self.lt, "<"))
            if bound is not None
        )

    def check(self, name: str, value: float) -> None:
        """Raise `ParamError` naming `name` when `value` is outside the bounds."""
        broken = [
            f"{rule} {bound:g}"
            for bound, rule, holds in (
                (self.ge, "≥", self.ge is None or value >= self.ge),
                (self.gt, ">", self.gt is None or value > self.gt),
                (self.le, "≤", self.le is None or value <= self.le),
                (self.lt, "<", self.lt is None or value < self.lt),
            )
            if bound is not None and not holds
        ]
        if broken:
            raise ParamError(name, f"must be {broken[0]} (got {value:g})")


def param(default: Any, description: str, **bounds: Any) -> Any:
    """Declare a parameter field of a strategy's parameters dataclass."""
    return field(default=default, metadata={"param": ParamSpec(description, **bounds)})


class ParamError(DomainError):
    """A strategy parameter breaks its rule; `field` names it, the message says the rule."""

    def __init__(self, name: str, rule: str) -> None:
        super().__init__(f"{name}: {rule}")
        self.field = name
        self.rule = rule


@dataclass(frozen=True, slots=True)
class ParamInfo:
    """One parameter as the CLI, the API and the docs list it."""

    name: str
    type: type
    default: Any
    spec: ParamSpec


def params_of(params_type: type[Any]) -> list[ParamInfo]:
    """Return the declared parameters of a parameters dataclass, in order."""
    out = []
    for f in fields(params_type):
        spec = f.metadata.get("param")
        if spec is None:
            continue
        default = None if f.default is MISSING else f.default
        kind = f.type if isinstance(f.type, type) else {"int": int, "float": float}[str(f.type)]
        out.append(ParamInfo(f.name, kind, default, spec))
    return out


def check_bounds(params: object) -> None:
    """Check every declared parameter of `params` against its bounds (ParamError)."""
    for info in params_of(type(params)):
        info.spec.check(info.name, getattr(params, info.name))


def check_ordered(low_name: str, low: float, high_name: str, high: float) -> None:
    """Refuse a pair of levels that must rise (an RSI oversold below its overbought, a fast
    period below the slow one), naming the first field and the rule."""
    if low >= high:
        raise ParamError(low_name, f"must be less than {high_name} (got {low:g} ≥ {high:g})")


class Strategy(Protocol[P_contra]):
    """A signal rule on closed candles. Implementations are stateless singletons."""

    @property
    def name(self) -> str:
        """The registry key, e.g. `ema_rsi`."""
        ...

    @property
    def summary(self) -> str:
        """One line for `tradewind strategies`."""
        ...

    @property
    def params_type(self) -> type[Any]:
        """The frozen dataclass of the parameters; built with no arguments = defaults."""
        ...

    def warmup(self, params: P_contra) -> int:
        """Return how many closed candles a signal at the newest one needs at least."""
        ...

    def history(self, params: P_contra) -> int:
        """Return how many closed candles make the indicators at the newest one equal
        their values over the whole history, to float precision: what the tick fetches.

        An EMA of period n forgets its start as (1 − 2/(n+1))^k, e^−40 after 20·n candles;
        Wilder's average as (1 − 1/n)^k, e^−40 after 40·n; a window needs only its n.
        """
        ...

    def signals(self, candles: Candles, params: P_contra) -> SignalArray:
        """Return the signal at every candle (1 BUY, -1 SELL, 0), for the backtester."""
        ...

    def last_signal(self, candles: Candles, params: P_contra) -> Signal:
        """Return the signal at the newest candle: `signals(candles)[-1]`, for the tick."""
        ...

    def indicators(self, candles: Candles, params: P_contra) -> dict[str, FloatArray]:
        """Return the series the signal reads, one value per candle (NaN while undefined),
        for charts. Names starting with `rsi` are drawn in an oscillator pane (0-100),
        the others over the price."""
        ...


# The most closed candles a bot's market data serves at a decision: Binance's klines, paged
# (10 calls of 1,000). A strategy whose history needs more is refused when the bot is made.
CANDLE_HISTORY_LIMIT = 10_000
# Candles after which an EMA's (20·n) and Wilder's average's (40·n) start is forgotten.
EMA_MEMORY, WILDER_MEMORY = 20, 40


@dataclass(frozen=True, slots=True)
class StrategyChoice(Generic[P]):
    """A strategy with its parameters: what a bot trades with."""

    strategy: Strategy[P]
    params: P

    def __post_init__(self) -> None:
        if not isinstance(self.params, self.strategy.params_type):
            raise DomainError(
                f"strategy {self.strategy.name} takes {self.strategy.params_type.__name__}, "
                f"got {type(self.params).__name__}"
            )

    @property
    def name(self) -> str:
        return self.strategy.name

    @property
    def warmup(self) -> int:
        """Closed candles a signal at the newest one needs at least."""
        return self.strategy.warmup(self.params)

    @property
    def history(self) -> int:
        """Closed candles the tick reads so its indicators equal the backtest's."""
        return self.strategy.history(self.params)

    def signals(self, candles: Candles) -> SignalArray:
        """Return the signal at every candle."""
        return self.strategy.signals(candles, self.params)

    def last_signal(self, candles: Candles) -> Signal:
        """Return the signal at the newest candle."""
        return self.strategy.last_signal(candles, self.params)

    def indicators(self, candles: Candles) -> dict[str, FloatArray]:
        """Return the series the signal reads, for charts."""
        return self.strategy.indicators(candles, self.params)
