"""What an optimization searches: values for a strategy's parameters and the bot's exits.

An axis is written `NAME=a,b,c` (those values) or `NAME=low:high:step` (low, low + step,
... up to high inclusive). NAME is a parameter of the strategy (`tradewind strategies`)
or an exit: `stop_loss`, `take_profit`, `trailing_stop` (percent, as in a bot config;
`none` means no such exit). A grid is every combination; a random search draws distinct
combinations from it.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tradewind.domain.errors import ConfigurationError
from tradewind.domain.strategies import Strategy, params_of

EXITS = ("stop_loss", "take_profit", "trailing_stop")
MAX_AXIS_VALUES = 10_000

ParamSet = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Axis:
    """One searched setting and its candidate values."""

    name: str  # a strategy parameter, or an exit's name
    values: tuple[Any, ...]

    @property
    def is_exit(self) -> bool:
        return self.name in EXITS


@dataclass(frozen=True, slots=True)
class SearchSpace:
    """The axes of a search over one strategy."""

    strategy: str
    axes: tuple[Axis, ...]

    @property
    def size(self) -> int:
        size = 1
        for axis in self.axes:
            size *= len(axis.values)
        return size

    def grid(self) -> Iterator[ParamSet]:
        """Yield every combination, the first axis slowest."""
        names = [a.name for a in self.axes]
        for combo in itertools.product(*(a.values for a in self.axes)):
            yield dict(zip(names, combo, strict=True))

    def sample(self, count: int, seed: int) -> list[ParamSet]:
        """Return `count` distinct combinations drawn at random (all of them if fewer)."""
        if count >= self.size:
            return list(self.grid())
        rng = random.Random(seed)
        picked = sorted(rng.sample(range(self.size), count))
        sizes = [len(a.values) for a in self.axes]
        out = []
        for number in picked:
            combo: ParamSet = {}
            rest = number
            for axis, size in zip(reversed(self.axes), reversed(sizes), strict=True):
                rest, at = divmod(rest, size)
                combo[axis.name] = axis.values[at]
            out.append({a.name: combo[a.name] for a in self.axes})
        return out


def parse_space(strategy: Strategy[Any], specs: list[str]) -> SearchSpace:
    """Read `NAME=SPEC` axes for `strategy`; errors name the axis and the rule."""
    kinds = {info.name: info.type for info in params_of(strategy.params_type)}
    axes: list[Axis] = []
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip().removeprefix("custom_") if name.strip() in _FLAT_EXITS else name.strip()
        if not sep or not text.strip():
            raise ConfigurationError(f"--param {spec!r}: write NAME=a,b,c or NAME=low:high:step")
        if name in EXITS:
            values = _values(spec, text, Decimal, allow_none=True)
        elif name in kinds:
            values = _values(spec, text, kinds[name], allow_none=False)
        else:
            raise ConfigurationError(
                f"--param {name}: not a parameter of {strategy.name} "
                f"({', '.join(kinds)}) nor an exit ({', '.join(EXITS)})"
            )
        if any(a.name == name for a in axes):
            raise ConfigurationError(f"--param {name}: given twice")
        axes.append(Axis(name, tuple(values)))
    if not axes:
        raise ConfigurationError("--param: give at least one axis to search, e.g. ema_fast=5:20:5")
    return SearchSpace(strategy.name, tuple(axes))


_FLAT_EXITS = {f"custom_{name}" for name in EXITS}


def _values(spec: str, text: str, kind: type, *, allow_none: bool) -> list[Any]:
    text = text.strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ConfigurationError(f"--param {spec!r}: a range is low:high:step")
        low, high, step = (_number(spec, p) for p in parts)
        if step <= 0 or high < low:
            raise ConfigurationError(f"--param {spec!r}: needs step > 0 and high >= low")
        count = int((high - low) / step) + 1
        if count > MAX_AXIS_VALUES:
            raise ConfigurationError(f"--param {spec!r}: more than {MAX_AXIS_VALUES:,} values")
        raw: list[Decimal | None] = [low + step * i for i in range(count)]
    else:
        raw = []
        for part in text.split(","):
            if allow_none and part.strip().lower() == "none":
                raw.append(None)
            else:
                raw.append(_number(spec, part))
    values: list[Any] = []
    for value in raw:
        if value is None or kind is Decimal:
            values.append(value)
        elif kind is int:
            if value != value.to_integral_value():
                raise ConfigurationError(f"--param {spec!r}: {value} is not a whole number")
            values.append(int(value))
        else:
            values.append(float(value))
    return list(dict.fromkeys(values))  # each value once, in the order given


def _number(spec: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ConfigurationError(f"--param {spec!r}: {text.strip()!r} is not a number") from None
    if not value.is_finite():
        raise ConfigurationError(f"--param {spec!r}: {text.strip()!r} is not a finite number")
    return value
