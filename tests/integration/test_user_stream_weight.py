"""REST weight of bots in position: per slot, with and without the accounts' user streams.

`BOTS` spot bots, each on an account of its own on the Binance-compatible server, buy
together and hold their positions with an OCO resting (test_binance_user_stream's market).
Without streams every bot asks for both legs every slot (`GET /api/v3/order`, weight 4);
with each account's `UserStream` running, the slots in position cost no look-up at all:
the weight of bookkeeping no longer grows with the bots holding positions. Printed with
`-s`: the request weight per in-position slot, by path.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
import redis
from pydantic import SecretStr
from sqlalchemy import Engine

from tests.integration.test_binance_user_stream import REDIS_URL, market
from tests.market_script import MINUTE, T0, minute_candles
from tests.waiting import SAFETY_S, wait_until
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.combined_user_streams import CombinedUserStreams
from tradewind.adapters.exchange.binance.order_updates import OrderUpdates
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.binance.user_stream import UserStream
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.shared.redis_store import Names
from tradewind.bootstrap.venues import AccountExchanges
from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.ports import NewAccount
from tradewind.services.scheduler import run_slot
from tradewind.services.tick import TickDeps
from tradewind.testkit.binance_server.server import BinanceServer

BOTS = 8
# Binance spot's weights of the calls a bot in position makes (exchangeInfo, once, aside).
WEIGHT = {"GET /api/v3/order": 4, "GET /api/v3/myTrades": 20, "GET /api/v3/klines": 2}
IN_POSITION = range(14, 30)  # the slots between the buy (12) and the take-profit (30)


def weight_per_slot(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    names: Names,
    streams: bool,
    combined: bool = False,
) -> Counter[str]:
    """The mean weight per in-position slot, by path, of `BOTS` bots (their accounts'
    streams each on a connection of its own, or all on one with `combined`)."""
    candles = ReplayMarketData({"BTCUSDT": minute_candles(market())})
    clock = ReplayClock(T0 + MINUTE)
    server = BinanceServer(SimulatedVenue(candles, clock, seed=5), seed=5).start()
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        options = BinanceOptions(url=server.base_url, timeout=5.0, seed=1, redis_url=REDIS_URL,
                                 namespace=names.namespace)  # fmt: skip
        binance = BinanceExchanges(options)
        deps = TickDeps(
            uow=tick_uow, exchanges=AccountExchanges({ExchangeKind.BINANCE: binance}),
            market_data=binance.market_data(), lock=make_bot_lock(engine), clock=clock,
        )  # fmt: skip
        config = BotConfig.model_validate({
            "name": "rester", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot",
            "custom_ema_fast": 2, "custom_ema_slow": 3, "custom_rsi_period": 2,
            "custom_rsi_oversold": 1, "custom_rsi_overbought": 99, "position_size_fixed": "100",
            "custom_stop_loss": "1", "custom_take_profit": "1",
        })  # fmt: skip
        bot_ids, accounts = [], []
        with manage_uow() as uow:
            user = uow.users.add(f"weight-{streams}@example.com", "Weight", T0)
            for i in range(BOTS):
                server.add_account(f"key{i}", "secret", spot={"USDT": Decimal(10_000)})
                account = uow.accounts.add(
                    NewAccount(
                        user_id=user.id, name=f"b{i}", kind=ExchangeKind.BINANCE,
                        api_key=SecretStr(f"key{i}"), api_secret=SecretStr("secret"),
                        created_at=T0,
                    )
                )  # fmt: skip
                named = config.model_copy(update={"name": f"rester{i}"})
                bot = uow.bots.add(user.id, account.id, named, T0)
                uow.bots.set_active(bot.id, True)
                bot_ids.append(bot.id)
                accounts.append(account.id)
            uow.commit()
        together: CombinedUserStreams | None = None
        if streams and combined:
            updates = OrderUpdates(redis.Redis.from_url(REDIS_URL), names)
            together = CombinedUserStreams(server.stream_url, updates)
            transports = []
            for account_id in accounts:
                with manage_uow() as uow:
                    access = uow.accounts.access(account_id)
                assert access is not None
                transports.append((account_id, binance.for_account(access).transport))
            half = len(transports) // 2
            for account_id, transport in transports[:half]:  # on the URL
                together.add(account_id, transport)
            threads.append(threading.Thread(target=together.run, args=(stop,), daemon=True))
            threads[-1].start()
            wait_until(lambda: together.stats.connects == 1, "the connection")
            for account_id, transport in transports[half:]:  # subscribed on the way
                together.add(account_id, transport)
            wait_until(
                lambda: len(together.sessions()) == BOTS and all(together.sessions().values()),
                "every account's session on the one connection",
            )
        elif streams:
            updates = OrderUpdates(redis.Redis.from_url(REDIS_URL), names)
            following = []
            for account_id in accounts:
                with manage_uow() as uow:
                    access = uow.accounts.access(account_id)
                assert access is not None
                transport = binance.for_account(access).transport
                stream = UserStream(transport, account_id, server.stream_url, updates)
                following.append(stream)
                threads.append(threading.Thread(target=stream.run, args=(stop,), daemon=True))
            for thread in threads:
                thread.start()
            wait_until(lambda: all(s.session for s in following), "every account's stream")
        spent: Counter[str] = Counter()
        for minute in range(1, IN_POSITION.stop):
            clock.set(T0 + minute * MINUTE)
            before = server.stats()["requests"]
            run_slot(deps, bot_ids, T0 + minute * MINUTE)
            after = server.stats()["requests"]
            assert isinstance(before, dict)
            assert isinstance(after, dict)
            if minute in IN_POSITION:
                for path, weight in WEIGHT.items():
                    spent[path] += weight * (int(after.get(path, 0)) - int(before.get(path, 0)))
        with manage_uow() as uow:
            positions = [uow.bots.get(b) for b in bot_ids]
        assert all(p is not None and p.state.position is not None for p in positions)
        if together is not None:
            assert together.stats.connects == 1  # every account's events on one connection
            assert together.stats.orders > 0
        return Counter({path: w // len(IN_POSITION) for path, w in spent.items()})
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=SAFETY_S)
        server.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_bots_in_position_cost_no_look_up_weight_with_their_accounts_streams(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    names: Names,
    redis_client: redis.Redis,
) -> None:
    polled = weight_per_slot(engine, tick_uow, manage_uow, names, streams=False)
    print(f"\n{BOTS} bots in position, weight per slot without streams: {dict(polled)}")
    assert polled["GET /api/v3/order"] == 2 * 4 * BOTS  # both legs of each bot's OCO
    streamed = weight_per_slot(engine, tick_uow, manage_uow, names, streams=True)
    print(f"{BOTS} bots in position, weight per slot with streams: {dict(streamed)}")
    assert streamed["GET /api/v3/order"] == 0


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_every_accounts_stream_on_one_connection_saves_the_same_look_ups(
    engine: Engine,
    tick_uow: Callable[[], SqlUnitOfWork],
    manage_uow: Callable[[], SqlManageUnitOfWork],
    names: Names,
    redis_client: redis.Redis,
) -> None:
    streamed = weight_per_slot(engine, tick_uow, manage_uow, names, streams=True, combined=True)
    print(f"{BOTS} bots in position, weight per slot with one combined stream: {dict(streamed)}")
    assert streamed["GET /api/v3/order"] == 0
