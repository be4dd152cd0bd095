"""Email to a real SMTP server (aiosmtpd) on loopback: STARTTLS or TLS, login, two parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from tests.notify.desk import Desk
from tests.notify.servers import self_signed_certificate, smtp_server
from tradewind.adapters.db.secrets import SecretBox
from tradewind.adapters.notify.email import EmailSender, SmtpServer
from tradewind.domain.errors import ConfigurationError, DeliveryFailed
from tradewind.domain.notifications import ChannelKind, DeliveryStatus
from tradewind.ports import ChannelTarget, Notification
from tradewind.services.access import Actor
from tradewind.services.notify import deliver_due
from tradewind.services.notify.configure import add_email, parse_events

TO = ChannelTarget(3, "ann-mail", ChannelKind.EMAIL, "ann@example.com")
CLOSED = Notification(
    42, "stop_loss_hit", 1, 7,
    {"bot": "btc", "symbol": "BTCUSDT", "side": "LONG", "quantity": "0.002",
     "entry_price": "42000", "exit_price": "41580", "realized_pnl": "-0.9242",
     "reason": "stop_loss"},
    1_704_067_200,
)  # fmt: skip
PASSWORD = "smtp-password-7d1e"
# aiosmtpd cannot tell that an implicit-TLS connection is encrypted, and says so.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("smtp"))


def _server(port: int, security: str, cert: Path, **login: object) -> SmtpServer:
    return SmtpServer(host="127.0.0.1", port=port, security=security,  # type: ignore[arg-type]
                      sender="tradewind@example.com", ca_file=cert, timeout=30,
                      **login)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture(params=["starttls", "tls"])
def security(request: pytest.FixtureRequest) -> Iterator[str]:
    return request.param


def test_a_notification_arrives_as_a_mail_with_text_and_html_parts(
    certificate: tuple[Path, Path], security: str
) -> None:
    cert, key = certificate
    with smtp_server(security, cert, key, {"tradewind": PASSWORD}) as (port, sink):
        server = _server(port, security, cert, username="tradewind",
                         password=SecretStr(PASSWORD))  # fmt: skip
        EmailSender(server).send(CLOSED, TO)
    [mail] = sink.messages
    assert sink.recipients == [["ann@example.com"]]
    assert mail["To"] == "ann@example.com"
    assert mail["From"] == "tradewind@example.com"
    assert mail["Subject"] == "[tradewind] btc: stop-loss hit at 41580: PnL -0.9242"
    assert mail["X-Tradewind-Event-Id"] == "evt_42"
    text, page = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None
    assert page is not None
    assert "realized pnl  -0.9242" in text.get_content()
    assert "2024-01-01 00:00:00 UTC" in text.get_content()
    assert "<td>41580</td>" in page.get_content()


def test_a_wrong_password_is_a_failed_try_that_never_shows_the_password(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    with smtp_server("starttls", cert, key, {"tradewind": PASSWORD}) as (port, sink):
        server = _server(port, "starttls", cert, username="tradewind",
                         password=SecretStr("not-it"))  # fmt: skip
        with pytest.raises(DeliveryFailed, match="refused the login") as failed:
            EmailSender(server).send(CLOSED, TO)
    assert sink.messages == []
    assert "not-it" not in str(failed.value)
    assert "not-it" not in repr(server)


def test_a_server_whose_certificate_is_not_trusted_gets_no_mail(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, key = certificate
    other, _ = self_signed_certificate(tmp_path)  # trust another certificate instead
    with (
        smtp_server("starttls", cert, key) as (port, sink),
        pytest.raises(DeliveryFailed, match="TLS with the SMTP server failed"),
    ):
        EmailSender(_server(port, "starttls", other)).send(CLOSED, TO)
    assert sink.messages == []


def test_email_without_a_server_or_a_login_in_clear_is_refused() -> None:
    with pytest.raises(DeliveryFailed, match="set TRADEWIND_SMTP_HOST"):
        EmailSender(None).send(CLOSED, TO)
    with pytest.raises(ConfigurationError, match="TRADEWIND_SMTP_SECURITY: none would send"):
        SmtpServer("127.0.0.1", 25, "none", "t@example.com", username="u",
                   password=SecretStr("p"))  # fmt: skip
    with pytest.raises(ConfigurationError, match="TRADEWIND_SMTP_PASSWORD: must be ASCII") as e:
        SmtpServer("127.0.0.1", 587, "starttls", "t@example.com", username="u",
                   password=SecretStr("pässword"))  # fmt: skip
    assert "pässword" not in str(e.value)


def test_the_dispatcher_mails_a_routed_event_to_an_email_channel(
    certificate: tuple[Path, Path], sessions: sessionmaker[Session], secrets: SecretBox
) -> None:
    cert, key = certificate
    with smtp_server("starttls", cert, key) as (port, sink):
        desk = Desk(sessions, secrets, smtp=_server(port, "starttls", cert))
        user = desk.add_user()
        add_email(desk.uow, desk.clock, Actor.user(user), owner_id=user, name="mail",
                  to="Ann@Example.com", events=parse_events("bot_paused,bot_error"))  # fmt: skip
        desk.write_event(user, "bot_paused", limit="max_daily_loss")
        desk.write_event(user, "order_filled")  # not routed to this channel
        done = deliver_due(desk.deps)
        desk.close()
    assert (done.routed, done.delivered) == (2, 1)
    [mail] = sink.messages
    assert mail["Subject"] == "[tradewind] btc: paused: max daily loss reached today"
    assert mail["Message-ID"] == "<evt_1.Ann=Example.com@example.com>"
    assert [d.status for d in desk.deliveries()] == [DeliveryStatus.DELIVERED]
