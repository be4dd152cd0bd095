"""Walk-forward windows: rolling in-sample / out-of-sample folds, then a held-out period.

The candles are split into a search span and, at the end, a held-out share that no
choice ever sees until the winner is tested on it. The search span holds `folds` rolling
windows: each in-sample stretch is `ratio` times as long as the out-of-sample stretch
right after it, and each window starts one out-of-sample length after the previous one,
so the out-of-sample stretches tile the end of the search span without overlap:

    |---- IS 1 ----|- OOS 1 -|
              |---- IS 2 ----|- OOS 2 -|
                        |---- IS 3 ----|- OOS 3 -|== held out ==|
"""

from __future__ import annotations

from dataclasses import dataclass

from tradewind.domain.errors import ConfigurationError

MIN_SEGMENT = 50  # candles: fewer and the indicators have barely warmed up


@dataclass(frozen=True, slots=True)
class Fold:
    """Candle index ranges [start, end) of one in-sample and one out-of-sample stretch."""

    in_start: int
    in_end: int
    out_start: int
    out_end: int


@dataclass(frozen=True, slots=True)
class Plan:
    folds: tuple[Fold, ...]
    holdout_start: int
    holdout_end: int


def walk_forward(candles: int, folds: int, ratio: float, holdout: float) -> Plan:
    """Return the folds and the held-out range for `candles` candles."""
    if folds < 1:
        raise ConfigurationError("--folds: must be >= 1")
    if not 0 <= holdout < 1:
        raise ConfigurationError("--holdout: a share of the candles, >= 0 and < 1")
    if ratio <= 0:
        raise ConfigurationError("--in-out-ratio: must be > 0")
    held = int(candles * holdout)
    search = candles - held
    out_len = int(search / (folds + ratio))
    in_len = int(out_len * ratio)
    if out_len < MIN_SEGMENT or in_len < MIN_SEGMENT or (holdout and held < MIN_SEGMENT):
        raise ConfigurationError(
            f"{candles:,} candles are too few for {folds} folds with --holdout {holdout}: "
            f"each stretch needs {MIN_SEGMENT} candles at least (download more, or use "
            "fewer folds)"
        )
    end = out_len * folds + in_len
    offset = search - end  # leftover candles go unused at the start
    built = []
    for i in range(folds):
        start = offset + i * out_len
        built.append(Fold(start, start + in_len, start + in_len, start + in_len + out_len))
    return Plan(tuple(built), search, candles)
