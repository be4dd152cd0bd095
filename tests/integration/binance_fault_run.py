"""A run of bots through the real tick, the Binance adapter and the local server, faulted.

Each bot has an account (an API key) of its own on the Binance-compatible server, so its
position in the database can be compared with the server's one to one. The bots trade on
fast averages over a choppy generated 1m market, so they place orders often; a share of
every request to the server is faulted (lost answers after the work, 5xx, -1007, resets,
429, -1021, orders not visible yet). At the end the faults are switched off and a few
quiet slots let every order with an unknown outcome be settled by client id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import SecretStr
from sqlalchemy import Engine

from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.locks import make_bot_lock
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.exchange.simulated import SimulatedVenue
from tradewind.adapters.marketdata.replay import ReplayMarketData
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.bootstrap.venues import AccountExchanges, PaperExchanges
from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.orders import OrderStatus
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionSide, PositionType
from tradewind.ports import NewAccount
from tradewind.services.scheduler import run_slot, slots_between
from tradewind.services.tick import TickDeps, TickOutcome
from tradewind.testkit.binance_server.faults import Fault, FaultMode
from tradewind.testkit.binance_server.limits import Limits
from tradewind.testkit.binance_server.server import BinanceServer

START = datetime(2024, 5, 6, tzinfo=UTC)
T0 = int(START.timestamp())
WARMUP = 120  # minutes of market before the bots start
D = Decimal

# About a fifth of all requests go wrong, in every way the issue names.
FAULTS: tuple[Fault, ...] = (
    Fault(FaultMode.TIMEOUT_AFTER_ACCEPT, rate=0.035, hold_ms=0),  # done, no answer
    Fault(FaultMode.HTTP_503, rate=0.025, after=True),
    Fault(FaultMode.HTTP_500, rate=0.025),
    Fault(FaultMode.CODE_1007, rate=0.035),  # done, -1007
    Fault(FaultMode.CONNECTION_RESET, rate=0.025, after=True),
    Fault(FaultMode.CONNECTION_RESET, rate=0.025),
    Fault(FaultMode.CODE_1021, rate=0.035),
    Fault(FaultMode.CODE_1003, rate=0.005, ms=1_000),  # 429, Retry-After: 1 s
    Fault(FaultMode.CODE_1015, rate=0.01, ms=1_000),
    Fault(FaultMode.TRANSIENT_2013, rate=0.3),  # placed orders not visible to 1 lookup
)


def fast_config(name: str, position_type: PositionType, protected: bool) -> BotConfig:
    """A bot that crosses often: EMA 2/3, RSI bounds that never stop it."""
    fields: dict[str, object] = {
        "name": name, "symbol": "BTCUSDT", "timeframe": "1m",
        "position_type": position_type.value, "custom_ema_fast": 2, "custom_ema_slow": 3,
        "custom_rsi_period": 2, "custom_rsi_oversold": 1, "custom_rsi_overbought": 99,
        "position_size_fixed": "120" if position_type is PositionType.FUTURES else "60",
        "leverage": 3 if position_type is PositionType.FUTURES else 1,
    }  # fmt: skip
    if protected:
        fields |= {"custom_stop_loss": "0.3", "custom_take_profit": "0.3"}
    return BotConfig.model_validate(fields)


@dataclass
class BotUnderTest:
    bot_id: int
    api_key: str
    position_type: PositionType


@dataclass
class FaultRun:
    """The world of the run: database, server, bots, and what happened."""

    engine: Engine
    tick_uow: Callable[[], SqlUnitOfWork]
    manage_uow: Callable[[], SqlManageUnitOfWork]
    minutes: int
    bots: list[BotUnderTest] = field(default_factory=list)
    outcomes: Counter[TickOutcome] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        total = WARMUP + self.minutes + 30
        candles = generate_market(total, 60, seed=5, start_price=60_000, start_time=START)
        self.market = ReplayMarketData({"BTCUSDT": candles})
        self.clock = ReplayClock(T0 + WARMUP * 60)
        # Limits far above what the replay sends: only the injected 429s count here (the
        # adapter follows the limit the server's exchangeInfo states).
        roomy = Limits(spot_weight_per_minute=10**7, futures_weight_per_minute=10**7,
                       spot_orders_per_10s=10**6, futures_orders_per_10s=10**6,
                       futures_orders_per_minute=10**6)  # fmt: skip
        venue = SimulatedVenue(self.market, self.clock, seed=9)
        self.server = BinanceServer(venue, limits=roomy, seed=9)
        self.deps: TickDeps | None = None

    def start(self, spot: int, futures: int) -> None:
        """Start the server and add `spot` + `futures` started bots, each on its own key."""
        self.server.start()
        # Short waits, so the test spends its time on requests, not on backoff. The faults
        # answer at once (a held answer is closed unanswered): the timeout only bounds a
        # loaded machine's slow answer, which is not a fault this run means to inject.
        options = BinanceOptions(
            url=self.server.base_url, timeout=15.0, retry_max_attempts=6,
            retry_backoff_base=0.01, lookup_retries=4, lookup_delay=0.01, seed=3,
        )  # fmt: skip
        self.binance = BinanceExchanges(options)
        self.deps = TickDeps(
            uow=self.tick_uow,
            exchanges=AccountExchanges(
                {
                    ExchangeKind.PAPER: PaperExchanges(SimulatedVenue(self.market, self.clock)),
                    ExchangeKind.BINANCE: self.binance,
                }
            ),
            market_data=self.binance.market_data(),
            lock=make_bot_lock(self.engine),
            clock=self.clock,
        )
        kinds = [PositionType.SPOT] * spot + [PositionType.FUTURES] * futures
        with self.manage_uow() as uow:
            user = uow.users.add("faults@example.com", "Faults", T0)
            for n, kind in enumerate(kinds):
                key, secret = f"key-{n}", f"secret-{n}"
                balances = {"USDT": D(10_000)}
                self.server.add_account(key, secret, spot=balances, futures=balances)
                account = uow.accounts.add(
                    NewAccount(
                        user_id=user.id, name=f"binance-{n}", kind=ExchangeKind.BINANCE,
                        api_key=SecretStr(key), api_secret=SecretStr(secret), created_at=T0,
                    )
                )  # fmt: skip
                config = fast_config(f"bot-{n}", kind, protected=n % 4 == 3)
                bot = uow.bots.add(user.id, account.id, config, T0)
                uow.bots.set_active(bot.id, True)
                self.bots.append(BotUnderTest(bot.id, key, kind))
            uow.commit()

    def run(self, minutes: int, faults: Sequence[Fault]) -> None:
        assert self.deps is not None
        self.server.clear_faults()
        for fault in faults:
            self.server.add_fault(fault)
        first = self.clock.now()
        ids = [b.bot_id for b in self.bots]
        for slot in slots_between(first, first + minutes * 60):
            self.clock.set(slot)
            report = run_slot(self.deps, ids, slot)
            self.outcomes.update(report.outcomes)
        self.server.clear_faults()

    def stop(self) -> None:
        self.server.stop()

    # --- What the database and the server hold -------------------------------------------

    def orders(self) -> list[OrderRecord]:
        with self.manage_uow() as uow:
            return list(uow.orders.recent(limit=1_000_000))

    def trades(self) -> list[TradeRecord]:
        with self.manage_uow() as uow:
            return list(uow.trades.recent(limit=1_000_000))

    def server_orders(self, bot: BotUnderTest) -> list[dict[str, object]]:
        state = self.server.account_state(bot.api_key)
        assert state is not None
        orders = state["orders"]
        assert isinstance(orders, list)
        return orders

    def server_position(self, bot: BotUnderTest) -> tuple[PositionSide, Decimal] | None:
        """The bot's position as the server holds it (spot: the BTC the account holds)."""
        state = self.server.account_state(bot.api_key)
        assert state is not None
        if bot.position_type is PositionType.SPOT:
            balances = state["spot"]
            assert isinstance(balances, dict)
            btc = balances.get("BTC")
            held = D(0) if btc is None else D(str(btc["free"])) + D(str(btc["locked"]))
            held -= leftover(self.server_orders(bot))
            return None if held == 0 else (PositionSide.LONG, held)
        for position in state["positions"]:  # type: ignore[attr-defined]
            amount = D(str(position["positionAmt"]))
            if amount:
                return (PositionSide.LONG if amount > 0 else PositionSide.SHORT, abs(amount))
        return None

    def database_position(self, bot: BotUnderTest) -> tuple[PositionSide, Decimal] | None:
        with self.manage_uow() as uow:
            found = uow.bots.get(bot.bot_id)
        assert found is not None
        position = found.state.position
        return None if position is None else (position.side, position.quantity)


def leftover(orders: list[dict[str, object]]) -> Decimal:
    """The BTC the account's buys left beside their positions: each buy's quantity less its
    fee in BTC, beyond the 0.00001 step its position holds (never sold by the bot)."""
    step, total = D("0.00001"), D(0)
    for order in orders:
        if order["side"] == "BUY" and D(str(order["executedQty"])) > 0:
            received = D(str(order["executedQty"])) - D(str(order["commission"]))
            total += received - (received // step) * step
    return total


def settled(orders: list[OrderRecord]) -> bool:
    """Tell whether no order's outcome is still open to question."""
    return not any(o.status in (OrderStatus.SUBMITTING, OrderStatus.UNKNOWN) for o in orders)
