"""Charts of a backtest: price with entries and exits above, the equity curve below.

PNG for files, mail and terminals; HTML is the interactive report (`html_report`), which
works offline. Long series are drawn as a min/max envelope per pixel
column so a million candles plot as fast as a thousand and look the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tradewind.domain.candles import FloatArray
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionSide

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tradewind.services.backtest.request import BacktestOutcome

MAX_POINTS = 2_000


def write_chart(outcome: BacktestOutcome, path: Path) -> None:
    """Write the chart to `path`; the suffix (.png or .html) picks the format."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".html"):
        raise ConfigurationError(f"--plot {path}: the file must end in .png or .html")
    try:
        if suffix == ".png":
            path.parent.mkdir(parents=True, exist_ok=True)
            _figure(outcome).savefig(path, dpi=110)
        else:
            from tradewind.entrypoints.cli.html_report import write_html_report

            write_html_report(outcome, path)
    except OSError as e:
        raise ConfigurationError(f"--plot {path}: cannot write ({e.strerror})") from e


def _envelope(x: NDArray[Any], y: FloatArray) -> tuple[NDArray[Any], FloatArray, FloatArray]:
    """Reduce a long series to per-bucket x, min and max."""
    n = y.shape[0]
    if n <= MAX_POINTS:
        return x, y, y
    size = -(-n // MAX_POINTS)
    buckets = -(-n // size)
    pad = size * buckets - n
    yy = np.concatenate((y, np.full(pad, y[-1]))).reshape(buckets, size)
    return x[::size], yy.min(axis=1), yy.max(axis=1)


def _figure(outcome: BacktestOutcome) -> Figure:
    from matplotlib.figure import Figure

    c, result = outcome.candles, outcome.result
    times = c.open_time.astype("datetime64[s]")
    fig = Figure(figsize=(12, 7), layout="constrained")
    price_ax, equity_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    x, low, high = _envelope(times, c.close)
    if low is high:
        price_ax.plot(x, c.close, lw=0.8, color="#445")
    else:
        price_ax.fill_between(x, low, high, color="#445", lw=0, alpha=0.7)
    for side, marker, color in (
        (PositionSide.LONG, "^", "#1a9850"),
        (PositionSide.SHORT, "v", "#d73027"),
    ):
        entries = [t for t in result.trades if t.side is side]
        if entries:
            price_ax.scatter(
                [times[t.entry_index] for t in entries],
                [float(t.entry_price) for t in entries],
                marker=marker, s=18, color=color, label=f"{side.value} entry", zorder=3,
            )  # fmt: skip
    exits = [t for t in result.trades if t.exit_index is not None and t.exit_price is not None]
    if exits:
        price_ax.scatter(
            [times[t.exit_index] for t in exits if t.exit_index is not None],
            [float(t.exit_price) for t in exits if t.exit_price is not None],
            marker="x", s=14, color="#2c7bb6", label="exit", zorder=3,
        )  # fmt: skip
    cfg = outcome.config
    price_ax.set_title(f"{cfg.symbol} {cfg.position_type.value} {cfg.timeframe} · {cfg.name}")
    price_ax.set_ylabel("price")
    price_ax.legend(loc="upper left", fontsize=8)
    ex, elow, ehigh = _envelope(times, result.equity)
    equity_ax.fill_between(ex, elow, ehigh, color="#2c7bb6", lw=0.8, alpha=0.8)
    equity_ax.plot(ex, ehigh, lw=0.6, color="#2c7bb6")
    equity_ax.set_ylabel("equity (USDT)")
    for ax in (price_ax, equity_ax):
        ax.grid(alpha=0.25)
    return fig
