"""The ownership rule of every management and notification service, on fakes.

Two users, Ann and Bob, each with an account, a bot named `b1`, a channel, an order, a
trade and a dead delivery. Every service verb that takes an id is called by Bob on Ann's
things: each is `NotFound`, worded as for an id that does not exist, and nothing changes.
The same calls by Ann, or by the operator, go through.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType

import pytest
from pydantic import SecretStr

from tests.unit.manage_fakes import FakeStore
from tradewind.bot_config import BotConfig
from tradewind.domain.bots import BotStatus, OpenPosition
from tradewind.domain.errors import ConfigurationError, Conflict, Forbidden, NotFound
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.notifications import DeliveryStatus, EventType
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionSide, PositionType, Side
from tradewind.ports import DeliveryView
from tradewind.services import manage, overview
from tradewind.services.access import Actor
from tradewind.services.notify import configure

NOW = 1_700_000_000
OPERATOR = Actor.operator()
SECRET = SecretStr("whsec_" + "A" * 44)  # 33 bytes of key, base64


class Clock:
    def now(self) -> int:
        return NOW


def _rules(symbol: str, position_type: PositionType) -> MarketRules:
    return MarketRules(symbol, position_type, symbol.removesuffix("USDT"), "USDT")


def _config(name: str = "b1") -> BotConfig:
    return BotConfig.model_validate(
        {"name": name, "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
    )


@dataclass(frozen=True)
class Things:
    """One user's things, by id."""

    user: int
    account: int
    bot: int
    channel: int
    delivery: int

    @property
    def actor(self) -> Actor:
        return Actor.user(self.user)


@dataclass(frozen=True)
class World:
    store: FakeStore
    ann: Things
    bob: Things


def _user_with_things(store: FakeStore, email: str) -> Things:
    clock = Clock()
    user = manage.add_user(store.manage_uow, clock, OPERATOR, email)
    me = Actor.user(user.id)
    account = manage.add_account(
        store.manage_uow, clock, me, owner_id=user.id, name="paper", kind="paper"
    )
    bot = manage.create_bot(
        store.manage_uow, clock, _rules, me, account_id=account.id, config=_config()
    ).bot
    channel = configure.add_email(
        store.notify_uow, clock, me, owner_id=user.id, name="mail", to=email
    )
    rows = store.rows
    rows.orders.append(_order(bot.id, user.id))
    rows.trades.append(_trade(bot.id, user.id))
    rows.deliveries.append((user.id, _dead_delivery(channel.name, channel.id)))
    # A position held, for the verbs about it (close it now).
    rows.bots[bot.id].state.position = OpenPosition(
        PositionSide.LONG, Decimal("0.001"), Decimal(27_000), NOW, Decimal(0), "e1"
    )
    return Things(user.id, account.id, bot.id, channel.id, channel.id)


@pytest.fixture
def world() -> World:
    store = FakeStore()
    ann = _user_with_things(store, "ann@example.com")
    bob = _user_with_things(store, "bob@example.com")
    return World(store, ann, bob)


Call = Callable[[World, Actor], object]
ALL = (EventType.BOT_ERROR,)

