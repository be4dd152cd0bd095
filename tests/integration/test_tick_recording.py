"""Fills become trades, positions and day counters as docs/strategy.md says, at unit speed.

`record_report` is the one way a fill enters the books on the live path. Each expected
number here was worked out by hand from the page ("Realized PnL": the move times the
quantity, less the fees of both fills; a partial exit carries its share of the entry fee),
never from `realized_pnl` or another of the code's own formulas. On SQLite only (the
repositories are the real ones; PostgreSQL's are checked by the tick tests), so the whole
file runs in about a second and `make mutation` can ask it of every mutant of the recording.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.market_script import MINUTE, T0, ManualClock, same_candles_for_both_markets
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork, SqlUnitOfWork
from tradewind.adapters.exchange.simulated import CandlesPriceFeed, SimulatedVenue
from tradewind.adapters.marketdata.synthetic import generate_market
from tradewind.domain.bots import BotStatus, OpenPosition
from tradewind.domain.limits import DayTally
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.orders import (
    ClientOrderId,
    OrderPurpose,
    OrderReport,
    OrderRequest,
    OrderStatus,
)
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionSide, PositionType, Side, Symbol
from tradewind.ports import Bot
from tradewind.services.tick.recording import needs_market, record_report

D = Decimal
TickUow = Callable[[], SqlUnitOfWork]
ManageUow = Callable[[], SqlManageUnitOfWork]
NOON = 1_704_110_400  # 2024-01-01 12:00 UTC
DAY = date(2024, 1, 1)
_ids = itertools.count(1)
MARKET = generate_market(30, seed=3, start_price=D(100))  # 1m candles around 100 USDT from T0


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only (overrides the integration suite's SQLite-and-PostgreSQL fixture)."""
    target = tmp_path / "tradewind.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


def fill(
    tick_uow: TickUow,
    bot: Bot,
    side: Side,
    purpose: OrderPurpose,
    qty: str,
    price: str,
    fee: str,
    *,
    exchange_id: str | None = None,
    status: OrderStatus = OrderStatus.FILLED,
    raw: dict[str, object] | None = None,
    fee_asset: str = "USDT",
    position_type: PositionType = PositionType.SPOT,
    without_market: bool = False,
) -> OrderReport:
    """Send one order's report through `record_report`, as the tick does; return it."""
    number = next(_ids)
    order = OrderRecord(
        bot_id=bot.id, user_id=bot.user_id, client_order_id=f"tw-test-{number}",
        symbol=bot.config.symbol, position_type=position_type, side=side, purpose=purpose,
        status=OrderStatus.SUBMITTING, requested_qty=D(qty), slot=NOON, created_at=NOON,
    )  # fmt: skip
    report = OrderReport(
        client_order_id=order.client_order_id, exchange_order_id=exchange_id or str(number),
        symbol=bot.config.symbol, side=side, status=status, requested_qty=D(qty),
        executed_qty=D(qty), avg_price=D(price), quote_qty=D(qty) * D(price), fee=D(fee),
        fee_asset=fee_asset, time=NOON, raw=raw or {},
    )  # fmt: skip
    with tick_uow() as uow:
        uow.orders.add(order)
        record_report(uow, bot, order, report, None if without_market else btcusdt())
        uow.commit()
    return report


def again(tick_uow: TickUow, bot: Bot, report: OrderReport) -> None:
    """Report the same fill once more, of the same order (a later lookup that finds it)."""
    with tick_uow() as uow:
        order = uow.orders.get(str(report.client_order_id))
        assert order is not None
        record_report(uow, bot, order, report, btcusdt())
        uow.commit()


def btcusdt() -> MarketRules:
    """BTCUSDT's spot rules as Binance sets them: a step of 0.00001 BTC."""
    return MarketRules(
        Symbol("BTCUSDT"), PositionType.SPOT, "BTC", "USDT", tick_size=D("0.01"),
        step=D("0.00001"), min_qty=D("0.00001"), min_notional=D(5),
    )  # fmt: skip


