"""Account secrets encrypted at rest under a master key (Fernet: AES-128-CBC + HMAC-SHA256).

The master key comes from `TRADEWIND_SECRET_KEY`, or, for the embedded default, from a key
file in the data dir that only its owner may read (mode 0600). Either may hold several
keys (comma-separated in the variable, one a line in the file): the first encrypts, every
one decrypts, which is how a rotation stays readable if it is interrupted.

No message here ever contains a key or a secret.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tradewind.adapters.db.tables import AccountRow, NotificationChannelRow, TwoFactorRow
from tradewind.domain.errors import ConfigurationError
from tradewind.settings import Settings

KEY_FILE_NAME = "secret.key"
KEY_ENV = "TRADEWIND_SECRET_KEY"
# Decrypted tokens a box remembers (each tick needs its account's key and secret).
PLAIN_CACHE_SIZE = 4096
_CHANNEL_SECRETS = select(NotificationChannelRow.secret_enc).where(
    NotificationChannelRow.secret_enc.isnot(None)
)


class SecretBox:
    """Encrypts and decrypts account secrets; loads the master key on first use.

    A box keeps what it decrypted, by token, for as long as it lives: its keys never
    change, so a token always decrypts to the same secret, and the ticks of many bots on
    one account stop paying for the decryption. A new token (a rotation re-encrypts every
    secret, an account's secrets replaced) is simply not found and decrypted once.
    """

    def __init__(self, load_keys: Callable[[], Sequence[bytes]], source: str) -> None:
        self._load_keys = load_keys
        self._fernet: MultiFernet | None = None
        self._plain: dict[str, str] = {}
        self._plain_guard = threading.Lock()
        self.source = source  # where the key comes from, for messages

    @classmethod
    def from_keys(cls, keys: Sequence[bytes], source: str = "the given key") -> SecretBox:
        """Return a box over keys already in hand (the first one encrypts)."""
        return cls(lambda: keys, source)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """Return the box of the configured master key: the variable, else the key file."""
        if settings.secret_key is not None:
            value = settings.secret_key.get_secret_value()
            return cls(lambda: _parse_keys(value.split(","), KEY_ENV), KEY_ENV)
        path = key_file_path(settings.data_dir)
        return cls(lambda: read_key_file(path), f"key file {path}")

    def __repr__(self) -> str:
        return f"SecretBox(source={self.source!r})"

    def _multi(self) -> MultiFernet:
        if self._fernet is None:
            keys = self._load_keys()
            if not keys:
                raise ConfigurationError(f"{self.source} holds no key")
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        return self._fernet

    def encrypt(self, plain: str) -> str:
        """Return `plain` encrypted under the primary key, as text."""
        return self._multi().encrypt(plain.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the secret in `token`; a clear error when the master key is not its key."""
        plain = self._plain.get(token)
        if plain is not None:
            return plain
        try:
            plain = self._multi().decrypt(token.encode("ascii")).decode()
        except InvalidToken:
            raise ConfigurationError(
                f"the master key ({self.source}) cannot decrypt the stored account secrets: "
                f"it is not the key they were encrypted with (check {KEY_ENV} or the key file)"
            ) from None
        with self._plain_guard:
            if len(self._plain) >= PLAIN_CACHE_SIZE:
                del self._plain[next(iter(self._plain))]  # the oldest goes
            self._plain[token] = plain
        return plain


def generate_key() -> bytes:
    """Return a fresh random master key."""
    return Fernet.generate_key()


def _parse_keys(texts: Sequence[str], source: str) -> list[bytes]:
    keys = [text.strip().encode("ascii", "replace") for text in texts if text.strip()]
    for key in keys:
        try:
            Fernet(key)
        except ValueError:
            raise ConfigurationError(
                f"{source}: not a master key (expected 32 url-safe base64-encoded bytes, as "
                "`tradewind keys generate` prints)"
            ) from None
    return keys


# --- The key file ------------------------------------------------------------------------


def key_file_path(data_dir: Path) -> Path:
    """Return where the embedded default keeps its master key."""
    return data_dir / KEY_FILE_NAME


def read_key_file(path: Path) -> list[bytes]:
    """Return the keys of a key file; refuse a file that others may read or write."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigurationError(
            f"no master key: set {KEY_ENV}, or run `tradewind init` to create {path}"
        ) from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"key file {path} is open to other users (mode {stat.S_IMODE(info.st_mode):o}); "
            f"run `chmod 600 {path}`"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise ConfigurationError(f"key file {path} belongs to another user")
    return _parse_keys(path.read_text(encoding="ascii").splitlines(), f"key file {path}")


def create_key_file(path: Path) -> bool:
    """Create a key file with a new key, readable by its owner only; False if it exists."""
    if path.exists():
        read_key_file(path)  # refuses a file with loose permissions
        return False
    write_key_file(path, [generate_key()], exclusive=True)
    return True


def write_key_file(path: Path, keys: Sequence[bytes], *, exclusive: bool = False) -> None:
    """Write keys (first = primary) atomically, with mode 0600 from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path if exclusive else path.with_name(f".{path.name}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    if not exclusive:
        target.unlink(missing_ok=True)
    fd = os.open(target, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask said
        os.write(fd, b"".join(key + b"\n" for key in keys))
        os.fsync(fd)
    finally:
        os.close(fd)
    if not exclusive:
        os.replace(target, path)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    # The new name must be on disk before the database commits to the key it holds.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- Rotation ----------------------------------------------------------------------------


def check_master_key(sessions: sessionmaker[Session], box: SecretBox) -> int:
    """Decrypt every stored secret; return how many accounts, or raise if the key does not fit."""
    with sessions() as session:
        rows = session.execute(select(AccountRow.api_key_enc, AccountRow.api_secret_enc)).all()
        channel_tokens = session.execute(_CHANNEL_SECRETS).scalars().all()
        totp_tokens = session.execute(select(TwoFactorRow.secret_enc)).scalars().all()
    for totp_token in totp_tokens:
        box.decrypt(totp_token)
    for key_token, secret_token in rows:
        box.decrypt(key_token)
        box.decrypt(secret_token)
    for token in channel_tokens:
        if token is not None:
            box.decrypt(token)
    return len(rows)


def rotate_master_key(sessions: sessionmaker[Session], current: SecretBox, new_key: bytes) -> int:
    """Re-encrypt every account, webhook and two-factor secret under `new_key` in one
    transaction; return the number of accounts.

    Nothing is written unless every secret decrypts under `current`.
    """
    fresh = SecretBox.from_keys(_parse_keys([new_key.decode("ascii", "replace")], "new key"))
    with sessions() as session, session.begin():
        query = select(AccountRow.id, AccountRow.api_key_enc, AccountRow.api_secret_enc)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        rows = session.execute(query).all()
        plain = [(id_, current.decrypt(k), current.decrypt(s)) for id_, k, s in rows]
        channels = select(NotificationChannelRow.id, NotificationChannelRow.secret_enc).where(
            NotificationChannelRow.secret_enc.isnot(None)
        )
        if session.get_bind().dialect.name == "postgresql":
            channels = channels.with_for_update()
        webhook_secrets = [
            (id_, current.decrypt(token))
            for id_, token in session.execute(channels)
            if token is not None
        ]
        seconds = select(TwoFactorRow.user_id, TwoFactorRow.secret_enc)
        if session.get_bind().dialect.name == "postgresql":
            seconds = seconds.with_for_update()
        totp_secrets = [(id_, current.decrypt(token)) for id_, token in session.execute(seconds)]
        for user_id, secret in totp_secrets:  # two-factor secrets, under the same key
            session.execute(
                update(TwoFactorRow)
                .where(TwoFactorRow.user_id == user_id)
                .values(secret_enc=fresh.encrypt(secret))
            )
        for account_id, api_key, api_secret in plain:
            session.execute(
                update(AccountRow)
                .where(AccountRow.id == account_id)
                .values(
                    api_key_enc=fresh.encrypt(api_key), api_secret_enc=fresh.encrypt(api_secret)
                )
            )
        for channel_id, secret in webhook_secrets:  # webhook secrets, under the same key
            session.execute(
                update(NotificationChannelRow)
                .where(NotificationChannelRow.id == channel_id)
                .values(secret_enc=fresh.encrypt(secret))
            )
    return len(plain)


def rotate_key_file(sessions: sessionmaker[Session], path: Path) -> int:
    """Rotate the key of a key file: new key in the file, every secret re-encrypted.

    The file holds the new and the old key while the database changes, so a crash at any
    point leaves every secret readable; the old key is dropped once the change committed.
    A failed rotation leaves the old key first (encrypting) and the new one readable.
    """
    old_keys = read_key_file(path)
    check_master_key(sessions, SecretBox.from_keys(old_keys, f"key file {path}"))
    new_key = generate_key()
    write_key_file(path, [new_key, *old_keys])
    # Another process may encrypt under the new key while this runs: read either key.
    either = SecretBox.from_keys([*old_keys, new_key], f"key file {path}")
    try:
        count = rotate_master_key(sessions, either, new_key)
    except BaseException:
        write_key_file(path, [*old_keys, new_key])  # the old key encrypts again
        raise
    write_key_file(path, [new_key])
    return count