# Each verb that takes an id, aimed at Ann's things (or Bob's channel with Ann's bot).
CALLS: dict[str, Call] = {
    "manage.add_account": lambda w, a: manage.add_account(
        w.store.manage_uow, Clock(), a, owner_id=w.ann.user, name="second", kind="paper"
    ),
    "manage.list_accounts": lambda w, a: manage.list_accounts(w.store.manage_uow, a, w.ann.user),
    "manage.create_bot": lambda w, a: manage.create_bot(
        w.store.manage_uow, Clock(), _rules, a, account_id=w.ann.account, config=_config("b2")
    ),
    "manage.get_account": lambda w, a: manage.get_account(w.store.manage_uow, a, w.ann.account),
    "manage.update_bot": lambda w, a: manage.update_bot(
        w.store.manage_uow, _rules, a, w.ann.bot, changes={"custom_stop_loss": "2"}
    ),
    "overview.pnl_by_day(bot_id)": lambda w, a: overview.pnl_by_day(
        w.store.manage_uow, a, bot_id=w.ann.bot
    ),
    "overview.pnl_by_day(user_id)": lambda w, a: overview.pnl_by_day(
        w.store.manage_uow, a, user_id=w.ann.user
    ),
    "manage.start_bot": lambda w, a: manage.start_bot(w.store.manage_uow, a, w.ann.bot),
    "manage.stop_bot": lambda w, a: manage.stop_bot(w.store.manage_uow, a, w.ann.bot),
    "manage.close_position": lambda w, a: manage.close_position(w.store.manage_uow, a, w.ann.bot),
    "manage.delete_bot": lambda w, a: manage.delete_bot(
        w.store.manage_uow, Clock(), a, w.ann.bot, force=True
    ),
    "overview.bot_views(bot_id)": lambda w, a: overview.bot_views(
        w.store.manage_uow, Clock(), a, bot_id=w.ann.bot
    ),
    "overview.bot_views(user_id)": lambda w, a: overview.bot_views(
        w.store.manage_uow, Clock(), a, user_id=w.ann.user
    ),
    "overview.orders(bot_id)": lambda w, a: overview.orders(
        w.store.manage_uow, a, bot_id=w.ann.bot
    ),
    "overview.orders(user_id)": lambda w, a: overview.orders(
        w.store.manage_uow, a, user_id=w.ann.user
    ),
    "overview.trades(bot_id)": lambda w, a: overview.trades(
        w.store.manage_uow, a, bot_id=w.ann.bot
    ),
    "overview.views_tag(bot_id)": lambda w, a: overview.views_tag(
        w.store.manage_uow, Clock(), a, bot_id=w.ann.bot
    ),
    "overview.trades(user_id)": lambda w, a: overview.trades(
        w.store.manage_uow, a, user_id=w.ann.user
    ),
    "configure.add_webhook": lambda w, a: configure.add_webhook(
        w.store.notify_uow,
        Clock(),
        a,
        owner_id=w.ann.user,
        name="hook",
        url="https://hooks.example.com/tw",
        secret=SECRET,
    ),
    "configure.add_email": lambda w, a: configure.add_email(
        w.store.notify_uow, Clock(), a, owner_id=w.ann.user, name="other", to="x@example.com"
    ),
    "configure.route": lambda w, a: configure.route(
        w.store.notify_uow, Clock(), a, channel_id=w.ann.channel, events=ALL
    ),
    "configure.route(bot_id)": lambda w, a: configure.route(
        w.store.notify_uow, Clock(), a, channel_id=w.ann.channel, events=ALL, bot_id=w.ann.bot
    ),
    "configure.unroute": lambda w, a: configure.unroute(
        w.store.notify_uow, a, channel_id=w.ann.channel, bot_id=w.ann.bot
    ),
    "configure.remove_channel": lambda w, a: configure.remove_channel(
        w.store.notify_uow, a, w.ann.channel
    ),
    "configure.settings_of": lambda w, a: configure.settings_of(w.store.notify_uow, a, w.ann.user),
    "configure.queue_test": lambda w, a: configure.queue_test(
        w.store.notify_uow, Clock(), a, owner_id=w.ann.user
    ),
    "configure.queue_test(channel_id)": lambda w, a: configure.queue_test(
        w.store.notify_uow, Clock(), a, owner_id=w.ann.user, channel_id=w.ann.channel
    ),
    "configure.deliveries": lambda w, a: configure.deliveries(w.store.notify_uow, a, w.ann.user),
    "configure.retry_dead": lambda w, a: configure.retry_dead(
        w.store.notify_uow, Clock(), a, w.ann.user
    ),
    "configure.retry_delivery": lambda w, a: configure.retry_delivery(
        w.store.notify_uow, Clock(), a, w.ann.user, w.ann.delivery
    ),
}