def trades(manage_uow: ManageUow, bot: Bot) -> list[TradeRecord]:
    with manage_uow() as uow:
        return list(reversed(uow.trades.recent(bot_id=bot.id, limit=100)))


def tally(tick_uow: TickUow, bot: Bot) -> DayTally:
    with tick_uow() as uow:
        return uow.counters.get(bot.id, DAY)


def events(engine: Engine) -> list[str]:
    """The types of the events queued for notification, oldest first."""
    with engine.connect() as db:
        return list(db.execute(text("SELECT event_type FROM outbox ORDER BY id")).scalars())


def outbox(engine: Engine) -> list[tuple[str, dict[str, object]]]:
    """The events queued for notification with their payloads, oldest first."""
    with engine.connect() as db:
        rows = db.execute(text("SELECT event_type, payload FROM outbox ORDER BY id"))
        return [(kind, payload if isinstance(payload, dict) else json.loads(payload))
                for kind, payload in rows]  # fmt: skip


BUY, SELL = Side.BUY, Side.SELL
ENTRY, SIGNAL, TP, SL = (
    OrderPurpose.ENTRY,
    OrderPurpose.CLOSE,
    OrderPurpose.TAKE_PROFIT,
    OrderPurpose.STOP_LOSS,
)


def test_a_long_round_trip_books_the_rise_less_the_fees_of_both_fills(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, engine: Engine
) -> None:
    # Bought 0.5 at 40,000 (fee 20), sold at 41,000 (fee 20.5): 0.5 x 1,000 - 40.5 = 459.5.
    entry = fill(tick_uow, bot, BUY, ENTRY, "0.5", "40000", "20")
    position = OpenPosition(
        PositionSide.LONG, D("0.5"), D(40_000), NOON, D(20), entry.client_order_id
    )
    assert bot.state.position == position
    assert bot.state.reason == "long 0.5 BTCUSDT at 40000"
    assert bot.state.status is BotStatus.IN_POSITION
    fill(tick_uow, bot, SELL, TP, "0.5", "41000", "20.5")
    assert [t.realized_pnl for t in trades(manage_uow, bot)] == [None, D("459.5")]
    assert tally(tick_uow, bot) == DayTally(DAY, entries=1, realized_pnl=D("459.5"))
    assert bot.state.position is None
    assert bot.state.status is BotStatus.WAITING
    assert bot.state.reason == "closed by take_profit: PnL +459.50 USDT"
    assert events(engine) == ["order_filled", "take_profit_hit", "position_closed"]


def test_a_spot_buy_paid_in_the_base_holds_the_quantity_less_the_fee_floored_to_the_step(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot
) -> None:
    # Bought 0.00250 BTC at 40,000, fee 0.0000025 BTC (0.1 %): the account receives
    # 0.0024975 BTC, of which 0.00249 can be sold (step 0.00001). The fee is worth
    # 0.0000025 x 40,000 = 0.1 USDT. Sold 0.00249 at 41,000, fee 0.1 % = 0.10209 USDT:
    # 0.00249 x 1,000 - 0.1 - 0.10209 = 2.28791.
    entry = fill(tick_uow, bot, BUY, ENTRY, "0.0025", "40000", "0.0000025", fee_asset="BTC")
    position = bot.state.position
    assert position is not None
    assert (position.quantity, position.entry_fee) == (D("0.00249"), D("0.1"))
    assert position.entry_client_order_id == entry.client_order_id
    assert bot.state.reason == "long 0.00249 BTCUSDT at 40000"
    fill(tick_uow, bot, SELL, TP, "0.00249", "41000", "0.10209")
    bought, sold = trades(manage_uow, bot)
    assert (bought.quantity, bought.fee, bought.fee_asset) == (D("0.0025"), D("0.1"), "USDT")
    assert (sold.quantity, sold.fee, sold.fee_asset) == (D("0.00249"), D("0.10209"), "USDT")
    assert sold.realized_pnl == D("2.28791")
    assert bot.state.position is None
    with tick_uow() as uow:
        order = uow.orders.get(str(entry.client_order_id))
    assert order is not None
    assert (order.fee, order.fee_asset) == (D("0.0000025"), "BTC")  # as the exchange said


