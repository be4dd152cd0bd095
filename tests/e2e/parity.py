"""One bot three ways on the same 1m candles, each giving its trades as the same rows.

- the backtest: the bot's candles built from the minutes, exits checked on the minutes;
- the replay: the real tick on a real SQLite database, ticking every minute, filled by
  the simulated exchange (as `tradewind run --replay` does);
- the replay through the Binance adapter: the same tick, its orders and klines over HTTP
  to the project's Binance-compatible server, `tradewind exchange serve` in a process of
  its own (`tests/e2e/exchange_process.py`), which fills them on the same simulated
  exchange.

A row is (side, entry time, entry price, quantity, entry fee, exit time, exit price, exit
fee, exit reason, PnL, held), the exit fields None for the position still open at the end;
`held` is what the position holds and its exit sells (a spot BUY's quantity less its fee
in the base, floored to the step). A
replay also gives the position it ends with as the bot and the exchange hold it (`End`).
The
replays may start after the data does (the bot then decides on the history before, as a
live bot reads it), so a case can be a few days of a month; the backtest runs on the whole
data and only its trades entered from that start on are compared.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

from tests.e2e.exchange_process import ServedExchange
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.engine import make_engine, migrate, session_factory
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.secrets import SecretBox, generate_key
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.bootstrap.venues import AccountExchanges, PaperExchanges
from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.candles import Candles
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.sizing import effective_leverage
from tradewind.domain.timeframes import timeframe_seconds
from tradewind.domain.types import PositionSide, PositionType, Side
from tradewind.ports import NewAccount
from tradewind.services.backtest import BacktestSpec, run_backtest
from tradewind.services.backtest.feed import backtest_feed
from tradewind.services.scheduler import run_replay
from tradewind.services.tick import TickDeps

Row = tuple[object, ...]
BALANCE = Decimal(10_000)
REASONS = {"signal": "close"}  # the backtest's exit reason -> the order purpose recorded


@dataclass(frozen=True, slots=True)
class End:
    """The position a replay ends with: as the bot's state holds it, and its exits —
    those resting on the exchange (purpose, side, quantity) and those the bot
    watches itself (purposes, and the best price since entry they trail from)."""

    side: PositionSide
    quantity: Decimal
    entry_price: Decimal
    entry_time: int
    resting: tuple[tuple[str, str, Decimal], ...]
    watched: tuple[str, ...]
    peak: Decimal | None


@dataclass(frozen=True, slots=True)
class Trades:
    """What one way of running the bot made: its round trips, the last one maybe open."""

    rows: list[Row]
    end: End | None = None  # a replay's; the backtest gives none

    @property
    def reasons(self) -> set[object]:
        return {row[8] for row in self.rows if row[8] is not None}

    @property
    def open_position(self) -> Row | None:
        return self.rows[-1] if self.rows and self.rows[-1][5] is None else None


def backtested(minutes: Candles, config: BotConfig, start: int) -> Trades:
    """Backtest `config` on all of `minutes`; return its trades entered at `start` or later.

    The backtest must be flat at `start`, so that a replay starting there meets the same
    state (and, `start` being midnight UTC, the same day's tally).
    """
    rules = rules_for(config.symbol, config.position_type)
    leverage = 1
    if config.position_type is PositionType.FUTURES:
        leverage = effective_leverage(config.leverage, rules.max_leverage)
    spec = BacktestSpec(
        position_type=config.position_type, rules=rules, strategy=config.strategy_choice(),
        exits=config.exit_rules(), sizing=config.sizing_rule(), limits=config.daily_limits(),
        leverage=leverage, initial_balance=BALANCE,
    )  # fmt: skip
    result = run_backtest(backtest_feed(minutes, timeframe_seconds(config.timeframe)), spec)
    rows: list[Row] = []
    for t in result.trades:
        if t.entry_time < start:
            assert t.exit_time is not None, "in a position at start"
            assert t.exit_time < start, "in a position at start"
            continue
        reason = None if t.exit_reason is None else t.exit_reason.value
        rows.append(
            (t.side, t.entry_time, t.entry_price, t.quantity, t.entry_fee, t.exit_time,
             t.exit_price, t.exit_fee, REASONS.get(reason, reason) if reason else None, t.pnl,
             t.position_quantity)
        )  # fmt: skip
    return Trades(rows)


def migrated_database(template: Path, target: Path) -> str:
    """Return the URL of a fresh SQLite database, copied from a migrated template."""
    if not template.exists():
        engine = make_engine(f"sqlite:///{template}")
        migrate(engine)
        engine.dispose()
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def replayed(
    url: str,
    minutes: Candles,
    config: BotConfig,
    start: int,
    *,
    exchange: ServedExchange | None = None,
) -> Trades:
    """Replay `config` minute by minute from `start` to the data's end; return its trades.

    With `exchange` (a `tradewind exchange serve` process serving `minutes`), the bot's
    account is a Binance account there, the tick reads the klines from it and each minute
    moves the server's market clock before the bot decides it; else a paper account on the
    simulated exchange, as `tradewind run --replay`.
    """
    engine = make_engine(url)
    sessions = session_factory(engine)
    secrets = SecretBox.from_keys([generate_key()], "the test key")
    market = ReplayMarketData({config.symbol: minutes})
    end = market.span()[1]
    clock = ReplayClock(start)
    set_time = clock.set
    if exchange is not None:
        binance = BinanceExchanges(
            BinanceOptions(url=exchange.base_url, timeout=30.0, retry_backoff_base=0.01)
        )
        deps = TickDeps(
            uow=lambda: SqlUnitOfWork(sessions, secrets),
            exchanges=AccountExchanges({ExchangeKind.BINANCE: binance}),
            market_data=binance.market_data(), lock=make_bot_lock(engine), clock=clock,
        )  # fmt: skip

        def set_time(when: int) -> None:
            exchange.set_time(when)
            clock.set(when)
    else:
        venue = SimulatedVenue(market, clock, seed=3, market_end=end)
        deps = TickDeps(
            uow=lambda: SqlUnitOfWork(sessions, secrets), exchanges=PaperExchanges(venue),
            market_data=market, lock=make_bot_lock(engine), clock=clock,
        )  # fmt: skip
    kind = ExchangeKind.PAPER if exchange is None else ExchangeKind.BINANCE
    try:
        with SqlManageUnitOfWork(sessions, secrets) as uow:
            user = uow.users.add("owner@example.com", "Owner", start)
            account = uow.accounts.add(
                NewAccount(
                    user_id=user.id, name="parity", kind=kind,
                    api_key=SecretStr(exchange.api_key if exchange else ""),
                    api_secret=SecretStr(exchange.api_secret if exchange else ""),
                    created_at=start,
                    paper_balances={} if exchange else {
                        PositionType.SPOT: {"USDT": BALANCE},
                        PositionType.FUTURES: {"USDT": BALANCE},
                    },
                )
            )  # fmt: skip
            bot = uow.bots.add(user.id, account.id, config, start)
            uow.bots.set_active(bot.id, True)
            uow.commit()
        run_replay(deps, set_time, start, end)
        with SqlManageUnitOfWork(sessions, secrets) as uow:
            fills = sorted(
                uow.trades.recent(bot_id=bot.id, limit=100_000),
                key=lambda t: (t.timestamp, t.purpose is not OrderPurpose.ENTRY),
            )
            final = uow.bots.get(bot.id)
            access = uow.accounts.access(account.id)
        assert final is not None
        assert access is not None
        held = final.state.position
        on_exchange = deps.exchanges.for_account(access).open_orders(
            config.symbol, config.position_type
        )
    finally:
        engine.dispose()
    rows: list[Row] = []
    for i in range(0, len(fills), 2):
        entry = fills[i]
        assert entry.purpose is OrderPurpose.ENTRY, entry
        side = PositionSide.LONG if entry.side is Side.BUY else PositionSide.SHORT
        row: Row = (side, entry.timestamp, entry.price, entry.quantity, entry.fee)
        if i + 1 < len(fills):
            x = fills[i + 1]
            row += (x.timestamp, x.price, x.fee, x.purpose.value, x.realized_pnl, x.quantity)
        else:  # what the bot's state says the position holds
            row += (None,) * 5 + (None if held is None else held.quantity,)
        rows.append(row)
    trades = Trades(rows)
    # The bot's own state holds the open position the trades say, and nothing else.
    still = trades.open_position
    if still is None:
        assert held is None, held
        assert on_exchange == [], on_exchange  # no exit left resting on a closed position
        return trades
    assert held is not None
    assert (held.side, held.entry_time, held.entry_price) == still[:3], (held, still)
    by_id = {o.client_order_id: o for o in on_exchange}
    resting = tuple(
        sorted(
            (purpose.value, by_id[cid].side.value, by_id[cid].quantity)
            for purpose, cid in held.protection.items()
            if cid in by_id
        )
    )
    assert len(resting) == len(on_exchange), (held.protection, on_exchange)  # nothing else
    watch = held.watch
    watched = () if watch is None else tuple(sorted(p.value for p in watch.purposes))
    end_position = End(
        held.side, held.quantity, held.entry_price, held.entry_time, resting, watched,
        None if watch is None else watch.peak,
    )  # fmt: skip
    return Trades(rows, end_position)
