"""Users and their exchange accounts: each verb is one transaction (see `manage`)."""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import SecretStr

from tradewind.domain.accounts import Account, ExchangeKind, User
from tradewind.domain.bounds import check_amount, shown
from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    Conflict,
    TemporaryExchangeError,
)
from tradewind.domain.types import PositionType
from tradewind.ports import AccountAccess, Clock, CredentialCheck, NewAccount
from tradewind.services.access import Actor, owned, owner, require_operator
from tradewind.services.manage.common import UowFactory, checked_email, checked_name

DEFAULT_PAPER_BALANCE = Decimal(10_000)
PAPER_QUOTE_ASSET = "USDT"
_KEY_TEXT = re.compile(r"[!-~]+")  # an exchange key or secret: printable ASCII, no spaces


def add_user(
    uow_factory: UowFactory, clock: Clock, actor: Actor, email: str, name: str | None = None
) -> User:
    """Register a user by email (stored lower-case); an operator's verb."""
    require_operator(actor, "user", "add users")
    address = checked_email(email)
    shown_name = None if name is None else checked_name("name", name)
    with uow_factory() as uow:
        if uow.users.by_email(address) is not None:
            raise Conflict(f"email: a user with email {address} already exists")
        user = uow.users.add(address, shown_name, clock.now())
        uow.commit()
    return user


def list_users(uow_factory: UowFactory, actor: Actor) -> list[User]:
    """Return every user, oldest first; an operator's verb."""
    require_operator(actor, "user", "list users")
    with uow_factory() as uow:
        return uow.users.all()


def add_account(
    uow_factory: UowFactory,
    clock: Clock,
    actor: Actor,
    *,
    owner_id: int,
    name: str,
    kind: str,
    testnet: bool = False,
    api_key: SecretStr | None = None,
    api_secret: SecretStr | None = None,
    balance: Decimal | None = None,
    check: CredentialCheck | None = None,
) -> Account:
    """Add an exchange account for `owner_id`: paper (simulated, with a USDT balance) or
    Binance. With `check`, a Binance key and secret are first shown to the exchange (a
    signed read of the account): a refusal is a ConfigurationError naming `api_key` with
    the exchange's reason, and nothing is stored."""
    account_name = checked_name("name", name)
    try:
        account_kind = ExchangeKind(kind)
    except ValueError:
        kinds = " or ".join(ExchangeKind)
        raise ConfigurationError(f"kind: must be {kinds} (got {shown(kind)})") from None
    balances: dict[PositionType, dict[str, Decimal]] = {}
    if account_kind is ExchangeKind.PAPER:
        if testnet:
            raise ConfigurationError("testnet: only binance accounts have a testnet")
        balances[PositionType.SPOT] = {PAPER_QUOTE_ASSET: _balance(balance)}
    else:
        if balance is not None:
            raise ConfigurationError("balance: only paper accounts have a starting balance")
        for field, secret in (("api_key", api_key), ("api_secret", api_secret)):
            if secret is None or not secret.get_secret_value().strip():
                raise ConfigurationError(f"{field}: a binance account needs one")
            if not _KEY_TEXT.fullmatch(secret.get_secret_value().strip()):
                # Sent in a header and signed as text: anything else never was Binance's.
                raise ConfigurationError(f"{field}: must be printable ASCII without spaces")
    if check is not None and account_kind is not ExchangeKind.PAPER:
        _check_credentials(check, account_kind, testnet, api_key, api_secret)
    with uow_factory() as uow:
        user = owner(actor, uow.users.get(owner_id), owner_id)
        if uow.accounts.by_name(user.id, account_name) is not None:
            raise Conflict(
                f"name: {user.email} already has an exchange account named {account_name!r}"
            )
        account = uow.accounts.add(
            NewAccount(
                user_id=user.id,
                name=account_name,
                kind=account_kind,
                api_key=_stripped(api_key),
                api_secret=_stripped(api_secret),
                created_at=clock.now(),
                testnet=testnet,
                paper_balances=balances,
            )
        )
        uow.commit()
    return account


def _check_credentials(
    check: CredentialCheck,
    kind: ExchangeKind,
    testnet: bool,
    api_key: SecretStr | None,
    api_secret: SecretStr | None,
) -> None:
    """Show the key and secret to the exchange before anything is stored (no transaction
    is open across the call); its refusal names `api_key` and says the exchange's reason."""
    access = AccountAccess(
        0, kind, _stripped(api_key).get_secret_value(), _stripped(api_secret).get_secret_value(),
        testnet,
    )  # fmt: skip
    try:
        check(access)
    except AuthenticationFailed as e:
        raise ConfigurationError(
            f"api_key: {kind.value} refused this key and secret ({e}); nothing was stored"
        ) from None
    except TemporaryExchangeError as e:
        raise TemporaryExchangeError(
            f"api_key: {kind.value} could not be asked whether it accepts this key and secret"
            f" ({e}); nothing was stored, try again later"
        ) from None


def bot_counts(uow_factory: UowFactory, actor: Actor) -> dict[int, tuple[int, int]]:
    """Return each user's (bots, running bots) by user id; an operator's verb."""
    require_operator(actor, "user", "list users")
    counts: dict[int, tuple[int, int]] = {}
    with uow_factory() as uow:
        for bot in uow.bots.find():
            total, running = counts.get(bot.user_id, (0, 0))
            counts[bot.user_id] = (total + 1, running + int(bot.active))
    return counts


def list_accounts(uow_factory: UowFactory, actor: Actor, owner_id: int) -> list[Account]:
    """Return a user's exchange accounts (never their secrets)."""
    with uow_factory() as uow:
        return uow.accounts.of_user(owner(actor, uow.users.get(owner_id), owner_id).id)


def get_account(uow_factory: UowFactory, actor: Actor, account_id: int) -> Account:
    """Return the exchange account (never its secrets); NotFound when another user's."""
    with uow_factory() as uow:
        return owned(actor, uow.accounts.get(account_id), "account", account_id)


def _balance(balance: Decimal | None) -> Decimal:
    return check_amount("balance", DEFAULT_PAPER_BALANCE if balance is None else balance)


def _stripped(secret: SecretStr | None) -> SecretStr:
    return SecretStr("" if secret is None else secret.get_secret_value().strip())