def test_a_short_round_trip_books_the_fall_less_the_fees_of_both_fills(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, engine: Engine
) -> None:
    # Sold 2 at 2,000 (fee 1.6), bought back at 1,900 (fee 1.52): 2 x 100 - 3.12 = 196.88.
    fill(tick_uow, bot, SELL, ENTRY, "2", "2000", "1.6")
    assert bot.state.position is not None
    assert bot.state.position.side is PositionSide.SHORT
    fill(tick_uow, bot, BUY, SIGNAL, "2", "1900", "1.52")
    assert [t.realized_pnl for t in trades(manage_uow, bot)] == [None, D("196.88")]
    assert tally(tick_uow, bot).realized_pnl == D("196.88")
    # A signal exit closes the position without a "hit" event of its own.
    assert events(engine) == ["order_filled", "position_closed"]


def test_a_losing_stop_loss_books_the_fall_and_both_fees(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, engine: Engine
) -> None:
    # 3 at 100 (fee 0.3), stopped out at 98 (fee 0.294): 3 x -2 - 0.594 = -6.594.
    fill(tick_uow, bot, BUY, ENTRY, "3", "100", "0.3")
    fill(tick_uow, bot, SELL, SL, "3", "98", "0.294")
    assert trades(manage_uow, bot)[-1].realized_pnl == D("-6.594")
    assert tally(tick_uow, bot) == DayTally(DAY, entries=1, realized_pnl=D("-6.594"))
    assert events(engine)[1:] == ["stop_loss_hit", "position_closed"]


def test_a_position_closed_in_two_parts_carries_its_entry_fee_in_proportion(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot
) -> None:
    # Bought 0.5 at 40,000, fee 20. Sold 0.2 at 41,000 (fee 8.2) with 0.2/0.5 of the entry
    # fee (8): 200 - 16.2 = 183.8, leaving 0.3 with 12 of entry fee. Then 0.3 at 39,000
    # (fee 11.7): -300 - 23.7 = -323.7. The day: 183.8 - 323.7 = -139.9.
    fill(tick_uow, bot, BUY, ENTRY, "0.5", "40000", "20")
    fill(tick_uow, bot, SELL, SIGNAL, "0.2", "41000", "8.2", status=OrderStatus.PARTIALLY_FILLED)
    position = bot.state.position
    assert position is not None
    assert (position.quantity, position.entry_fee) == (D("0.3"), D(12))
    assert bot.state.status is BotStatus.IN_POSITION
    fill(tick_uow, bot, SELL, SIGNAL, "0.3", "39000", "11.7")
    assert [t.realized_pnl for t in trades(manage_uow, bot)] == [None, D("183.8"), D("-323.7")]
    assert tally(tick_uow, bot) == DayTally(DAY, entries=1, realized_pnl=D("-139.9"))
    assert bot.state.position is None


def test_an_exit_larger_than_the_position_books_only_the_position(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot
) -> None:
    # Held 1 at 100 (fee 0.1); an exit filled 1.5 at 110 (fee 0.165): the PnL is of the 1
    # held, 10 - 0.265 = 9.735, and the position is closed, not turned around.
    fill(tick_uow, bot, BUY, ENTRY, "1", "100", "0.1")
    fill(tick_uow, bot, SELL, SIGNAL, "1.5", "110", "0.165")
    assert trades(manage_uow, bot)[-1].realized_pnl == D("9.735")
    assert bot.state.position is None


def test_an_entry_reported_twice_opens_one_position_and_counts_once(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, engine: Engine
) -> None:
    report = fill(tick_uow, bot, BUY, ENTRY, "0.5", "40000", "20")
    again(tick_uow, bot, report)
    assert len(trades(manage_uow, bot)) == 1
    assert tally(tick_uow, bot).entries == 1
    assert events(engine) == ["order_filled"]


