"""The parity suite: paper = live = backtest, trade for trade, on real candles.

For 1m, 5m and 15m bots, EMA 8/21 and 100/400, spot and futures, with stop-loss,
take-profit, trailing stop, signal exits and daily limits: the backtest (exits on the
minutes between the bot's closes) and the real tick replayed minute by minute on the
simulated exchange make identical trades — side, times, prices, quantities, fees, exit
reasons, PnL — and end with the same open position (`tests/e2e/parity.py`).

Binance spot rests one stop per position (an OCO), so a spot bot with a stop-loss and a
wider trailing stop rests the stop-loss and watches its trailing stop, minute by minute,
closing by MARKET order at the next minute: on paper, on Binance and in the backtest alike
(every spot case here has one).

A subset runs the same replay through the Binance adapter against the project's
Binance-compatible server, `tradewind exchange serve` in a process of its own (its market
clock moved by the replay, minute by minute): identical too. Binance holds a stop-loss or
take-profit trigger only on the price tick; the domain's levels are on it already (rounded
toward the entry, docs/strategy.md "Exits"), in the backtest and on paper as on Binance. A
run that ends in a position ends with the same one on paper and through the adapter: side,
quantity, entry, the exits resting and the exits watched.

Each case is a window of the month of BTCUSDT 1m candles (the bot decides on all the
history before it): the windows were chosen so each case sees its exits and limits in
the fewest minutes, as the whole file must run in about two minutes on an idle machine.
The README's "Parity" table is this file's result.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import shared_file
from tests.e2e.exchange_process import served_exchange
from tests.e2e.parity import BALANCE, backtested, migrated_database, replayed
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.replay import _window
from tradewind.bot_config import BotConfig
from tradewind.domain.candles import Candles
from tradewind.domain.types import PositionSide

DAY = 1440  # minutes
FAST: dict[str, object] = {}
SLOW = {"custom_ema_fast": 100, "custom_ema_slow": 400, "custom_rsi_period": 14,
        "custom_rsi_oversold": 5, "custom_rsi_overbought": 95}  # fmt: skip
EXITS = {
    "1m": {"custom_stop_loss": "0.4", "custom_take_profit": "0.6", "custom_trailing_stop": "0.5"},
    "5m": {"custom_stop_loss": "0.6", "custom_take_profit": "1.2", "custom_trailing_stop": "0.8"},
    "15m": {"custom_stop_loss": "1", "custom_take_profit": "2", "custom_trailing_stop": "1.2"},
}
ALL_EXITS = {"stop_loss", "take_profit", "trailing_stop", "close"}


@dataclass(frozen=True)
class Case:
    """A bot and the window of the month it is replayed on (from day `start`, `days` long)."""

    timeframe: str
    slow: bool
    market: str
    start: float
    days: float
    exits: frozenset[str]  # the exit reasons the window must show
    fields: dict[str, object] = field(default_factory=dict)
    label: str = ""
    ends_open: bool = False  # the window ends in a position (compared as the run ends)

    @property
    def name(self) -> str:
        ema = "ema100-400" if self.slow else "ema8-21"
        return f"{self.timeframe}-{ema}-{self.market}{self.label}"

    def config(self) -> BotConfig:
        return BotConfig.model_validate(
            {"name": self.name, "symbol": "BTCUSDT", "timeframe": self.timeframe,
             "position_type": self.market, "position_size_fixed": "100",
             **({"leverage": 5} if self.market == "futures" else {}),
             **EXITS[self.timeframe], **(SLOW if self.slow else FAST), **self.fields}
        )  # fmt: skip


def case(timeframe: str, slow: bool, market: str, start: float, days: float,
         exits: set[str], **fields: object) -> Case:  # fmt: skip
    return Case(timeframe, slow, market, start, days, frozenset(exits), fields)


CASES = [
    case("1m", False, "spot", 16, 0.5, ALL_EXITS, max_daily_trades=8),
    case("1m", False, "futures", 19, 0.5, ALL_EXITS, max_daily_loss="3"),
    case("1m", True, "spot", 5, 1, {"stop_loss", "take_profit", "close"}),
    case("1m", True, "futures", 7, 1, {"stop_loss", "take_profit", "trailing_stop"}),
    case("5m", False, "spot", 12, 1.5, ALL_EXITS),
    case("5m", False, "futures", 9, 1.5, ALL_EXITS, max_daily_trades=5),
    case("5m", True, "spot", 4, 1, {"trailing_stop"}),
    case("5m", True, "futures", 14, 1.5, {"trailing_stop", "stop_loss"}),
    case("15m", False, "spot", 15, 2, ALL_EXITS),
    case("15m", False, "futures", 9, 1.5, {"stop_loss", "take_profit", "close"},
         daily_profit_target="3"),
    case("15m", True, "spot", 12, 1, {"take_profit"}),
    case("15m", True, "futures", 12, 1, {"take_profit"}),
]  # fmt: skip
# Through the Binance adapter too: a 1m futures bot with every exit kind and the daily
# loss limit; a 1m spot bot with a stop-loss and a wider trailing stop (Binance spot rests
# one stop per position, an OCO: the stop-loss rests, the bot watches the trailing stop
# and closes by MARKET order at the next minute, as paper and the backtest do) and the
# daily trade cap; a 5m spot bot without a stop-loss (its trailing stop rests); a 5m
# futures bot with the trade cap that ends in a position; a 15m futures bot with the
# daily profit target; a 15m EMA 100/400 spot bot; a 1m spot bot that ends in a position
# with its trailing stop watched.
BINANCE_CASES = [
    CASES[1],
    CASES[0],
    Case("5m", False, "spot", 13, 0.5, frozenset({"take_profit", "trailing_stop", "close"}),
         {"custom_stop_loss": None}, label="-no-stop-loss"),
    replace(CASES[5], ends_open=True),
    CASES[9],
    CASES[10],
    Case("1m", False, "spot", 16, 0.25, frozenset({"stop_loss", "close"}),
         label="-open-at-end", ends_open=True),
]  # fmt: skip


@pytest.fixture(scope="module")
def month() -> Candles:
    return read_candles_csv(shared_file("BTCUSDT-1m-binanceus-2023-03.csv"))


@pytest.fixture(scope="module")
def month_lines() -> list[str]:
    """The month's CSV lines, header first: a server serves a window as the file's text."""
    with shared_file("BTCUSDT-1m-binanceus-2023-03.csv").open() as f:
        return f.readlines()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("parity-template") / "tradewind.db"


def window(month: Candles, c: Case) -> tuple[Candles, int]:
    """Return the month up to the case's window end, and the window's start time."""
    start = int(c.start * DAY)
    return _window(month, 0, start + int(c.days * DAY)), int(month.open_time[start])


@pytest.mark.slow
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_the_backtest_and_the_paper_replay_make_identical_trades(
    month: Candles, template: Path, tmp_path: Path, c: Case
) -> None:
    data, start = window(month, c)
    expected = backtested(data, c.config(), start)
    assert expected.rows, "a window without trades proves nothing"
    assert expected.reasons >= c.exits
    got = replayed(migrated_database(template, tmp_path / "db.sqlite"), data, c.config(), start)
    assert got.rows == expected.rows
    assert got.open_position == expected.open_position


@pytest.mark.parametrize("c", [c for c in CASES if c.market == "spot"], ids=lambda c: c.name)
def test_a_spot_bot_watches_its_wider_trailing_stop_and_fills_at_the_next_minute(
    month: Candles, c: Case
) -> None:
    """The exchange rests the stop-loss; the trailing stop, reached in minute j, fills at
    the open of minute j + 1 by MARKET order (docs/strategy.md, "Exits the exchange
    cannot rest"), never at its level. The replays above make the same trades."""
    config = c.config()
    exits = config.exit_rules()
    assert exits.trailing_stop is not None
    assert exits.stop_loss is not None
    assert exits.trailing_stop > exits.stop_loss  # wider: the watched one
    data, start = window(month, c)
    first = int(data.open_time[0])
    trailing = [r for r in backtested(data, config, start).rows if r[8] == "trailing_stop"]
    if "trailing_stop" in c.exits:
        assert trailing
    for row in trailing:
        exit_time, price = row[5], row[6]
        assert isinstance(exit_time, int)
        j = (exit_time - first) // 60
        assert price == Decimal(str(data.open[j])), row  # the next minute's open
        # ... and the trailing level was reached in the minute before (the peak since entry).
        entered = (int(row[1]) - first) // 60  # type: ignore[call-overload]
        highs = [Decimal(str(h)) for h in data.high[entered : j - 1]]
        peak = max([Decimal(str(data.open[entered])), *highs])
        assert Decimal(str(data.low[j - 1])) <= peak * (1 - exits.trailing_stop), row


def test_the_daily_limits_are_reached_in_their_windows(month: Candles) -> None:
    """Each window with a daily limit holds a day at that limit, so the limit acts."""
    reached = set()
    for c in CASES:
        data, start = window(month, c)
        entries: dict[int, int] = {}
        pnl: dict[int, Decimal] = {}
        for row in backtested(data, c.config(), start).rows:
            entries[int(row[1]) // 86_400] = entries.get(int(row[1]) // 86_400, 0) + 1  # type: ignore[call-overload]
            if isinstance(row[9], Decimal):
                day = int(row[5]) // 86_400  # type: ignore[call-overload]
                pnl[day] = pnl.get(day, Decimal(0)) + row[9]
        for limit, value in c.fields.items():
            if limit == "max_daily_trades":
                assert max(entries.values()) == value, c.name
            elif limit == "max_daily_loss":
                assert min(pnl.values()) <= -Decimal(str(value)), c.name
            elif limit == "daily_profit_target":
                assert max(pnl.values()) >= Decimal(str(value)), c.name
            else:
                continue
            reached.add(limit)
    assert reached == {"max_daily_trades", "max_daily_loss", "daily_profit_target"}


@pytest.mark.slow
@pytest.mark.parametrize("c", BINANCE_CASES, ids=lambda c: c.name)
def test_the_replay_through_the_binance_adapter_makes_the_same_trades(
    month: Candles, month_lines: list[str], template: Path, tmp_path: Path, c: Case
) -> None:
    data, start = window(month, c)
    config = c.config()
    expected = backtested(data, config, start)
    assert expected.reasons >= c.exits
    assert (expected.open_position is not None) == c.ends_open
    with served_exchange(month_lines[: 1 + len(data)], tmp_path, BALANCE) as exchange:
        url = migrated_database(template, tmp_path / "binance.sqlite")
        got = replayed(url, data, config, start, exchange=exchange)
    assert got.rows == expected.rows
    if expected.open_position is None:
        assert got.end is None
        return
    paper = replayed(migrated_database(template, tmp_path / "paper.sqlite"), data, config, start)
    assert paper.rows == expected.rows
    assert paper.end is not None
    assert got.end == paper.end
    still = expected.open_position
    assert (paper.end.side, paper.end.entry_time, paper.end.entry_price) == still[:3]
    assert paper.end.quantity == still[10]
    assert {purpose for purpose, *_ in paper.end.resting} | set(paper.end.watched) == {
        exit for exit in ("stop_loss", "take_profit", "trailing_stop")
        if config.model_dump()[f"custom_{exit}"] is not None
    }  # fmt: skip
    if paper.end.watched:  # trailing from the best price since the entry minute, the last included
        entered = (paper.end.entry_time - int(data.open_time[0])) // 60
        assert paper.end.side is PositionSide.LONG  # spot
        highs = [Decimal(str(h)) for h in data.high[entered:]]
        assert paper.end.peak == max([paper.end.entry_price, *highs])
