"""Email over SMTP: implicit TLS or STARTTLS (certificates checked), optional login.

The server's settings are the operator's (TRADEWIND_SMTP_*); each email channel is only
an address. Error messages name what failed, never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from tradewind.adapters.notify.messages import email_message
from tradewind.domain.errors import ConfigurationError, DeliveryFailed
from tradewind.ports import ChannelTarget, Notification

Security = Literal["starttls", "tls", "none"]


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how mail is handed over."""

    host: str
    port: int
    security: Security
    sender: str
    username: str = ""
    password: SecretStr | None = field(default=None, repr=False)
    ca_file: Path | None = None
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.security == "none" and (self.username or self.password is not None):
            raise ConfigurationError(
                "TRADEWIND_SMTP_SECURITY: none would send the SMTP password in clear; "
                "use starttls or tls"
            )
        # smtplib sends AUTH PLAIN and LOGIN as ASCII only.
        for name, value in (("USERNAME", self.username), ("PASSWORD", self._password())):
            if not value.isascii():
                raise ConfigurationError(f"TRADEWIND_SMTP_{name}: must be ASCII for SMTP login")
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ConfigurationError(f"TRADEWIND_SMTP_CA_FILE: no file {self.ca_file}")

    def _password(self) -> str:
        return "" if self.password is None else self.password.get_secret_value()


class EmailSender:
    """Sends notifications as mail (ports.ChannelSender); None: email not configured."""

    def __init__(self, server: SmtpServer | None) -> None:
        self._server = server

    def send(self, notification: Notification, channel: ChannelTarget) -> None:
        server = self._server
        if server is None:
            raise DeliveryFailed("email is not configured: set TRADEWIND_SMTP_HOST")
        message = email_message(notification, server.sender, channel.target)
        try:
            with _connect(server) as smtp:
                if server.username:
                    smtp.login(server.username, server._password())
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError:
            raise DeliveryFailed("the SMTP server refused the login") from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryFailed(f"the SMTP server refused {channel.target}") from None
        except smtplib.SMTPResponseException as e:
            raise DeliveryFailed(f"the SMTP server answered {e.smtp_code}") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryFailed("the SMTP server does not offer STARTTLS or AUTH") from None
        except smtplib.SMTPException as e:
            raise DeliveryFailed(f"SMTP failed ({type(e).__name__})") from None
        except ssl.SSLError as e:
            raise DeliveryFailed(f"TLS with the SMTP server failed ({e.reason})") from None
        except OSError as e:
            raise DeliveryFailed(f"could not reach the SMTP server ({type(e).__name__})") from None


def _connect(server: SmtpServer) -> smtplib.SMTP:
    context = ssl.create_default_context(
        cafile=None if server.ca_file is None else str(server.ca_file)
    )
    if server.security == "tls":
        return smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout, context=context)
    smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        if server.security == "starttls":
            smtp.starttls(context=context)  # refuses a server that does not offer it
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp
