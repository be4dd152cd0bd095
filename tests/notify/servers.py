"""Real servers on loopback for the notification tests: a webhook receiver, an SMTP sink.

The receiver checks each request as a Standard Webhooks receiver would (written here
from the scheme, not with tradewind's signing code): the signature over `id.timestamp.body`
with the endpoint's key, and a timestamp within five minutes of its own clock.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TOLERANCE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class Received:
    """One request the receiver got, and what it answered."""

    webhook_id: str
    timestamp: str
    body: bytes
    status: int
    refused: str | None  # why the request was refused, None when it was taken
    host: str = ""  # the Host header


def verify(secret: str, headers: Any, body: bytes, now: float) -> str | None:
    """Return why a request is refused (a Standard Webhooks receiver's checks), or None."""
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (message_id and timestamp and signatures):
        return "missing header"
    try:
        sent = int(timestamp)
    except ValueError:
        return "bad timestamp"
    if abs(now - sent) > TOLERANCE_SECONDS:
        return "timestamp too old or too new"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "no matching signature"


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that verifies signed webhooks.

    `mode`: "ok" (204 when verified, 401 when not), "fail" (500), "redirect" (302 to
    another path), "hang" (hold each request until `release()` or the server stops).
    """

    def __init__(self, secret: str, mode: str = "ok") -> None:
        self.secret = secret
        self.mode = mode
        self.received: list[Received] = []
        self.arrived = threading.Event()  # set by each request as it arrives
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.arrived.set()
                status, refused = receiver._answer(self.headers, body)
                receiver.received.append(
                    Received(
                        self.headers.get("webhook-id", ""),
                        self.headers.get("webhook-timestamp", ""),
                        body,
                        status,
                        refused,
                        self.headers.get("host", ""),
                    )
                )
                self.send_response(status)
                if status == 302:
                    self.send_header("location", "/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet tests

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/tradewind"

    def _answer(self, headers: Any, body: bytes) -> tuple[int, str | None]:
        if self.mode == "hang":
            self._release.wait(30)
        if self.mode == "fail":
            return 500, "told to fail"
        if self.mode == "redirect":
            return 302, "redirected"
        refused = verify(self.secret, headers, body, time.time())
        return (401, refused) if refused else (204, None)

    def release(self) -> None:
        self._release.set()

    def taken(self) -> list[Received]:
        return [r for r in self.received if r.status == 204]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


# --- SMTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 and localhost, and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tradewind test SMTP")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class MailSink:
    """What the SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextmanager
def smtp_server(
    security: str, cert: Path, key: Path, logins: dict[str, str] | None = None
) -> Iterator[tuple[int, MailSink]]:
    """Run aiosmtpd on 127.0.0.1 with STARTTLS required, or implicit TLS; yield its port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    sink = MailSink()
    users = logins or {}

    def authenticate(_server: Any, _session: Any, _envelope: Any, _mechanism: str,
                     data: Any) -> AuthResult:  # fmt: skip
        login, password = data.login.decode(), data.password.decode()
        if users.get(login) == password:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)  # the server answers 535

    options: dict[str, Any] = {}
    if users:
        options |= {"authenticator": authenticate, "auth_required": True}
    if security == "starttls":
        options |= {"tls_context": context, "require_starttls": True}
    else:
        # aiosmtpd cannot tell that an implicit-TLS connection is encrypted.
        options |= {"ssl_context": context, "auth_require_tls": False}
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()