def test_a_partial_exit_reported_twice_reduces_the_position_once(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, engine: Engine
) -> None:
    fill(tick_uow, bot, BUY, ENTRY, "0.5", "40000", "20")
    report = fill(tick_uow, bot, SELL, SIGNAL, "0.2", "41000", "8.2")
    again(tick_uow, bot, report)
    position = bot.state.position
    assert position is not None
    assert (position.quantity, position.entry_fee) == (D("0.3"), D(12))
    assert [t.realized_pnl for t in trades(manage_uow, bot)] == [None, D("183.8")]
    assert tally(tick_uow, bot).realized_pnl == D("183.8")
    assert events(engine) == ["order_filled", "position_closed"]


def test_an_exit_without_a_position_is_kept_as_a_trade_without_pnl(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, engine: Engine
) -> None:
    fill(tick_uow, bot, SELL, SL, "1", "100", "0.1")
    assert [t.realized_pnl for t in trades(manage_uow, bot)] == [None]
    assert tally(tick_uow, bot) == DayTally(DAY)
    assert events(engine) == []


@pytest.mark.parametrize(
    "status", [OrderStatus.NEW, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.UNKNOWN]
)
def test_a_report_without_a_fill_status_books_nothing(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, status: OrderStatus
) -> None:
    fill(tick_uow, bot, BUY, ENTRY, "0.5", "40000", "20", status=status)
    assert trades(manage_uow, bot) == []
    assert bot.state.position is None


@pytest.mark.parametrize("status", [OrderStatus.EXPIRED, OrderStatus.PARTIALLY_FILLED])
def test_what_an_expired_or_partly_filled_order_filled_is_booked(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, status: OrderStatus
) -> None:
    fill(tick_uow, bot, BUY, ENTRY, "0.5", "40000", "20", status=status)
    assert len(trades(manage_uow, bot)) == 1
    assert bot.state.position is not None


@pytest.mark.parametrize("status", [OrderStatus.FILLED, OrderStatus.EXPIRED])
def test_an_order_that_filled_nothing_books_nothing(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, status: OrderStatus
) -> None:
    # A MARKET order that met no liquidity expires with nothing filled: no trade of 0.
    fill(tick_uow, bot, BUY, ENTRY, "0", "40000", "0", status=status)
    assert trades(manage_uow, bot) == []
    assert bot.state.position is None
    assert tally(tick_uow, bot) == DayTally(DAY, entries=0, realized_pnl=D(0))


def test_a_round_trip_writes_each_trade_order_and_event_field_from_the_fills(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot, engine: Engine
) -> None:
    entry = fill(tick_uow, bot, BUY, ENTRY, "0.5", "40000", "20")
    exit_ = fill(tick_uow, bot, SELL, TP, "0.5", "41000", "20.5")
    common = {"bot_id": bot.id, "user_id": bot.user_id, "symbol": "BTCUSDT",
              "order_type": "MARKET", "fee_asset": "USDT", "timestamp": NOON}  # fmt: skip
    assert trades(manage_uow, bot) == [
        TradeRecord(
            exchange_order_id=entry.exchange_order_id,
            client_order_id=entry.client_order_id,
            side=BUY,
            purpose=ENTRY,
            price=D(40_000),
            quantity=D("0.5"),
            quote_quantity=D(20_000),
            fee=D(20),
            realized_pnl=None,
            **common,
        ),
        TradeRecord(
            exchange_order_id=exit_.exchange_order_id,
            client_order_id=exit_.client_order_id,
            side=SELL,
            purpose=TP,
            price=D(41_000),
            quantity=D("0.5"),
            quote_quantity=D(20_500),
            fee=D("20.5"),
            realized_pnl=D("459.5"),
            **common,
        ),
    ]
    with manage_uow() as uow:
        orders = {o.client_order_id: o for o in uow.orders.recent(bot_id=bot.id, limit=10)}
    sold = orders[exit_.client_order_id]
    assert (sold.status, sold.exchange_order_id, sold.filled_qty, sold.avg_price) == (
        OrderStatus.FILLED, exit_.exchange_order_id, D("0.5"), D(41_000),
    )  # fmt: skip
    assert (sold.quote_qty, sold.fee, sold.fee_asset, sold.updated_at) == (
        D(20_500), D("20.5"), "USDT", NOON,
    )  # fmt: skip
    named = {"bot": "spot-btc", "symbol": "BTCUSDT"}
    closed = named | {
        "side": "long", "quantity": "0.5", "entry_price": "40000", "exit_price": "41000",
        "realized_pnl": "459.5", "reason": "take_profit",
    }  # fmt: skip
    assert outbox(engine) == [
        ("order_filled", named | {"purpose": "entry", "side": "BUY", "quantity": "0.5",
                                  "price": "40000", "fee": "20",
                                  "client_order_id": entry.client_order_id}),
        ("take_profit_hit", closed),
        ("position_closed", closed),
    ]  # fmt: skip


