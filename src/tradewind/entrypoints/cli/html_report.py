"""The interactive backtest report: one HTML file that works offline (no network, no CDN).

Panes on canvases drawn by the page's own script: candles with the strategy's indicators
and every entry and exit (exits coloured by reason, filled when the trade won, hollow when
it lost), the RSI, equity and drawdown; the wheel zooms, a drag pans, and a click on a
row of the trade table shows that trade. Long runs are shown as at most `MAX_BARS` bars
(each bar a bucket of candles: first open, highest high, lowest low, last close), so the
file stays small; trades keep their exact times and prices.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tradewind.domain.candles import FloatArray
from tradewind.entrypoints.cli.numbers import duration, money, percent, to_step

if TYPE_CHECKING:
    from tradewind.services.backtest.request import BacktestOutcome

MAX_BARS = 3_000
REASON_COLOURS = {"stop_loss": "#d73027", "take_profit": "#1a9850",
                  "trailing_stop": "#f46d43", "signal": "#2c7bb6"}  # fmt: skip


def _buckets(n: int) -> tuple[Any, Any]:
    """Return each bar's first and last candle index."""
    size = max(1, -(-n // MAX_BARS))
    starts = np.arange(0, n, size)
    ends = np.minimum(starts + size, n) - 1
    return starts, ends


def _series(values: FloatArray, ends: Any) -> list[float | None]:
    picked = values[ends]
    return [None if not np.isfinite(v) else round(float(v), 10) for v in picked]


def report_data(outcome: BacktestOutcome) -> dict[str, Any]:
    """Return everything the page draws, as JSON-ready values."""
    c, result, rules = outcome.candles, outcome.result, outcome.spec.rules
    n = len(c)
    starts, ends = _buckets(n)
    bars = {
        "t": c.open_time[starts].tolist(),
        "o": c.open[starts].tolist(),
        "h": np.maximum.reduceat(c.high, starts).tolist() if n else [],
        "l": np.minimum.reduceat(c.low, starts).tolist() if n else [],
        "c": c.close[ends].tolist(),
    }
    indicators = outcome.spec.strategy.indicators(c) if n else {}
    equity = result.equity
    peaks = np.maximum.accumulate(equity) if n else equity
    drawdown = (equity - peaks) / peaks if n else equity
    trades = []
    for t in result.trades:
        reason = t.exit_reason.value if t.exit_reason is not None else "open"
        won = t.pnl is not None and t.pnl > 0
        trades.append({
            "side": t.side.value, "entry_t": t.entry_time,
            "entry_p": float(t.entry_price), "entry": to_step(t.entry_price, rules.tick_size),
            "qty": to_step(t.quantity, rules.step),
            "exit_t": t.exit_time,
            "exit_p": None if t.exit_price is None else float(t.exit_price),
            "exit": "-" if t.exit_price is None else to_step(t.exit_price, rules.tick_size),
            "reason": reason, "won": won,
            "pnl": money(t.pnl, rules.quote_asset, sign=True),
        })  # fmt: skip
    return {
        "bars": bars,
        "overlays": {k: _series(v, ends) for k, v in indicators.items() if not k.startswith("rsi")},
        "oscillators": {k: _series(v, ends) for k, v in indicators.items() if k.startswith("rsi")},
        "levels": _oscillator_levels(outcome),
        "equity": _series(equity, ends),
        "drawdown": _series(drawdown, ends),
        "trades": trades,
        "colours": REASON_COLOURS,
        "quote": rules.quote_asset,
    }


def _oscillator_levels(outcome: BacktestOutcome) -> list[float]:
    params = outcome.config.strategy.param_values()
    return [float(params[k]) for k in ("rsi_oversold", "rsi_overbought") if k in params]


def _figures(outcome: BacktestOutcome) -> list[tuple[str, str]]:
    from tradewind.entrypoints.cli.report_tables import exits_line

    s, st, quote = outcome.summary, outcome.stats, outcome.spec.rules.quote_asset
    pf = st.profit_factor
    return [
        ("return", f"{percent(s.total_return)} ({money(s.total_pnl, quote, sign=True)} {quote})"),
        ("buy and hold", percent(s.buy_and_hold)),
        ("trades", f"{st.closed:,}"),
        ("win rate", percent(st.win_rate, 1, sign=False)),
        ("profit factor", "n/a" if pf is None else f"{pf:.2f}"),
        ("expectancy", f"{money(st.expectancy, quote, sign=True)} {quote}"),
        ("max drawdown", f"{percent(st.drawdown.depth, sign=False)}, "
                         f"{duration(st.drawdown.duration)}"),
        ("exposure", percent(st.exposure, 1, sign=False)),
        ("Sharpe", "n/a" if st.sharpe is None else f"{st.sharpe:.2f}"),
        ("Sortino", "n/a" if st.sortino is None else f"{st.sortino:.2f}"),
        ("fees", f"{money(s.fees, quote)} {quote}"),
        ("exits", exits_line(outcome)),
    ]  # fmt: skip


def _legend() -> str:
    swatches = []
    for reason, colour in REASON_COLOURS.items():
        swatches.append(
            f'<span><svg width="12" height="12"><circle cx="6" cy="6" r="5" fill="{colour}"/>'
            f"</svg> {reason}</span>"
        )
    swatches.append('<span><svg width="12" height="12"><circle cx="6" cy="6" r="4.5" '
                    'fill="none" stroke="#555"/></svg> hollow: a loss</span>')  # fmt: skip
    return " ".join(swatches)


def render_html(outcome: BacktestOutcome) -> str:
    """Return the whole page."""
    from tradewind.entrypoints.cli.render import strategy_line

    cfg = outcome.config
    title = f"{cfg.name} · {cfg.symbol} {cfg.position_type.value} {cfg.timeframe}"
    figures = "".join(
        f"<div><b>{html.escape(k)}</b> {html.escape(v)}</div>" for k, v in _figures(outcome)
    )
    script = resources.files("tradewind.entrypoints.cli").joinpath("html_report.js").read_text()
    data = json.dumps(report_data(outcome), separators=(",", ":")).replace("</", "<\\/")
    return _PAGE.format(
        title=html.escape(title),
        strategy=html.escape(strategy_line(cfg.strategy.name, cfg.strategy.param_values())),
        source=html.escape(outcome.source),
        figures=figures,
        legend=_legend(),
        data=data,
        script=script,
    )


def write_html_report(outcome: BacktestOutcome, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(outcome), encoding="utf-8")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>tradewind backtest · {title}</title>
<style>
body {{ font: 13px system-ui, sans-serif; margin: 16px; color: #222; }}
h1 {{ font-size: 17px; margin: 0 0 4px; }}
.sub {{ color: #666; margin-bottom: 8px; }}
.figures {{ display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 8px 0; }}
.legend span {{ margin-right: 12px; }}
canvas {{ display: block; width: 100%; border-top: 1px solid #eee; cursor: crosshair; }}
#tip {{ color: #444; min-height: 1.3em; font-variant-numeric: tabular-nums; }}
table {{ border-collapse: collapse; margin-top: 10px; font-variant-numeric: tabular-nums; }}
td, th {{ padding: 2px 8px; text-align: right; }}
td:nth-child(-n+2), th:nth-child(-n+2) {{ text-align: left; }}
tbody tr {{ cursor: pointer; }} tbody tr:hover {{ background: #f3f6fa; }}
tr.on {{ background: #dde8f5 !important; }}
.won {{ color: #1a9850; }} .lost {{ color: #d73027; }}
.scroll {{ max-height: 320px; overflow-y: auto; display: inline-block; }}
</style></head><body>
<h1>{title}</h1>
<div class="sub">{strategy} · {source} · wheel: zoom, drag: pan, double-click: all,
click a trade: show it</div>
<div class="figures">{figures}</div>
<div class="legend">{legend}</div>
<div id="tip"></div>
<canvas id="price" height="330"></canvas>
<canvas id="osc" height="90"></canvas>
<canvas id="equity" height="110"></canvas>
<canvas id="dd" height="80"></canvas>
<div class="scroll"><table><thead><tr><th>side</th><th>entry (UTC)</th><th>price</th>
<th>qty</th><th>exit (UTC)</th><th>price</th><th>reason</th><th>PnL</th></tr></thead>
<tbody id="trades"></tbody></table></div>
<script type="application/json" id="data">{data}</script>
<script>{script}</script>
</body></html>
"""
