"""Management use cases on a real database: refusals name the field and write nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.db_builders import spot_config
from tradewind.adapters.clocks import ReplayClock
from tradewind.adapters.db.secrets import SecretBox, generate_key
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.exchange.builtin_rules import rules_for
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotState, BotStatus, OpenPosition
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord
from tradewind.domain.types import PositionSide, PositionType, Side
from tradewind.services import manage, overview
from tradewind.services.manage import BotRef

Uow = Callable[[], SqlManageUnitOfWork]
EMAIL = "ann@example.com"
CLOCK = ReplayClock(1_700_000_000)


@pytest.fixture
def owner(manage_uow: Uow) -> str:
    """Return the email of a user with one paper account."""
    manage.add_user(manage_uow, CLOCK, "Ann@Example.com ", "Ann")
    manage.add_account(manage_uow, CLOCK, user_email=EMAIL, name="paper", kind="paper")
    return EMAIL


def _create(uow: Uow, **fields: object) -> manage.CreatedBot:
    config = {"name": "b1", "symbol": "BTCUSDT", "timeframe": "1m", "position_type": "spot"}
    return manage.create_bot(uow, CLOCK, rules_for, user_email=EMAIL, config=config | fields)


def _bots(uow: Uow) -> list[str]:
    with uow() as session:
        return [bot.config.name for bot in session.bots.find()]


# --- Users and accounts ------------------------------------------------------------------


def test_a_user_is_stored_with_a_lower_case_email_once(manage_uow: Uow) -> None:
    user = manage.add_user(manage_uow, CLOCK, " Bob@Example.COM", "Bob")
    assert user.email == "bob@example.com"
    with pytest.raises(ConfigurationError, match=r"^email: a user with email bob@example\.com"):
        manage.add_user(manage_uow, CLOCK, "bob@example.com")


@pytest.mark.parametrize("email", ["bob", "bob@", "@example.com", "bob @x.com", "a@b"])
def test_a_malformed_email_is_refused(manage_uow: Uow, email: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^email: must look like"):
        manage.add_user(manage_uow, CLOCK, email)
    assert manage.list_users(manage_uow) == []


def test_a_paper_account_starts_with_10000_usdt_unless_told(owner: str, manage_uow: Uow) -> None:
    manage.add_account(
        manage_uow, CLOCK, user_email=owner, name="big", kind="paper", balance=Decimal("250000.5")
    )
    accounts = {a.name: a for a in manage.list_accounts(manage_uow, owner)}
    assert accounts["paper"].paper_balances == {PositionType.SPOT: {"USDT": Decimal(10_000)}}
    assert accounts["big"].paper_balances == {PositionType.SPOT: {"USDT": Decimal("250000.5")}}
    assert not accounts["paper"].has_api_key


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "kraken"}, "kind"),
        ({"kind": "binance"}, "api_key"),
        ({"kind": "binance", "api_key": SecretStr("k")}, "api_secret"),
        ({"kind": "paper", "testnet": True}, "testnet"),
        ({"kind": "paper", "balance": Decimal(0)}, "balance"),
        ({"kind": "paper", "name": " "}, "name"),
        ({"kind": "paper", "name": "paper"}, "name"),
        ({"kind": "paper", "user_email": "nobody@example.com"}, "user"),
    ],
)
def test_a_bad_account_is_refused_naming_the_field(
    owner: str, manage_uow: Uow, changes: dict[str, object], field: str
) -> None:
    arguments: dict[str, object] = {"user_email": owner, "name": "second"} | changes
    with pytest.raises(ConfigurationError, match=f"^{field}: "):
        manage.add_account(manage_uow, CLOCK, **arguments)  # type: ignore[arg-type]
    assert [a.name for a in manage.list_accounts(manage_uow, owner)] == ["paper"]


def test_a_binance_account_keeps_its_secrets_encrypted(owner: str, manage_uow: Uow) -> None:
    account = manage.add_account(
        manage_uow,
        CLOCK,
        user_email=owner,
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


@pytest.mark.usefixtures("owner")
def test_a_bot_is_created_inactive_and_idle_with_its_warnings(manage_uow: Uow) -> None:
    created = _create(
        manage_uow, name="fut", position_type="futures", symbol="XRPUSDT", leverage=100
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
    ],
)
@pytest.mark.usefixtures("owner")
def test_a_bad_bot_is_refused_naming_the_field_and_nothing_is_written(
    manage_uow: Uow, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ConfigurationError, match=rf"(^|\n){field}: "):
        _create(manage_uow, **fields)
    assert _bots(manage_uow) == []


@pytest.mark.usefixtures("owner")
def test_a_second_bot_of_the_same_name_is_refused(manage_uow: Uow) -> None:
    _create(manage_uow)
    with pytest.raises(ConfigurationError, match=r"^name: ann@example.com already has a bot"):
        _create(manage_uow)


def test_a_bot_needs_an_exchange_account(manage_uow: Uow) -> None:
    manage.add_user(manage_uow, CLOCK, EMAIL)
    with pytest.raises(ConfigurationError, match=r"^account: ann@example.com has no exchange"):
        _create(manage_uow)
    assert _bots(manage_uow) == []


def test_with_several_accounts_the_bot_must_name_one(owner: str, manage_uow: Uow) -> None:
    manage.add_account(manage_uow, CLOCK, user_email=owner, name="other", kind="paper")
    with pytest.raises(ConfigurationError, match=r"^account: .* several .*\(paper, other\)"):
        _create(manage_uow)
    with pytest.raises(ConfigurationError, match=r"^account: .* no exchange account named 'x'"):
        manage.create_bot(
            manage_uow, CLOCK, rules_for, user_email=owner, config=spot_config(), account_name="x"
        )
    created = manage.create_bot(
        manage_uow, CLOCK, rules_for, user_email=owner, config=spot_config(), account_name="other"
    )
    accounts = {a.id: a.name for a in manage.list_accounts(manage_uow, owner)}
    assert accounts[created.bot.account_id] == "other"


# --- Starting, stopping, deleting --------------------------------------------------------


@pytest.mark.usefixtures("owner")
def test_starting_a_bot_makes_it_active_and_waiting(manage_uow: Uow) -> None:
    _create(manage_uow)
    started = manage.start_bot(manage_uow, BotRef("b1"))
    assert started.active
    with manage_uow() as uow:
        assert uow.bots.active_ids() == [started.id]
        stored = uow.bots.get(started.id)
    assert stored is not None
    assert stored.state.status is BotStatus.WAITING


@pytest.mark.usefixtures("owner")
def test_starting_with_a_wrong_master_key_is_refused_and_changes_nothing(
    manage_uow: Uow, sessions: sessionmaker[Session]
) -> None:
    bot = _create(manage_uow).bot
    wrong = SecretBox.from_keys([generate_key()], "TRADEWIND_SECRET_KEY")
    with pytest.raises(ConfigurationError, match=r"TRADEWIND_SECRET_KEY.*cannot decrypt"):
        manage.start_bot(lambda: SqlManageUnitOfWork(sessions, wrong), BotRef("b1"))
    with manage_uow() as uow:
        stored = uow.bots.get(bot.id)
    assert stored is not None
    assert not stored.active
    assert stored.state.status is BotStatus.IDLE


def test_starting_an_unknown_bot_names_it(manage_uow: Uow) -> None:
    with pytest.raises(ConfigurationError, match=r"^bot: there is no bot named 'ghost'"):
        manage.start_bot(manage_uow, BotRef("ghost"))


@pytest.mark.usefixtures("owner")
def test_a_bot_in_position_restarts_in_position_and_stops_keeping_it(manage_uow: Uow) -> None:
    bot = _create(manage_uow).bot
    _hold_position(manage_uow, bot.id)
    assert manage.start_bot(manage_uow, BotRef("b1")).state.status is BotStatus.IN_POSITION
    stopped = manage.stop_bot(manage_uow, BotRef("b1", EMAIL))
    assert not stopped.active
    [view] = overview.bot_views(manage_uow, CLOCK)
    assert view.bot.state.status is BotStatus.STOPPED
    assert view.bot.state.position is not None
    assert view.account == "paper"
    assert view.owner == EMAIL


@pytest.mark.usefixtures("owner")
def test_a_bot_in_position_is_deleted_only_by_force(manage_uow: Uow) -> None:
    bot = _create(manage_uow).bot
    _hold_position(manage_uow, bot.id)
    with pytest.raises(ConfigurationError, match=r"^bot: 'b1' holds a long position .*--force"):
        manage.delete_bot(manage_uow, CLOCK, BotRef("b1"))
    assert _bots(manage_uow) == ["b1"]
    manage.delete_bot(manage_uow, CLOCK, BotRef("b1"), force=True)
    assert _bots(manage_uow) == []


@pytest.mark.usefixtures("owner")
def test_a_bot_with_an_unsettled_order_is_deleted_only_by_force(manage_uow: Uow) -> None:
    bot = _create(manage_uow).bot
    with manage_uow() as uow:
        uow.orders.add(_order(bot.id, bot.user_id, OrderStatus.UNKNOWN))
        uow.commit()
    with pytest.raises(ConfigurationError, match=r"^bot: 'b1' has 1 order.* not yet settled"):
        manage.delete_bot(manage_uow, CLOCK, BotRef("b1"))
    manage.delete_bot(manage_uow, CLOCK, BotRef("b1"), force=True)
    history = overview.orders(manage_uow, user_email=EMAIL)
    assert [history.bot_name(o.bot_id) for o in history.records] == [f"#{bot.id} (deleted)"]
    _create(manage_uow)  # the name is free again
    assert _bots(manage_uow) == ["b1"]


def test_a_name_two_users_share_needs_the_user(owner: str, manage_uow: Uow) -> None:
    _create(manage_uow)
    manage.add_user(manage_uow, CLOCK, "bob@example.com")
    manage.add_account(manage_uow, CLOCK, user_email="bob@example.com", name="p", kind="paper")
    config = spot_config("b1")
    manage.create_bot(manage_uow, CLOCK, rules_for, user_email="bob@example.com", config=config)
    with pytest.raises(ConfigurationError, match=r"^bot: 2 users have a bot named 'b1'"):
        manage.stop_bot(manage_uow, BotRef("b1"))
    stopped = manage.stop_bot(manage_uow, BotRef("b1", "bob@example.com"))
    assert [
        v.owner for v in overview.bot_views(manage_uow, CLOCK, ref=BotRef(str(stopped.id)))
    ] == ["bob@example.com"]


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
