"""Management use cases on a real database: refusals name the field and write nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.db_builders import paper_account, spot_config
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.secrets import SecretBox, generate_key
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.domain.accounts import ExchangeKind, User
from tradewind.domain.bots import BotState, BotStatus, OpenPosition
from tradewind.domain.errors import ConfigurationError, Conflict, NotFound
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import PositionSide, PositionType, Side
from tradewind.services import manage, overview
from tradewind.services.access import Actor

Uow = Callable[[], SqlManageUnitOfWork]
EMAIL = "ann@example.com"
CLOCK = ReplayClock(1_700_000_000)
OPERATOR = Actor.operator()


@dataclass(frozen=True)
class Owner:
    """A user with one paper account, acting for themselves."""

    user: User
    account_id: int

    @property
    def actor(self) -> Actor:
        return Actor.user(self.user.id)


@pytest.fixture
def owner(manage_uow: Uow) -> Owner:
    """Return a user with one paper account."""
    return _owner(manage_uow, "Ann@Example.com ")


def _owner(uow: Uow, email: str) -> Owner:
    user = manage.add_user(uow, CLOCK, OPERATOR, email, "Ann")
    actor = Actor.user(user.id)
    account = manage.add_account(uow, CLOCK, actor, owner_id=user.id, name="paper", kind="paper")
    return Owner(user, account.id)


def _create(uow: Uow, owner: Owner, **fields: object) -> manage.CreatedBot:
    config = {"name": "b1", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
    return manage.create_bot(
        uow, CLOCK, rules_for, owner.actor, account_id=owner.account_id, config=config | fields
    )


def _bots(uow: Uow) -> list[str]:
    with uow() as session:
        return [bot.config.name for bot in session.bots.find()]


# --- Users and accounts ------------------------------------------------------------------


def test_a_user_is_stored_with_a_lower_case_email_once(manage_uow: Uow) -> None:
    user = manage.add_user(manage_uow, CLOCK, OPERATOR, " Bob@Example.COM", "Bob")
    assert user.email == "bob@example.com"
    with pytest.raises(Conflict, match=r"^email: a user with email bob@example\.com"):
        manage.add_user(manage_uow, CLOCK, OPERATOR, "bob@example.com")


@pytest.mark.parametrize("email", ["bob", "bob@", "@example.com", "bob @x.com", "a@b"])
def test_a_malformed_email_is_refused(manage_uow: Uow, email: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^email: must look like"):
        manage.add_user(manage_uow, CLOCK, OPERATOR, email)
    assert manage.list_users(manage_uow, OPERATOR) == []


def test_a_paper_account_starts_with_10000_usdt_unless_told(owner: Owner, manage_uow: Uow) -> None:
    manage.add_account(
        manage_uow, CLOCK, owner.actor, owner_id=owner.user.id, name="big", kind="paper",
        balance=Decimal("250000.5"),
    )  # fmt: skip
    accounts = {a.name: a for a in manage.list_accounts(manage_uow, owner.actor, owner.user.id)}
    assert accounts["paper"].paper_balances == {PositionType.SPOT: {"USDT": Decimal(10_000)}}
    assert accounts["big"].paper_balances == {PositionType.SPOT: {"USDT": Decimal("250000.5")}}
    assert not accounts["paper"].has_api_key


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"kind": "kraken"}, "kind", ConfigurationError),
        ({"kind": "binance"}, "api_key", ConfigurationError),
        ({"kind": "binance", "api_key": SecretStr("k")}, "api_secret", ConfigurationError),
        ({"kind": "paper", "testnet": True}, "testnet", ConfigurationError),
        ({"kind": "paper", "balance": Decimal(0)}, "balance", ConfigurationError),
        ({"kind": "paper", "name": " "}, "name", ConfigurationError),
        ({"kind": "paper", "name": "paper"}, "name", Conflict),
        ({"kind": "paper", "owner_id": 999}, "user", NotFound),
    ],
)
def test_a_bad_account_is_refused_naming_the_field(
    owner: Owner,
    manage_uow: Uow,
    changes: dict[str, object],
    field: str,
    error: type[Exception],
) -> None:
    arguments: dict[str, object] = {"owner_id": owner.user.id, "name": "second"} | changes
    with pytest.raises(error, match=f"^{field}: "):
        manage.add_account(manage_uow, CLOCK, OPERATOR, **arguments)  # type: ignore[arg-type]
    listed = manage.list_accounts(manage_uow, owner.actor, owner.user.id)
    assert [a.name for a in listed] == ["paper"]


def test_a_binance_account_keeps_its_secrets_encrypted(owner: Owner, manage_uow: Uow) -> None:
    account = manage.add_account(
        manage_uow,
        CLOCK,
        owner.actor,
        owner_id=owner.user.id,
        name="live",
        kind="binance",
        testnet=True,
        api_key=SecretStr(" key-1 "),
        api_secret=SecretStr("secret-2"),
    )
    assert account.kind is ExchangeKind.BINANCE
    assert account.testnet
    with manage_uow() as uow:
        access = uow.accounts.access(account.id)
    assert access is not None
    assert (access.api_key, access.api_secret) == ("key-1", "secret-2")


# --- Creating bots -----------------------------------------------------------------------


def test_a_bot_is_created_inactive_and_idle_with_its_warnings(
    owner: Owner, manage_uow: Uow
) -> None:
    created = _create(
        manage_uow, owner, name="fut", position_type="futures", symbol="XRPUSDT", leverage=100
    )
    assert not created.bot.active
    assert created.bot.state.status is BotStatus.IDLE
    assert created.warnings == ["leverage 100 capped at 50"]
    assert _bots(manage_uow) == ["fut"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"symbol": "FOOUSDT"}, "symbol"),
        ({"symbol": "btcusdt"}, "symbol"),
        ({"custom_ema_fast": 30}, "strategy.ema_fast"),
        ({"timeframe": "7m"}, "timeframe"),
        ({"custom_stop_loss": "-1"}, "custom_stop_loss"),
        ({"leverage": 3}, "leverage"),
        ({"colour": "blue"}, "colour"),
        ({"name": "42"}, "name"),
    ],
)
def test_a_bad_bot_is_refused_naming_the_field_and_nothing_is_written(
    owner: Owner, manage_uow: Uow, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ConfigurationError, match=rf"(^|\n){field}: "):
        _create(manage_uow, owner, **fields)
    assert _bots(manage_uow) == []


def test_a_strategy_needing_more_history_than_the_market_data_serves_is_refused(
    owner: Owner, manage_uow: Uow
) -> None:
    _create(manage_uow, owner, custom_ema_fast=100, custom_ema_slow=400)  # 8,000: served
    with pytest.raises(
        ConfigurationError,
        match=r"^strategy: ema_rsi .* needs 24,000 closed 1m candles .* at most 10,000 ",
    ):
        _create(manage_uow, owner, name="b2", custom_ema_fast=100, custom_ema_slow=1200)
    assert _bots(manage_uow) == ["b1"]


def test_a_second_bot_of_the_same_name_is_refused(owner: Owner, manage_uow: Uow) -> None:
    _create(manage_uow, owner)
    with pytest.raises(Conflict, match=r"^name: ann@example.com already has a bot"):
        _create(manage_uow, owner)


def test_a_name_taken_meanwhile_is_a_conflict_at_the_database_too(
    owner: Owner, manage_uow: Uow
) -> None:
    # Two requests at once may both pass the services' look-up of the name; the unique
    # keys then refuse the second, and it is the same Conflict, not a database error.
    _create(manage_uow, owner)
    with manage_uow() as uow, pytest.raises(Conflict, match=r"^email: a user with email ann@"):
        uow.users.add(EMAIL, None, 0)
    with manage_uow() as uow, pytest.raises(Conflict, match=r"^name: .* account named 'paper'"):
        uow.accounts.add(paper_account(owner.user.id))
    with (
        manage_uow() as uow,
        pytest.raises(Conflict, match=r"^name: the user has a bot named 'b1'"),
    ):
        uow.bots.add(owner.user.id, owner.account_id, spot_config("b1"), 0)
    assert _bots(manage_uow) == ["b1"]
    assert [a.name for a in manage.list_accounts(manage_uow, OPERATOR, owner.user.id)] == ["paper"]


def test_a_bot_goes_on_the_account_it_names(owner: Owner, manage_uow: Uow) -> None:
    other = manage.add_account(
        manage_uow, CLOCK, owner.actor, owner_id=owner.user.id, name="other", kind="paper"
    )
    with pytest.raises(NotFound, match=r"^account: there is no account 999"):
        manage.create_bot(
            manage_uow, CLOCK, rules_for, owner.actor, account_id=999, config=spot_config()
        )
    created = manage.create_bot(
        manage_uow, CLOCK, rules_for, owner.actor, account_id=other.id, config=spot_config()
    )
    listed = manage.list_accounts(manage_uow, owner.actor, owner.user.id)
    assert {a.id: a.name for a in listed}[created.bot.account_id] == "other"


def test_a_second_futures_bot_on_one_account_and_symbol_is_refused_with_the_reason(
    owner: Owner, manage_uow: Uow
) -> None:
    # A futures account holds one net position per symbol: a long 0.021 of one bot and a
    # short 0.016 of another would net to 0.005, and the stops would close each other's.
    futures = {"position_type": "futures", "leverage": 5}
    first = _create(manage_uow, owner, name="long", **futures).bot
    with pytest.raises(Conflict) as refused:
        _create(manage_uow, owner, name="short", **futures)
    assert str(refused.value).startswith(
        f"symbol: bot 'long' (id {first.id}) already trades BTCUSDT futures on this account"
    )
    assert "hedge mode is not supported" in str(refused.value)
    assert _bots(manage_uow) == ["long"]
    # Spot bots hold their own coins; another symbol or another account is another position.
    _create(manage_uow, owner, name="spot-a")
    _create(manage_uow, owner, name="spot-b")
    _create(manage_uow, owner, name="eth", symbol="ETHUSDT", **futures)
    other = manage.add_account(
        manage_uow, CLOCK, owner.actor, owner_id=owner.user.id, name="other", kind="paper"
    )
    manage.create_bot(
        manage_uow, CLOCK, rules_for, owner.actor, account_id=other.id,
        config={"name": "elsewhere", "symbol": "BTCUSDT", "timeframe": "1m", **futures},
    )  # fmt: skip
    manage.delete_bot(manage_uow, CLOCK, owner.actor, first.id)
    _create(manage_uow, owner, name="short", **futures)  # the position is free again


# --- Starting, stopping, deleting --------------------------------------------------------


def test_starting_a_bot_makes_it_active_and_waiting(owner: Owner, manage_uow: Uow) -> None:
    created = _create(manage_uow, owner).bot
    started = manage.start_bot(manage_uow, owner.actor, created.id)
    assert started.active
    with manage_uow() as uow:
        assert uow.bots.active_ids() == [started.id]
        stored = uow.bots.get(started.id)
    assert stored is not None
    assert stored.state.status is BotStatus.WAITING


def test_starting_with_a_wrong_master_key_is_refused_and_changes_nothing(
    owner: Owner, manage_uow: Uow, sessions: sessionmaker[Session]
) -> None:
    bot = _create(manage_uow, owner).bot
    wrong = SecretBox.from_keys([generate_key()], "TRADEWIND_SECRET_KEY")
    with pytest.raises(ConfigurationError, match=r"TRADEWIND_SECRET_KEY.*cannot decrypt"):
        manage.start_bot(lambda: SqlManageUnitOfWork(sessions, wrong), owner.actor, bot.id)
    with manage_uow() as uow:
        stored = uow.bots.get(bot.id)
    assert stored is not None
    assert not stored.active
    assert stored.state.status is BotStatus.IDLE


def test_starting_an_unknown_bot_names_it(owner: Owner, manage_uow: Uow) -> None:
    with pytest.raises(NotFound, match=r"^bot: there is no bot 404"):
        manage.start_bot(manage_uow, owner.actor, 404)


def test_a_bot_in_position_restarts_in_position_and_stops_keeping_it(
    owner: Owner, manage_uow: Uow
) -> None:
    bot = _create(manage_uow, owner).bot
    _hold_position(manage_uow, bot.id)
    assert manage.start_bot(manage_uow, owner.actor, bot.id).state.status is BotStatus.IN_POSITION
    stopped = manage.stop_bot(manage_uow, owner.actor, bot.id)
    assert not stopped.active
    [view] = overview.bot_views(manage_uow, CLOCK, OPERATOR)
    assert view.bot.state.status is BotStatus.STOPPED
    assert view.bot.state.position is not None
    assert view.account == "paper"
    assert view.owner == EMAIL


def test_a_bot_in_position_is_deleted_only_by_force(owner: Owner, manage_uow: Uow) -> None:
    bot = _create(manage_uow, owner).bot
    _hold_position(manage_uow, bot.id)
    with pytest.raises(Conflict, match=r"^bot: 'b1' holds a long position .* by force"):
        manage.delete_bot(manage_uow, CLOCK, owner.actor, bot.id)
    assert _bots(manage_uow) == ["b1"]
    manage.delete_bot(manage_uow, CLOCK, owner.actor, bot.id, force=True)
    assert _bots(manage_uow) == []


def test_a_bot_with_an_unsettled_order_is_deleted_only_by_force(
    owner: Owner, manage_uow: Uow
) -> None:
    bot = _create(manage_uow, owner).bot
    with manage_uow() as uow:
        uow.orders.add(_order(bot.id, bot.user_id, OrderStatus.UNKNOWN))
        uow.commit()
    with pytest.raises(Conflict, match=r"^bot: 'b1' has 1 order.* not yet settled"):
        manage.delete_bot(manage_uow, CLOCK, owner.actor, bot.id)
    manage.delete_bot(manage_uow, CLOCK, owner.actor, bot.id, force=True)
    history = overview.orders(manage_uow, owner.actor)
    assert [history.bot_name(o.bot_id) for o in history.records] == [f"#{bot.id} (deleted)"]
    _create(manage_uow, owner)  # the name is free again
    assert _bots(manage_uow) == ["b1"]


def test_another_users_bot_reads_as_missing_and_the_operator_sees_both(
    owner: Owner, manage_uow: Uow
) -> None:
    ann = _create(manage_uow, owner).bot
    bob = _owner(manage_uow, "bob@example.com")
    bobs = _create(manage_uow, bob).bot  # the same name, another user: allowed
    with pytest.raises(NotFound, match=rf"^bot: there is no bot {bobs.id}$"):
        manage.stop_bot(manage_uow, owner.actor, bobs.id)
    assert [v.bot.id for v in overview.bot_views(manage_uow, CLOCK, owner.actor)] == [ann.id]
    everyone = overview.bot_views(manage_uow, CLOCK, OPERATOR)
    assert [v.owner for v in everyone] == [EMAIL, "bob@example.com"]
    stopped = manage.stop_bot(manage_uow, OPERATOR, bobs.id)
    assert stopped.state.status is BotStatus.STOPPED


def _hold_position(uow_factory: Uow, bot_id: int) -> None:
    position = OpenPosition(
        PositionSide.LONG, Decimal("0.001"), Decimal(27_000), 1, Decimal(0), "e"
    )
    with uow_factory() as uow:
        uow.bots.save_state(bot_id, BotState(status=BotStatus.IN_POSITION, position=position))
        uow.commit()


def _order(bot_id: int, user_id: int, status: OrderStatus) -> OrderRecord:
    return OrderRecord(
        bot_id=bot_id,
        user_id=user_id,
        client_order_id=f"tw{bot_id}-60-e0",
        symbol="BTCUSDT",
        position_type=PositionType.SPOT,
        side=Side.BUY,
        purpose=OrderPurpose.ENTRY,
        status=status,
        requested_qty=Decimal("0.001"),
        slot=60,
        created_at=61,
    )
