"""A spot bot's exit that Binance cannot rest is watched by the bot and taken by MARKET order.

Binance spot rests one stop per position. A bot with a 1 % stop-loss and a wider 2 %
trailing stop gets the stop-loss resting on the exchange (the trailing one could never
fire first... until the price has risen); the trailing stop is the bot's to watch, minute
by minute. Here the real tick trades through the Binance adapter against the
Binance-compatible server, on a hand-written market: a fall, a rise that buys, then a
minute whose low breaks 2 % under the peak while it still closes higher (no signal to
sell). The bot must close by its trailing stop at the next minute's open.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from tests.market_script import MINUTE, T0, minute_candles
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.bootstrap.venues import AccountExchanges
from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.ports import NewAccount
from tradewind.services.scheduler import run_slot, slots_between
from tradewind.services.tick import TickDeps
from tradewind.testkit.binance_server.server import BinanceServer

D = Decimal
HIT = 20  # the minute whose low breaks the trailing stop


def market() -> list[tuple[str, str, str, str]]:
    """Ten minutes down 20 a minute, ten up 200 a minute (a BUY at minute 10's close), then
    minute 20: low 40,900, under 2 % below the 41,830 peak (40,993.40), close higher."""
    closes = [40_000 - 20 * i for i in range(10)] + [39_820 + 200 * i for i in range(1, 11)]
    rows, previous = [], 40_000
    for close in closes:
        rows.append((previous, max(previous, close) + 10, min(previous, close) - 10, close))
        previous = close
    rows.append((41_820, 41_840, 40_900, 41_830))  # minute 20
    rows += [(41_830 + 10 * i, 41_850 + 10 * i, 41_820 + 10 * i, 41_840 + 10 * i) for i in range(6)]
    return [tuple(str(v) for v in row) for row in rows]  # type: ignore[misc]


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: the tick's path is the same on PostgreSQL (tests/integration/test_tick)."""
    target = tmp_path / "tradewind.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def server() -> Iterator[tuple[BinanceServer, ReplayClock, ReplayMarketData]]:
    candles = ReplayMarketData({"BTCUSDT": minute_candles(market())})
    clock = ReplayClock(T0 + MINUTE)
    running = BinanceServer(SimulatedVenue(candles, clock, seed=4), seed=4)
    running.start()
    try:
        yield running, clock, candles
    finally:
        running.stop()


@pytest.mark.parametrize("wiring", ["alone", "beside_paper"])
def test_a_spot_bot_takes_its_wider_trailing_stop_itself_when_binance_rests_the_stop_loss(
    engine: object,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    server: tuple[BinanceServer, ReplayClock, ReplayMarketData],
    wiring: str,
) -> None:
    """`beside_paper` wires the tick as the workers do: paper bots' market by default and
    Binance bots' own candles beside it; here the paper market stands still, so a watch
    that read it would never see the trailing stop."""
    binance_server, clock, _ = server
    binance = BinanceExchanges(BinanceOptions(url=binance_server.base_url, timeout=5.0, seed=1))
    still = ReplayMarketData({"BTCUSDT": minute_candles([("41830",) * 4] * 30)})
    deps = TickDeps(
        uow=tick_uow,
        exchanges=AccountExchanges({ExchangeKind.BINANCE: binance}),
        market_data=binance.market_data() if wiring == "alone" else still,
        lock=make_bot_lock(engine),  # type: ignore[arg-type]
        clock=clock,
        venue_market_data={}
        if wiring == "alone"
        else {ExchangeKind.BINANCE: binance.market_data()},
    )
    binance_server.add_account("key", "secret", spot={"USDT": D(10_000)})
    config = BotConfig.model_validate({
        "name": "watcher", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot",
        "custom_ema_fast": 2, "custom_ema_slow": 3, "custom_rsi_period": 2,
        "custom_rsi_oversold": 1, "custom_rsi_overbought": 99, "position_size_fixed": "100",
        "custom_stop_loss": "1", "custom_trailing_stop": "2",
    })  # fmt: skip
    with manage_uow() as uow:
        user = uow.users.add("watch@example.com", "Watch", T0)
        account = uow.accounts.add(
            NewAccount(
                user_id=user.id, name="binance", kind=ExchangeKind.BINANCE,
                api_key=SecretStr("key"), api_secret=SecretStr("secret"), created_at=T0,
            )
        )  # fmt: skip
        bot = uow.bots.add(user.id, account.id, config, T0)
        uow.bots.set_active(bot.id, True)
        uow.commit()

    for slot in slots_between(T0 + MINUTE, T0 + 25 * MINUTE):
        clock.set(slot)
        run_slot(deps, [bot.id], slot)

    with manage_uow() as uow:
        trades = sorted(uow.trades.recent(bot_id=bot.id, limit=100), key=lambda t: t.timestamp)
        orders = {o.purpose: o for o in uow.orders.recent(limit=100)}
        state = uow.bots.get(bot.id)
    assert state is not None
    entry, exit_ = trades
    # Bought at minute 11's open: 100 USDT buys 0.00249 BTC; the fee (0.1 %, in BTC) leaves
    # 0.00248751, of which the position holds 0.00248.
    assert (entry.purpose, entry.price, entry.quantity) == (
        OrderPurpose.ENTRY,
        D(40_020),
        D("0.00249"),
    )
    # The stop-loss rested on Binance; the trailing stop was the bot's to watch.
    assert orders[OrderPurpose.STOP_LOSS].status is OrderStatus.CANCELED  # lifted to close
    watched = orders[OrderPurpose.TRAILING_STOP]
    assert "the bot watches this exit" in (watched.reason or "")
    # Minute 20 broke the trailing stop; the bot sold what it held at minute 21's open.
    assert exit_.purpose is OrderPurpose.TRAILING_STOP
    assert (exit_.timestamp, exit_.price, exit_.quantity) == (
        T0 + 21 * MINUTE,
        D(41_830),
        D("0.00248"),
    )
    # (41,830 - 40,020) x 0.00248 - 0.00249 x 40,020 x 0.1 % - 0.00248 x 41,830 x 0.1 %
    assert exit_.realized_pnl == D("4.4888") - D("0.0996498") - D("0.1037384")
    assert state.state.position is None
    assert state.state.reason == "closed by trailing_stop: PnL +4.29 USDT"  # 4.2854118… to the cent
    account_state = binance_server.account_state("key")
    assert account_state is not None
    btc = account_state["spot"]["BTC"]  # type: ignore[index]
    assert (D(str(btc["free"])), D(str(btc["locked"]))) == (D("0.00000751"), 0)  # the leftover