def test_an_order_without_a_fill_keeps_no_average_price(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot
) -> None:
    report = fill(tick_uow, bot, BUY, ENTRY, "0", "40000", "0", status=OrderStatus.CANCELED)
    with manage_uow() as uow:
        [order] = uow.orders.recent(bot_id=bot.id, limit=10)
    assert (order.status, order.filled_qty, order.avg_price) == (OrderStatus.CANCELED, 0, None)
    assert order.exchange_order_id == report.exchange_order_id


@pytest.mark.parametrize(
    ("purpose", "hit"),
    [(OrderPurpose.STOP_LOSS, "stop_loss_hit"), (OrderPurpose.TRAILING_STOP, "trailing_stop_hit")],
)
def test_a_protective_exit_says_which_level_was_hit(
    tick_uow: TickUow, bot: Bot, engine: Engine, purpose: OrderPurpose, hit: str
) -> None:
    fill(tick_uow, bot, BUY, ENTRY, "1", "100", "0.1")
    fill(tick_uow, bot, SELL, purpose, "1", "99", "0.099")
    assert [kind for kind, _ in outbox(engine)] == ["order_filled", hit, "position_closed"]
    assert bot.state.reason == f"closed by {purpose.value}: PnL -1.20 USDT"


def test_a_venue_started_afresh_reuses_an_order_id_and_its_fill_is_still_booked(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot
) -> None:
    # A paper venue whose state was lost starts its order ids where it started before:
    # the round trip on the fresh venue gets the ids of the first one. Both are real fills.
    feed = CandlesPriceFeed(same_candles_for_both_markets("BTCUSDT", MARKET))
    booked: list[OrderReport] = []
    for life in range(2):
        exchange = SimulatedVenue(feed, ManualClock(T0 + MINUTE), seed=7).account(1)
        # The sale sells what the buy holds: 1 BTC less its fee, taken in BTC.
        for purpose, side, qty in ((ENTRY, BUY, D(1)), (SIGNAL, SELL, D("0.999"))):
            order = OrderRecord(
                bot_id=bot.id, user_id=bot.user_id,
                client_order_id=f"tw{bot.id}-{life}-{purpose.code}0", symbol=bot.config.symbol,
                position_type=PositionType.SPOT, side=side, purpose=purpose,
                status=OrderStatus.SUBMITTING, requested_qty=qty, slot=NOON, created_at=NOON,
            )  # fmt: skip
            request = OrderRequest(
                ClientOrderId(order.client_order_id), "BTCUSDT", PositionType.SPOT, side, qty
            )
            report = exchange.place_market_order(request)
            with tick_uow() as uow:
                uow.orders.add(order)
                record_report(uow, bot, order, report, btcusdt())
                uow.commit()
            booked.append(report)
    assert booked[0].exchange_order_id == booked[2].exchange_order_id  # reused
    again(tick_uow, bot, booked[2])  # and a fill reported twice is still booked once
    assert [t.client_order_id for t in trades(manage_uow, bot)] == [
        r.client_order_id.value for r in booked
    ]
    assert tally(tick_uow, bot).entries == 2
    assert bot.state.position is None


def test_a_position_closed_by_its_signal_names_the_exit_signal(
    tick_uow: TickUow, bot: Bot, engine: Engine
) -> None:
    fill(tick_uow, bot, BUY, ENTRY, "1", "100", "0.1")
    fill(tick_uow, bot, SELL, SIGNAL, "1", "101", "0.101")
    # 1 x (101 - 100) less both fees: 1 - 0.1 - 0.101
    assert bot.state.reason == "closed by signal: PnL +0.80 USDT"  # shown to the cent
    [(kind, payload)] = outbox(engine)[1:]
    assert (kind, payload["reason"], payload["realized_pnl"]) == (
        "position_closed",
        "signal",
        "0.799",
    )


def test_the_exchange_answer_is_kept_on_the_order_it_settled(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot
) -> None:
    answer = {
        "orderId": 7,
        "status": "FILLED",
        "executedQty": "0.5",
        "cummulativeQuoteQty": "20000",
    }
    report = fill(tick_uow, bot, BUY, ENTRY, "0.5", "40000", "20", raw=answer)
    with manage_uow() as uow:
        [order] = uow.orders.recent(bot_id=bot.id, limit=10)
    assert (order.client_order_id, order.raw) == (report.client_order_id, answer)


def test_a_position_its_owner_closes_says_so(tick_uow: TickUow, bot: Bot, engine: Engine) -> None:
    fill(tick_uow, bot, BUY, ENTRY, "1", "100", "0.1")
    fill(tick_uow, bot, SELL, OrderPurpose.MANUAL, "1", "99", "0.099")
    # 1 x (99 - 100) less both fees: -1 - 0.1 - 0.099 = -1.199, shown to the cent.
    assert bot.state.reason == "closed by its owner: PnL -1.20 USDT"
    [(kind, payload)] = outbox(engine)[1:]  # no "hit" event: no level was hit
    assert (kind, payload["reason"]) == ("position_closed", "manual")


SPOT, FUTURES = PositionType.SPOT, PositionType.FUTURES


@pytest.mark.parametrize(
    ("purpose", "kind", "side", "qty", "fee", "needed"),
    [
        (ENTRY, SPOT, BUY, "1", "0.001", True),  # the fee may be in the base: floor to the step
        (ENTRY, FUTURES, BUY, "1", "0.001", False),  # futures fees are in the quote
        (ENTRY, SPOT, SELL, "1", "0.001", False),  # a sale's fee is in the quote
        (SIGNAL, SPOT, BUY, "1", "0.001", False),  # a BUY that closes opens nothing
        (ENTRY, SPOT, BUY, "0", "0.001", False),  # nothing bought
        (ENTRY, SPOT, BUY, "1", "0", False),  # no fee taken
    ],
)
def test_only_a_spot_buy_entry_that_filled_and_paid_a_fee_needs_the_markets_rules(
    purpose: OrderPurpose, kind: PositionType, side: Side, qty: str, fee: str, needed: bool
) -> None:
    order = OrderRecord(
        bot_id=1, user_id=1, client_order_id="tw-needs", symbol=Symbol("BTCUSDT"),
        position_type=kind, side=side, purpose=purpose, status=OrderStatus.SUBMITTING,
        requested_qty=D(1), slot=NOON, created_at=NOON,
    )  # fmt: skip
    report = OrderReport(
        client_order_id=ClientOrderId("tw-needs"), exchange_order_id="1", symbol=Symbol("BTCUSDT"),
        side=side, status=OrderStatus.FILLED, requested_qty=D(1), executed_qty=D(qty),
        avg_price=D(100), quote_qty=D(qty) * 100, fee=D(fee), fee_asset="BTC", time=NOON,
    )  # fmt: skip
    assert needs_market(order, report) is needed


def test_a_spot_buy_with_a_fee_recorded_without_the_markets_rules_is_refused_by_name(
    tick_uow: TickUow, manage_uow: ManageUow, bot: Bot
) -> None:
    with pytest.raises(ValueError, match=r"^recording tw-test-\d+ needs the market's rules$"):
        fill(tick_uow, bot, BUY, ENTRY, "1", "100", "0.001", fee_asset="BTC", without_market=True)
    assert trades(manage_uow, bot) == []
    assert bot.state.position is None
    # A futures entry's fee is in the quote: no rules needed.
    fill(tick_uow, bot, BUY, ENTRY, "1", "100", "0.04", position_type=FUTURES, without_market=True)
    assert [t.fee for t in trades(manage_uow, bot)] == [D("0.04")]