def test_every_verb_that_takes_an_id_is_in_the_table() -> None:
    # `manage` is a package: its verbs live in its modules.
    modules: tuple[tuple[str, ModuleType], ...] = (
        ("manage", manage.bots), ("manage", manage.people), ("overview", overview),
        ("configure", configure),
    )  # fmt: skip
    taking_ids = {
        f"{prefix}.{name}"
        for prefix, module in modules
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and any(p.endswith("_id") for p in inspect.signature(function).parameters)
    }
    covered = {name.partition("(")[0] for name in CALLS}
    assert {"manage.start_bot", "manage.get_account"} <= taking_ids  # the search finds verbs
    assert taking_ids - covered == set()


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_another_users_thing_is_not_found_and_nothing_changes(world: World, call: Call) -> None:
    before = world.store.snapshot()
    with pytest.raises(NotFound) as refused:
        call(world, world.bob.actor)
    assert world.store.snapshot() == before
    # Worded as for an id nobody has: nothing tells Bob that Ann's exists.
    nobodys = ("user: there is no user ", "account: there is no account ",
               "bot: there is no bot ", "channel: there is no channel ",
               "delivery: there is no delivery ")  # fmt: skip
    assert str(refused.value).startswith(nobodys)


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
@pytest.mark.parametrize("who", ["owner", "operator"])
def test_the_owner_and_the_operator_may(world: World, call: Call, who: str) -> None:
    call(world, world.ann.actor if who == "owner" else OPERATOR)


def test_a_missing_id_reads_exactly_as_another_users(world: World) -> None:
    uow, bob = world.store.manage_uow, world.bob.actor
    with pytest.raises(NotFound) as theirs:
        manage.stop_bot(uow, bob, world.ann.bot)
    with pytest.raises(NotFound) as nobodys:
        manage.stop_bot(uow, bob, 404)
    assert str(theirs.value) == f"bot: there is no bot {world.ann.bot}"
    assert str(nobodys.value) == "bot: there is no bot 404"


def test_a_users_own_bot_may_be_routed_to_their_channel_but_not_anothers(
    world: World,
) -> None:
    uow = world.store.notify_uow
    with pytest.raises(NotFound, match=f"^bot: there is no bot {world.ann.bot}$"):
        configure.route(uow, Clock(), world.bob.actor, channel_id=world.bob.channel,
                        events=ALL, bot_id=world.ann.bot)  # fmt: skip
    # Not even the operator joins one user's bot to another user's channel.
    with pytest.raises(NotFound):
        configure.route(uow, Clock(), OPERATOR, channel_id=world.bob.channel, events=ALL,
                        bot_id=world.ann.bot)  # fmt: skip
    with pytest.raises(NotFound):
        configure.queue_test(uow, Clock(), OPERATOR, owner_id=world.bob.user,
                             channel_id=world.ann.channel)  # fmt: skip
    routed = configure.route(uow, Clock(), world.bob.actor, channel_id=world.bob.channel,
                             events=ALL, bot_id=world.bob.bot)  # fmt: skip
    assert routed.bot_id == world.bob.bot


def test_listings_show_a_user_only_their_own_and_the_operator_everyones(world: World) -> None:
    uow, clock = world.store.manage_uow, Clock()
    mine = overview.bot_views(uow, clock, world.bob.actor)
    assert [v.bot.id for v in mine] == [world.bob.bot]
    everyone = overview.bot_views(uow, clock, OPERATOR)
    assert [v.owner for v in everyone] == ["ann@example.com", "bob@example.com"]
    for history in (overview.orders(uow, world.bob.actor), overview.trades(uow, world.bob.actor)):
        assert {r.bot_id for r in history.records} == {world.bob.bot}
        assert set(history.bot_names) == {world.bob.bot}  # never the name of Ann's bot
    assert overview.running_symbols(uow, world.bob.actor) == []


def test_a_plain_user_without_an_id_cannot_act() -> None:
    with pytest.raises(ValueError, match="needs their user id"):
        Actor(None)
    assert Actor.operator().user_id is None


def test_only_an_operator_adds_or_lists_users(world: World) -> None:
    before = world.store.snapshot()
    with pytest.raises(Forbidden, match=r"^user: only an operator may add users"):
        manage.add_user(world.store.manage_uow, Clock(), world.bob.actor, "eve@example.com")
    with pytest.raises(Forbidden, match=r"^user: only an operator may list users"):
        manage.list_users(world.store.manage_uow, world.bob.actor)
    assert world.store.snapshot() == before
    assert len(manage.list_users(world.store.manage_uow, OPERATOR)) == 2


