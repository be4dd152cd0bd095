"""Charts of a backtest: price with entries and exits above, the equity curve below.

PNG for files and mail, HTML (a self-contained page with the chart as inline SVG and the
headline figures) for browsers. Long series are drawn as a min/max envelope per pixel
column so a million candles plot as fast as a thousand and look the same.
"""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from tradewind.domain.candles import FloatArray
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.types import PositionSide
from tradewind.entrypoints.cli.numbers import money

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tradewind.services.backtest.request import BacktestOutcome

MAX_POINTS = 2_000


def write_chart(outcome: BacktestOutcome, path: Path) -> None:
    """Write the chart to `path`; the suffix (.png or .html) picks the format."""
    suffix = path.suffix.lower()
    if suffix not in (".png", ".html"):
        raise ConfigurationError(f"--plot {path}: the file must end in .png or .html")
    figure = _figure(outcome)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".png":
            figure.savefig(path, dpi=110)
        else:
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg")
            path.write_text(_page(outcome, buffer.getvalue()))
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


def _page(outcome: BacktestOutcome, svg: str) -> str:
    s, sharpe, quote = outcome.summary, outcome.stats.sharpe, outcome.spec.rules.quote_asset
    start = datetime.fromtimestamp(s.start_time, tz=UTC).strftime("%Y-%m-%d %H:%M")
    end = datetime.fromtimestamp(s.end_time, tz=UTC).strftime("%Y-%m-%d %H:%M")
    figures = [
        ("trades", f"{s.trades:,}"),
        ("win rate", f"{s.win_rate * 100:.1f}%"),
        ("return", f"{float(s.total_return) * 100:+.2f}%"),
        ("max drawdown", f"{s.max_drawdown * 100:.2f}%"),
        ("fees", f"{money(s.fees, quote)} {quote}"),
        ("Sharpe", "n/a" if sharpe is None else f"{sharpe:.2f}"),
        ("period", f"{start} → {end} UTC"),
    ]
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in figures
    )
    title = html.escape(f"tradewind backtest · {outcome.config.name} · {outcome.config.symbol}")
    svg_body = svg[svg.index("<svg") :]
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2em}svg{max-width:100%;height:auto}"
        "th{text-align:left;padding-right:1em}</style>"
        f"<h1>{title}</h1><table>{cells}</table>{svg_body}</html>\n"
    )
