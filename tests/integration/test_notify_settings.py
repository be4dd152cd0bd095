"""Owners' notification settings on a real database: refusals name the field and write
nothing, secrets are stored encrypted, routes pick events per bot."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.db_builders import paper_account, spot_config
from tests.notify.desk import LOOPBACK, OWNER, Desk
from tradewind.adapters.db.secrets import SecretBox, generate_key, rotate_master_key
from tradewind.adapters.db.tables import NotificationChannelRow, NotificationDeliveryRow
from tradewind.adapters.db.unit_of_work import SqlManageUnitOfWork
from tradewind.adapters.notify.signing import generate_secret
from tradewind.domain.errors import ConfigurationError, Conflict, NotFound
from tradewind.domain.notifications import ChannelKind, EventType
from tradewind.domain.records import OutboxEvent
from tradewind.ports import Channel, NewChannel
from tradewind.services.access import Actor
from tradewind.services.notify.configure import (
    add_email,
    add_webhook,
    parse_events,
    remove_channel,
    route,
    settings_of,
    unroute,
)
from tradewind.services.notify.dispatch import route_events

SECRET = generate_secret()


@pytest.fixture
def desk(sessions: sessionmaker[Session], secrets: SecretBox) -> Iterator[Desk]:
    made = Desk(sessions, secrets)
    made.add_user()
    yield made
    made.close()


def _webhook(desk: Desk, **fields: object) -> Callable[[], object]:
    owner = desk.owner_id()
    values: dict[str, object] = {
        "owner_id": owner, "name": "hook", "url": "https://hooks.example.com/tw",
        "secret": SecretStr(SECRET), "allowed": (),
    } | fields  # fmt: skip
    actor = Actor.user(owner)
    return lambda: add_webhook(desk.uow, desk.clock, actor, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "hooks.example.com/tw"}, "url: must start with https://"),
        ({"url": "https://10.0.0.1/tw"}, "url: 10.0.0.1 is a private address"),
        ({"url": "http://169.254.169.254/latest"}, "url: 169.254.169.254 is link-local"),
        ({"url": "http://127.0.0.1:9/tw"}, "url: 127.0.0.1 is a loopback address"),
        ({"secret": SecretStr("hunter2-hunter2-hunter2")}, "secret: must start with whsec_"),
        ({"name": " "}, "name: must be 1 to 100 characters"),
        ({"owner_id": 999}, "user: there is no user 999"),
    ],
)
def test_a_bad_webhook_is_refused_naming_the_field_and_nothing_is_written(
    desk: Desk, engine: Engine, fields: dict[str, object], message: str
) -> None:
    with pytest.raises((ConfigurationError, NotFound), match=message) as refused:
        _webhook(desk, **fields)()
    assert SECRET not in str(refused.value)
    assert "hunter2" not in str(refused.value)
    with engine.connect() as connection:
        count = select(func.count()).select_from(NotificationChannelRow)
        assert connection.execute(count).scalar() == 0


def test_unknown_events_are_refused_naming_the_field() -> None:
    with pytest.raises(ConfigurationError, match="events: unknown event type 'fills'"):
        parse_events("fills")
    assert parse_events(" None ") == ()
    assert EventType.BOT_ERROR in parse_events("all")


def test_a_bad_address_or_a_taken_name_is_refused_naming_the_field(desk: Desk) -> None:
    owner = desk.owner_id()
    actor = Actor.user(owner)
    for bad in ("ann", "ann@example", "ann@example.com, bob@example.com", "a\r\nBcc: x@y.z"):
        with pytest.raises(ConfigurationError, match="to: must be one address"):
            add_email(desk.uow, desk.clock, actor, owner_id=owner, name="mail", to=bad)
    add_email(desk.uow, desk.clock, actor, owner_id=owner, name="mail", to="ann@example.com")
    with pytest.raises(Conflict, match=r"name: owner@example\.com already has"):
        _webhook(desk, name="mail")()


def test_a_channel_name_taken_meanwhile_is_a_conflict_at_the_database_too(desk: Desk) -> None:
    _webhook(desk)()
    taken = NewChannel(desk.owner_id(), "hook", ChannelKind.EMAIL, "ann@example.com", None, 0)
    with desk.uow() as uow, pytest.raises(Conflict, match=r"^name: .* channel named 'hook'"):
        uow.channels.add(taken)
    owner = desk.owner_id()
    assert [c.name for c in settings_of(desk.uow, Actor.user(owner), owner).channels] == ["hook"]


def test_the_webhook_secret_is_stored_encrypted_and_never_listed(
    desk: Desk, engine: Engine, secrets: SecretBox
) -> None:
    _webhook(desk)()
    with engine.connect() as connection:
        stored = connection.execute(select(NotificationChannelRow.secret_enc)).scalar_one()
    assert stored is not None
    assert SECRET not in stored
    assert secrets.decrypt(stored) == SECRET
    owner = desk.owner_id()
    [channel] = settings_of(desk.uow, Actor.user(owner), owner).channels
    assert channel.has_secret
    assert SECRET not in repr(channel)


def test_routes_choose_events_per_bot_and_a_removed_channel_takes_its_deliveries(
    desk: Desk, engine: Engine
) -> None:
    with SqlManageUnitOfWork(desk.sessions, desk.secrets) as manage:
        user = manage.users.by_email(OWNER)
        assert user is not None
        account = manage.accounts.add(paper_account(user.id))
        quiet = manage.bots.add(user.id, account.id, spot_config("quiet"), 0)
        loud = manage.bots.add(user.id, account.id, spot_config("loud"), 0)
        manage.commit()
    actor = Actor.user(user.id)
    hook = _webhook(
        desk, url="http://127.0.0.1:9/tw", allowed=LOOPBACK, events=(EventType.BOT_ERROR,)
    )()
    assert isinstance(hook, Channel)
    route(desk.uow, desk.clock, actor, channel_id=hook.id, bot_id=quiet.id, events=())
    route(desk.uow, desk.clock, actor, channel_id=hook.id, bot_id=loud.id,
          events=parse_events("order_filled,bot_error"))  # fmt: skip
    settings = settings_of(desk.uow, actor, user.id)
    assert {(r.bot_id, r.events) for r in settings.routes} == {
        (None, (EventType.BOT_ERROR,)),
        (quiet.id, ()),
        (loud.id, (EventType.ORDER_FILLED, EventType.BOT_ERROR)),
    }
    with pytest.raises(NotFound, match=r"^bot: there is no bot 999"):
        route(desk.uow, desk.clock, actor, channel_id=hook.id, bot_id=999, events=())
    with desk.tick_uow() as uow:
        for bot in (quiet, loud):
            for kind in ("order_filled", "bot_error"):
                uow.outbox.add(OutboxEvent(kind, user.id, bot.id, {"bot": bot.config.name}, 0))
        uow.commit()
    route_events(desk.deps)
    routed = sorted((d.bot_id, d.event_type) for d in desk.deliveries())
    assert routed == [(loud.id, "bot_error"), (loud.id, "order_filled")]
    assert unroute(desk.uow, actor, channel_id=hook.id, bot_id=quiet.id)
    remove_channel(desk.uow, actor, hook.id)
    assert settings_of(desk.uow, actor, user.id).channels == []
    with engine.connect() as connection:
        count = select(func.count()).select_from(NotificationDeliveryRow)
        assert connection.execute(count).scalar() == 0


def test_a_key_rotation_re_encrypts_webhook_secrets_and_a_wrong_key_cannot_add_one(
    sessions: sessionmaker[Session], engine: Engine
) -> None:
    old_key, new_key = generate_key(), generate_key()
    desk = Desk(sessions, SecretBox.from_keys([old_key]))
    desk.add_user()
    _webhook(desk)()
    rotate_master_key(sessions, SecretBox.from_keys([old_key]), new_key)
    with engine.connect() as connection:
        stored = connection.execute(select(NotificationChannelRow.secret_enc)).scalar_one()
    assert SecretBox.from_keys([new_key]).decrypt(stored) == SECRET
    with pytest.raises(ConfigurationError, match="cannot decrypt"):
        SecretBox.from_keys([old_key]).decrypt(stored)
    stranger = Desk(sessions, SecretBox.from_keys([generate_key()]))
    with pytest.raises(ConfigurationError, match="cannot decrypt"):
        _webhook(stranger, name="other")()
    desk.close()
    stranger.close()
