"""Managing users, exchange accounts and bots: each verb is one transaction.

Every refusal is a `ConfigurationError` whose message starts with the field at fault
(`email: …`, `symbol: …`), and nothing is written when one is raised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from pydantic import SecretStr, ValidationError

from tradewind.bot_config import BotConfig, format_validation_error
from tradewind.domain.accounts import Account, ExchangeKind, User
from tradewind.domain.bots import BotStatus
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.ports import Bot, Clock, ManageUnitOfWork, NewAccount

UowFactory = Callable[[], ManageUnitOfWork]
RulesLookup = Callable[[str, PositionType], MarketRules]

DEFAULT_PAPER_BALANCE = Decimal(10_000)
PAPER_QUOTE_ASSET = "USDT"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_NAME = 100


@dataclass(frozen=True, slots=True)
class BotRef:
    """How a user names a bot: by name (within a user, when several users share it)."""

    name: str
    user_email: str | None = None


@dataclass(frozen=True, slots=True)
class CreatedBot:
    bot: Bot
    warnings: list[str]


# --- Users and accounts ------------------------------------------------------------------


def add_user(uow_factory: UowFactory, clock: Clock, email: str, name: str | None = None) -> User:
    """Register a user by email (stored lower-case)."""
    address = _email(email)
    shown_name = None if name is None else _name("name", name)
    with uow_factory() as uow:
        if uow.users.by_email(address) is not None:
            raise ConfigurationError(f"email: a user with email {address} already exists")
        user = uow.users.add(address, shown_name, clock.now())
        uow.commit()
    return user


def add_account(
    uow_factory: UowFactory,
    clock: Clock,
    *,
    user_email: str,
    name: str,
    kind: str,
    testnet: bool = False,
    api_key: SecretStr | None = None,
    api_secret: SecretStr | None = None,
    balance: Decimal | None = None,
) -> Account:
    """Add an exchange account: paper (simulated, with a USDT balance) or Binance."""
    account_name = _name("name", name)
    try:
        account_kind = ExchangeKind(kind)
    except ValueError:
        kinds = " or ".join(ExchangeKind)
        raise ConfigurationError(f"kind: must be {kinds} (got {kind!r})") from None
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
    with uow_factory() as uow:
        user = resolve_user(uow, user_email)
        if uow.accounts.by_name(user.id, account_name) is not None:
            raise ConfigurationError(
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


def list_accounts(uow_factory: UowFactory, user_email: str) -> list[Account]:
    """Return a user's exchange accounts (never their secrets)."""
    with uow_factory() as uow:
        return uow.accounts.of_user(resolve_user(uow, user_email).id)


def list_users(uow_factory: UowFactory) -> list[User]:
    """Return every user, oldest first."""
    with uow_factory() as uow:
        return uow.users.all()


# --- Bots --------------------------------------------------------------------------------


def create_bot(
    uow_factory: UowFactory,
    clock: Clock,
    rules_for: RulesLookup,
    *,
    user_email: str,
    config: BotConfig | Mapping[str, object],
    account_name: str | None = None,
) -> CreatedBot:
    """Create an inactive bot after checking its config, symbol, account and name."""
    if not isinstance(config, BotConfig):
        try:
            config = BotConfig.model_validate(config)
        except ValidationError as e:
            raise ConfigurationError(f"invalid bot config:\n{format_validation_error(e)}") from None
    rules = rules_for(config.symbol, config.position_type)  # names `symbol` when unknown
    warnings = list(config.warnings)
    if 0 < rules.max_leverage < config.effective_leverage:
        warnings.append(
            f"leverage {config.effective_leverage} is above {config.symbol}'s maximum "
            f"{rules.max_leverage}; orders will use {rules.max_leverage}"
        )
    with uow_factory() as uow:
        user = resolve_user(uow, user_email)
        account = _account(uow, user, account_name)
        if uow.bots.by_name(user.id, config.name) is not None:
            raise ConfigurationError(f"name: {user.email} already has a bot named {config.name!r}")
        bot = uow.bots.add(user.id, account.id, config, clock.now())
        uow.commit()
    return CreatedBot(bot, warnings)


def start_bot(uow_factory: UowFactory, ref: BotRef) -> Bot:
    """Let the scheduler run the bot, after checking its account and credentials open."""
    with uow_factory() as uow:
        bot = resolve_bot(uow, ref)
        access = uow.accounts.access(bot.account_id)  # wrong master key: a clear error
        if access is None:
            raise ConfigurationError(
                f"account: bot {bot.config.name!r} has no exchange account; add one with "
                "`tradewind account add` and create the bot on it"
            )
        if access.kind == ExchangeKind.BINANCE and not (access.api_key and access.api_secret):
            raise ConfigurationError(
                f"account: bot {bot.config.name!r}'s binance account has no API key and secret"
            )
        in_position = bot.state.position is not None
        state = bot.state
        state.status = BotStatus.IN_POSITION if in_position else BotStatus.WAITING
        state.reason = None
        state.pause_reason = None
        uow.bots.set_active(bot.id, True)
        uow.bots.save_state(bot.id, state)
        uow.commit()
    bot.active = True
    return bot


