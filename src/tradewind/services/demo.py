"""The demo: one user, one paper account, three bots, and what they did, read back.

`set_up_demo` goes through the same use cases as the CLI (add the user and the account,
create and start the bots), so the demo shows the product, not a shortcut around it.
`bot_reports` reads each bot's state and its whole history from the database; the
dashboard and the closing summary both show what it returns.

The account holds 10,000 USDT in its spot wallet only. The futures bot gets its margin
through its own `auto_transfer_funds`: before an entry that its futures wallet cannot
cover, the tick moves `transfer_amount` USDT from spot to futures.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from pydantic import SecretStr

from tradewind.bot_config import BotConfig
from tradewind.domain.accounts import Account, ExchangeKind, User
from tradewind.domain.bots import BotState
from tradewind.domain.limits import utc_day
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.types import ExitReason, PositionType
from tradewind.ports import Bot, Clock
from tradewind.services.access import Actor, scope
from tradewind.services.manage import (
    RulesLookup,
    UowFactory,
    add_account,
    add_user,
    create_bot,
    start_bot,
)

DEMO_EMAIL = "demo@tradewind.local"
DEMO_ACCOUNT = "paper"
DEMO_BINANCE_ACCOUNT = "binance-local"
DEMO_BALANCE = Decimal(10_000)
ALL_ROWS = 1_000_000  # "every row" for the repositories' `recent`
ZERO = Decimal(0)

# Tuned with the backtester on the generated market (seeds 1-12, 24 h after a day of
# warm-up): each bot makes about 8-30 round trips a day, and between them they show every
# exit there is. ETH's 5m bot uses faster averages and wider RSI bounds: it sees five
# times fewer candles than the 1m bots, and should still trade within the first hours.
# BTC's spot bot stops at 10 entries a day, so a day-long demo shows a pause and its end
# at midnight UTC (seed 7: paused for the last hour or so before midnight).
DEMO_BOTS: tuple[BotConfig, ...] = (
    BotConfig(
        name="btc-spot-1m", symbol="BTCUSDT", timeframe="1m", position_type=PositionType.SPOT,
        custom_stop_loss=Decimal("0.4"), custom_take_profit=Decimal("0.8"),
        custom_trailing_stop=Decimal("0.6"), position_size_perc=Decimal(10),
        max_daily_trades=10,
    ),
    BotConfig(
        name="eth-spot-5m", symbol="ETHUSDT", timeframe="5m", position_type=PositionType.SPOT,
        strategy={"name": "ema_rsi", "ema_fast": 5, "ema_slow": 13, "rsi_oversold": 30,
                  "rsi_overbought": 70},
        custom_stop_loss=Decimal("0.6"),
        custom_take_profit=Decimal(1), custom_trailing_stop=Decimal("0.8"),
        position_size_fixed=Decimal(500),
    ),
    BotConfig(
        name="btc-futures-10x", symbol="BTCUSDT", timeframe="1m",
        position_type=PositionType.FUTURES, leverage=10, custom_stop_loss=Decimal("0.4"),
        custom_take_profit=Decimal("0.6"), position_size_fixed=Decimal(100),
        max_daily_loss=Decimal(100), auto_transfer_funds=True, transfer_amount=Decimal(1_000),
    ),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DemoSetup:
    """What `set_up_demo` created."""

    user: User
    account: Account
    bots: list[Bot]

    @property
    def owner(self) -> Actor:
        """Return the demo user as the actor: what the demo reads, it reads as them."""
        return Actor.user(self.user.id)


@dataclass(frozen=True, slots=True)
class BotReport:
    """One bot as the demo shows it: its state and its history, from the database."""

    bot: Bot
    trades: int  # fills recorded
    entries: int
    exits: int
    wins: int  # exits with realized PnL > 0
    losses: int
    realized_pnl: Decimal
    realized_today: Decimal
    fees: dict[str, Decimal]  # asset -> total
    exits_by: Counter[ExitReason]  # in the one vocabulary: a closing signal is `signal`
    orders_by_status: Counter[OrderStatus]

    @property
    def name(self) -> str:
        return self.bot.config.name

    @property
    def state(self) -> BotState:
        return self.bot.state


def set_up_demo(
    uow_factory: UowFactory,
    clock: Clock,
    rules_for: RulesLookup,
    bots: tuple[BotConfig, ...] = DEMO_BOTS,
    binance_keys: tuple[SecretStr, SecretStr] | None = None,
) -> DemoSetup:
    """Add the demo user, its account with 10,000 USDT, and its bots, all started.

    The account is a paper one, or with `binance_keys` (API key, secret) a Binance account
    (the local Binance-compatible server, which holds its 10,000 USDT).
    """
    operator = Actor.operator()  # the demo sets up its own installation
    user = add_user(uow_factory, clock, operator, DEMO_EMAIL, "Demo")
    owner = Actor.user(user.id)
    if binance_keys is None:
        account = add_account(
            uow_factory, clock, owner, owner_id=user.id, name=DEMO_ACCOUNT, kind=ExchangeKind.PAPER,
            balance=DEMO_BALANCE,
        )  # fmt: skip
    else:
        account = add_account(
            uow_factory, clock, owner, owner_id=user.id, name=DEMO_BINANCE_ACCOUNT,
            kind=ExchangeKind.BINANCE, api_key=binance_keys[0], api_secret=binance_keys[1],
        )  # fmt: skip
    started = []
    for config in bots:
        created = create_bot(
            uow_factory, clock, rules_for, owner, account_id=account.id, config=config
        )
        started.append(start_bot(uow_factory, owner, created.bot.id))
    return DemoSetup(user, account, started)


def bot_reports(
    uow_factory: UowFactory, clock: Clock, actor: Actor, *, count_orders: bool = True
) -> list[BotReport]:
    """Return each of the actor's bots with its state and totals, read from the database.

    `count_orders=False` leaves `orders_by_status` empty: the dashboard does not show it,
    and reading every order (with the exchange's raw answer) is most of the cost.
    """
    day = utc_day(clock.now())
    with uow_factory() as uow:
        reports = []
        for bot in uow.bots.find(user_id=scope(actor, uow.users, None)):
            trades = uow.trades.recent(bot_id=bot.id, limit=ALL_ROWS)
            orders = uow.orders.recent(bot_id=bot.id, limit=ALL_ROWS) if count_orders else []
            closing = [t for t in trades if t.realized_pnl is not None]
            fees: dict[str, Decimal] = {}
            for trade in trades:
                fees[trade.fee_asset] = fees.get(trade.fee_asset, ZERO) + trade.fee
            reports.append(
                BotReport(
                    bot=bot,
                    trades=len(trades),
                    entries=sum(1 for t in trades if t.purpose is OrderPurpose.ENTRY),
                    exits=sum(1 for t in trades if t.purpose is not OrderPurpose.ENTRY),
                    wins=sum(1 for t in closing if (t.realized_pnl or ZERO) > 0),
                    losses=sum(1 for t in closing if (t.realized_pnl or ZERO) <= 0),
                    realized_pnl=sum((t.realized_pnl or ZERO for t in closing), ZERO),
                    realized_today=uow.counters.get(bot.id, day).realized_pnl,
                    fees=fees,
                    exits_by=Counter(
                        t.purpose.exit_reason for t in closing if t.purpose.exit_reason
                    ),
                    orders_by_status=Counter(o.status for o in orders),
                )
            )
        return reports


def transfer_note(configs: list[BotConfig]) -> str:
    """Say where the futures margin comes from: the bots that move it from spot."""
    movers = [
        f"{c.name} moves "
        + (f"{c.transfer_amount:,} USDT" if c.transfer_amount else "the margin it lacks")
        + " from spot when its futures wallet runs short: auto_transfer_funds"
        for c in configs
        if c.position_type is PositionType.FUTURES and c.auto_transfer_funds
    ]
    return "; ".join(movers) or "no bot moves funds to futures"
