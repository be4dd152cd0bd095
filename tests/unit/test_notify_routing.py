"""Which channels get an event, and how it reads in a mail."""

from __future__ import annotations

from tradewind.adapters.notify.messages import email_message, headline
from tradewind.domain.notifications import ROUTABLE, ChannelKind, EventType
from tradewind.ports import Channel, Notification, Route
from tradewind.services.notify.routing import channels_for

ANN, BOB = 1, 2
HOOK = Channel(10, ANN, "hook", ChannelKind.WEBHOOK, "https://example.com/h", True, 0)
MAIL = Channel(11, ANN, "mail", ChannelKind.EMAIL, "ann@example.com", False, 0)
BOBS = Channel(12, BOB, "bobs", ChannelKind.EMAIL, "bob@example.com", False, 0)
CHANNELS = [HOOK, MAIL, BOBS]


def _event(
    kind: EventType, bot_id: int | None = 7, user_id: int = ANN, **payload: object
) -> Notification:
    return Notification(1, kind.value, user_id, bot_id, payload, 1_700_000_000)


def test_a_channel_routed_for_all_bots_gets_every_bots_chosen_events_only() -> None:
    routes = [Route(HOOK.id, None, ROUTABLE), Route(MAIL.id, None, (EventType.BOT_ERROR,))]
    assert channels_for(_event(EventType.POSITION_CLOSED), routes, CHANNELS) == [HOOK.id]
    assert channels_for(_event(EventType.BOT_ERROR, bot_id=8), routes, CHANNELS) == [
        HOOK.id, MAIL.id,
    ]  # fmt: skip


def test_a_bots_own_route_replaces_the_route_for_all_bots_for_that_bot_only() -> None:
    routes = [Route(HOOK.id, None, ROUTABLE), Route(HOOK.id, 7, ())]  # bot 7: nothing
    assert channels_for(_event(EventType.ORDER_FILLED, bot_id=7), routes, CHANNELS) == []
    assert channels_for(_event(EventType.ORDER_FILLED, bot_id=8), routes, CHANNELS) == [HOOK.id]
    only_7 = [Route(MAIL.id, 7, (EventType.DAILY_SUMMARY,))]
    assert channels_for(_event(EventType.DAILY_SUMMARY, bot_id=7), only_7, CHANNELS) == [MAIL.id]
    assert channels_for(_event(EventType.DAILY_SUMMARY, bot_id=8), only_7, CHANNELS) == []


def test_an_event_never_reaches_another_users_channels() -> None:
    routes = [Route(BOBS.id, None, ROUTABLE)]
    assert channels_for(_event(EventType.BOT_ERROR), routes, CHANNELS) == []
    assert channels_for(_event(EventType.BOT_ERROR, user_id=BOB), routes, CHANNELS) == [BOBS.id]


def test_the_test_event_goes_to_the_channels_it_names_whatever_the_routes() -> None:
    named = _event(EventType.TEST, bot_id=None, channel_ids=[MAIL.id, BOBS.id])
    assert channels_for(named, [], CHANNELS) == [MAIL.id]
    assert channels_for(_event(EventType.TEST, bot_id=None), [], CHANNELS) == [HOOK.id, MAIL.id]


def test_a_mail_has_a_plain_text_and_an_html_part_with_the_values_escaped() -> None:
    event = _event(
        EventType.POSITION_CLOSED, bot="btc <swing>", symbol="BTCUSDT", side="LONG",
        quantity="0.001", entry_price="42000", exit_price="41580", realized_pnl="-0.462",
        reason="stop_loss",
    )  # fmt: skip
    assert headline(event) == "position closed (stop loss): realized PnL -0.462"
    mail = email_message(event, "tradewind@example.com", "ann@example.com")
    assert (
        mail["Subject"]
        == "[tradewind] btc <swing>: position closed (stop loss): realized PnL -0.462"
    )
    assert mail["Message-ID"] == "<evt_1.ann=example.com@example.com>"
    text = mail.get_body(("plain",))
    page = mail.get_body(("html",))
    assert text is not None
    assert page is not None
    assert "realized pnl  -0.462" in text.get_content()
    assert "btc &lt;swing&gt;" in page.get_content()
    assert "<swing>" not in page.get_content()