def stop_bot(uow_factory: UowFactory, ref: BotRef) -> Bot:
    """Stop running the bot; an open position stays open (and protected) on the exchange."""
    with uow_factory() as uow:
        bot = resolve_bot(uow, ref)
        bot.state.status = BotStatus.STOPPED
        bot.state.reason = "stopped by its owner"
        uow.bots.set_active(bot.id, False)
        uow.bots.save_state(bot.id, bot.state)
        uow.commit()
    bot.active = False
    return bot


def delete_bot(uow_factory: UowFactory, clock: Clock, ref: BotRef, *, force: bool = False) -> Bot:
    """Delete the bot, keeping its orders and trades; refuse while it holds a position."""
    with uow_factory() as uow:
        bot = resolve_bot(uow, ref)
        if not force:
            if bot.state.position is not None:
                raise ConfigurationError(
                    f"bot: {bot.config.name!r} holds a {bot.state.position.side.value} "
                    f"position of {bot.state.position.quantity} {bot.config.symbol}; close it "
                    "first, or delete with --force to leave it open on the exchange"
                )
            pending = uow.orders.unresolved(bot.id)
            if pending:
                raise ConfigurationError(
                    f"bot: {bot.config.name!r} has {len(pending)} order(s) not yet settled "
                    f"({pending[0].client_order_id}); wait, or delete with --force"
                )
        uow.bots.delete(bot.id, clock.now())
        uow.commit()
    return bot


def resolve_bot(uow: ManageUnitOfWork, ref: BotRef) -> Bot:
    """Return the bot `ref` names; a clear error when it names none, or several."""
    if ref.user_email is not None:
        user = resolve_user(uow, ref.user_email)
        bot = uow.bots.by_name(user.id, ref.name)
        if bot is None:
            raise ConfigurationError(f"bot: {user.email} has no bot named {ref.name!r}")
        return bot
    found = uow.bots.find(name=ref.name)
    if not found and ref.name.isdigit():
        by_id = uow.bots.get(int(ref.name))
        found = [] if by_id is None else [by_id]
    if not found:
        raise ConfigurationError(f"bot: there is no bot named {ref.name!r}")
    if len(found) > 1:
        raise ConfigurationError(
            f"bot: {len(found)} users have a bot named {ref.name!r}; say whose with --user"
        )
    return found[0]


# --- Checks ------------------------------------------------------------------------------


def resolve_user(uow: ManageUnitOfWork, email: str) -> User:
    """Return the user with this email; a clear error when there is none."""
    address = email.strip().lower()
    user = uow.users.by_email(address)
    if user is None:
        raise ConfigurationError(
            f"user: there is no user {address!r}; add one with `tradewind user add`"
        )
    return user


def _account(uow: ManageUnitOfWork, user: User, name: str | None) -> Account:
    if name is not None:
        account = uow.accounts.by_name(user.id, name.strip())
        if account is None:
            raise ConfigurationError(
                f"account: {user.email} has no exchange account named {name.strip()!r}"
            )
        return account
    accounts = uow.accounts.of_user(user.id)
    if not accounts:
        raise ConfigurationError(
            f"account: {user.email} has no exchange account; add one with `tradewind account add`"
        )
    if len(accounts) > 1:
        names = ", ".join(account.name for account in accounts)
        raise ConfigurationError(
            f"account: {user.email} has several exchange accounts ({names}); name one"
        )
    return accounts[0]


def _email(email: str) -> str:
    address = email.strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise ConfigurationError(f"email: must look like name@example.com (got {email!r})")
    return address


def _name(field: str, name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > _MAX_NAME:
        raise ConfigurationError(f"{field}: must be 1 to {_MAX_NAME} characters (got {name!r})")
    return cleaned


def _balance(balance: Decimal | None) -> Decimal:
    amount = DEFAULT_PAPER_BALANCE if balance is None else balance
    if not amount.is_finite() or amount <= 0:
        raise ConfigurationError(f"balance: must be a number > 0 (got {balance})")
    return amount


def _stripped(secret: SecretStr | None) -> SecretStr:
    return SecretStr("" if secret is None else secret.get_secret_value().strip())