@pytest.mark.parametrize(
    "duplicate",
    [
        lambda w: manage.add_user(w.store.manage_uow, Clock(), OPERATOR, "Ann@Example.com"),
        lambda w: manage.add_account(w.store.manage_uow, Clock(), w.ann.actor,
                                     owner_id=w.ann.user, name="paper", kind="paper"),
        lambda w: manage.create_bot(w.store.manage_uow, Clock(), _rules, w.ann.actor,
                                    account_id=w.ann.account, config=_config("b1")),
        lambda w: configure.add_email(w.store.notify_uow, Clock(), w.ann.actor,
                                      owner_id=w.ann.user, name="mail", to="a@example.com"),
    ],
    ids=["email", "account name", "bot name", "channel name"],
)  # fmt: skip
def test_a_taken_name_is_a_conflict_and_nothing_changes(
    world: World, duplicate: Callable[[World], object]
) -> None:
    before = world.store.snapshot()
    with pytest.raises(Conflict):
        duplicate(world)
    assert world.store.snapshot() == before


def test_a_bot_name_is_per_user_and_never_only_digits(world: World) -> None:
    # Ann and Bob both have a `b1` (the fixture made them): names are unique per user only.
    uow = world.store.manage_uow
    assert {b.config.name for b in world.store.rows.bots.values()} == {"b1"}
    for name in ("7", " 42 ", "007"):
        with pytest.raises(ConfigurationError, match=r"^name: must not be only digits"):
            manage.create_bot(uow, Clock(), _rules, world.ann.actor, account_id=world.ann.account,
                              config=_config(name))  # fmt: skip
    assert manage.looks_like_id("12")
    assert not manage.looks_like_id("b12")
    assert not manage.looks_like_id("٧")  # a digit, but not ASCII: a name, never an id


def test_deleting_a_bot_in_position_is_a_conflict_unless_forced(world: World) -> None:
    rows = world.store.rows
    rows.bots[world.ann.bot].state.position = None  # flat, with an order in doubt
    rows.orders.append(_order(world.ann.bot, world.ann.user, OrderStatus.UNKNOWN))
    before = world.store.snapshot()
    with pytest.raises(Conflict, match=r"^bot: 'b1' has 1 order\(s\) not yet settled"):
        manage.delete_bot(world.store.manage_uow, Clock(), world.ann.actor, world.ann.bot)
    assert world.store.snapshot() == before
    deleted = manage.delete_bot(
        world.store.manage_uow, Clock(), world.ann.actor, world.ann.bot, force=True
    )
    assert deleted.id not in world.store.rows.bots


def test_a_started_then_stopped_bot_says_so(world: World) -> None:
    uow, ann = world.store.manage_uow, world.ann.actor
    world.store.rows.bots[world.ann.bot].state.position = None
    assert manage.start_bot(uow, ann, world.ann.bot).state.status is BotStatus.WAITING
    assert overview.running_symbols(uow, ann) == ["BTCUSDT"]
    stopped = manage.stop_bot(uow, ann, world.ann.bot)
    assert (stopped.active, stopped.state.status) == (False, BotStatus.STOPPED)


def _order(bot_id: int, user_id: int, status: OrderStatus = OrderStatus.FILLED) -> OrderRecord:
    return OrderRecord(
        bot_id=bot_id, user_id=user_id, client_order_id=f"tw{bot_id}-60-e{status.value}",
        symbol="BTCUSDT", position_type=PositionType.SPOT, side=Side.BUY,
        purpose=OrderPurpose.ENTRY, status=status, requested_qty=Decimal("0.001"), slot=60,
        created_at=61,
    )  # fmt: skip


def _trade(bot_id: int, user_id: int) -> TradeRecord:
    return TradeRecord(
        bot_id=bot_id, user_id=user_id, exchange_order_id="1", client_order_id=f"tw{bot_id}",
        symbol="BTCUSDT", side=Side.BUY, order_type="MARKET", purpose=OrderPurpose.ENTRY,
        price=Decimal(27_000), quantity=Decimal("0.001"), quote_quantity=Decimal(27),
        fee=Decimal(0), fee_asset="USDT", realized_pnl=None, timestamp=61,
    )  # fmt: skip


def _dead_delivery(channel: str, delivery_id: int) -> DeliveryView:
    return DeliveryView(
        id=delivery_id, event_id="evt_1", event_type="bot_error", bot_id=None, channel=channel,
        status=DeliveryStatus.DEAD, attempts=8, next_attempt_at=0, last_error="HTTP 500",
        delivered_at=None, created_at=0,
    )  # fmt: skip
