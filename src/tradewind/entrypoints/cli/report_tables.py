"""The backtest report's tables, each readable at 80 columns: money to the quote asset's
precision, prices to the tick, quantities to the step, exit reasons in the one vocabulary
of `ExitReason` (stop_loss, take_profit, trailing_stop, signal) that the trade files,
notifications and docs use too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich import box
from rich.table import Table

from tradewind.entrypoints.cli.numbers import duration, money, percent, to_step

if TYPE_CHECKING:
    from tradewind.services.backtest.request import BacktestOutcome

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _time(ts: int, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime(pattern)


def _pairs(title: str) -> Table:
    table = Table(title=title, show_header=False, title_justify="left", box=box.SIMPLE)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    return table


def exits_line(outcome: BacktestOutcome) -> str:
    """Say which candles exits were checked on, and whether that is how live checks them."""
    from tradewind.services.backtest.feed import timeframe_name

    s = outcome.summary
    shown = timeframe_name(s.exit_seconds)
    if not s.exits_approximated:
        return f"checked on every {shown} candle, as paper and live"
    return f"approximated: checked on {shown} candles (paper and live check every 1m candle)"


def headline(outcome: BacktestOutcome) -> Table:
    """Market, strategy, data, period, and what the money did."""
    from tradewind.entrypoints.cli.render import strategy_line

    s, cfg, quote = outcome.summary, outcome.config, outcome.spec.rules.quote_asset
    table = _pairs(f"Backtest of {cfg.name}")
    vs_hold = float(s.total_return) - s.buy_and_hold
    rows = [
        ("market", f"{cfg.symbol} {cfg.position_type.value}, {cfg.timeframe} candles"),
        ("strategy", strategy_line(cfg.strategy.name, cfg.strategy.param_values())),
        ("data", outcome.source),
        ("period", f"{_time(s.start_time)} to {_time(s.end_time)} UTC, {s.candles:,} candles"),
        ("exits", exits_line(outcome)),
        ("leverage", str(outcome.spec.leverage)),
        ("start balance", f"{money(s.initial_balance, quote)} {quote}"),
        ("final balance", f"{money(s.final_balance, quote)} {quote}"),
        ("return", f"{percent(s.total_return)} ({money(s.total_pnl, quote, sign=True)} {quote})"),
        (
            "buy and hold",
            f"{percent(s.buy_and_hold)}; the strategy made {abs(vs_hold) * 100:.2f} "
            f"points {'more' if vs_hold >= 0 else 'less'}",
        ),
        ("fees paid", f"{money(s.fees, quote)} {quote}"),
    ]
    if outcome.result.open_position is not None:
        rows.append(("open position", f"unrealized {money(s.open_pnl, quote, sign=True)} {quote}"))
    for key, value in rows:
        table.add_row(key, value)
    return table


def trade_figures(outcome: BacktestOutcome) -> Table:
    """Win rate, profit factor, expectancy, holding, exposure, drawdown, Sharpe, Sortino."""
    st, quote = outcome.stats, outcome.spec.rules.quote_asset
    dd = st.drawdown
    table = _pairs("Trades and risk")
    pf = st.profit_factor
    ratio_note = f" ({st.ratios_note})" if st.ratios_note else ""
    dd_span = duration(dd.duration) + ("" if dd.recovered else ", not recovered")
    rows = [
        ("trades", f"{st.closed:,} closed: {st.wins:,} won, {st.losses:,} lost"),
        ("win rate", percent(st.win_rate, 1, sign=False)),
        ("profit factor", "n/a (no losing trade)" if pf is None else f"{pf:.2f}"),
        ("expectancy", f"{money(st.expectancy, quote, sign=True)} {quote} per trade"),
        ("holding time", f"{duration(st.average_holding)} average, "
                         f"{duration(st.longest_holding)} longest"),
        ("exposure", f"{percent(st.exposure, 1, sign=False)} of candles in a position"),
        ("max drawdown", f"{percent(dd.depth, sign=False)}, lasting {dd_span}"),
        ("Sharpe", ("n/a" if st.sharpe is None else f"{st.sharpe:.2f}") + ratio_note),
        ("Sortino", ("n/a" if st.sortino is None else f"{st.sortino:.2f}") + ratio_note),
    ]  # fmt: skip
    for key, value in rows:
        table.add_row(key, value)
    table.caption = "Sharpe and Sortino: per-candle returns, annualized"
    table.caption_justify = "left"
    return table


def monthly_returns(outcome: BacktestOutcome) -> Table:
    """One row per year, one column per month, returns in percent."""
    table = Table(
        title="Monthly returns (%)", title_justify="left", box=box.SIMPLE_HEAD,
        pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    table.add_column("year")
    for name in MONTHS:
        table.add_column(name, justify="right")
    years: dict[int, list[str]] = {}
    for m in outcome.stats.monthly:
        row = years.setdefault(m.year, [""] * 12)
        row[m.month - 1] = f"{m.ret * 100:+.2f}"
    for year, cells in sorted(years.items()):
        table.add_row(str(year), *cells)
    return table


def by_exit_reason(outcome: BacktestOutcome) -> Table:
    quote = outcome.spec.rules.quote_asset
    table = Table(title="PnL by exit reason", title_justify="left", box=box.SIMPLE_HEAD)
    for col in ("reason", "trades", f"PnL ({quote})", "average"):
        table.add_column(col, justify="left" if col == "reason" else "right")
    for reason, tally in sorted(outcome.summary.by_reason.items()):
        average = tally.pnl / tally.count if tally.count else None
        table.add_row(
            reason, f"{tally.count:,}", money(tally.pnl, quote, sign=True),
            money(average, quote, sign=True),
        )  # fmt: skip
    return table


def entries_not_taken(outcome: BacktestOutcome) -> Table:
    table = Table(title="Entries not taken", title_justify="left", box=box.SIMPLE_HEAD)
    table.add_column("why")
    table.add_column("signals", justify="right")
    for why, count in sorted(outcome.summary.skipped.items()):
        table.add_row(why, f"{count:,}")
    return table


def last_trades(outcome: BacktestOutcome, count: int) -> Table:
    trades = outcome.result.trades[-count:]
    rules = outcome.spec.rules
    table = Table(
        title=f"Last {len(trades)} trades (UTC day and time)", title_justify="left",
        box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True,
    )  # fmt: skip
    for col in ("side", "entry", "price", "qty", "exit", "price", "reason", "PnL"):
        numeric = col in ("price", "qty", "PnL")
        table.add_column(col, justify="right" if numeric else "left", no_wrap=True)
    for t in trades:
        pnl = "-"
        if t.pnl is not None:
            pnl = f"[{'green' if t.pnl > 0 else 'red'}]{money(t.pnl, rules.quote_asset)}[/]"
        table.add_row(
            t.side.value,
            _time(t.entry_time, "%d %H:%M"),
            to_step(t.entry_price, rules.tick_size),
            to_step(t.quantity, rules.step),
            "-" if t.exit_time is None else _time(t.exit_time, "%d %H:%M"),
            "-" if t.exit_price is None else to_step(t.exit_price, rules.tick_size),
            "open" if t.exit_reason is None else t.exit_reason.value,
            pnl,
        )
    return table
