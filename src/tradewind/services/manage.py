"""Managing users, exchange accounts and bots: each verb is one transaction.

Every verb takes the acting user (`access.Actor`) and ids, and checks what it loads with
`access.owned`. A refusal names the field at fault (`email: …`, `symbol: …`), and nothing
is written when one is raised: `ConfigurationError` for bad input, `NotFound` for a thing
that is missing or another user's, `Conflict` for a clash with what is stored,
`Forbidden` for an operator's verb.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from pydantic import SecretStr, ValidationError

from tradewind.bot_config import BotConfig, format_validation_error
from tradewind.domain.accounts import Account, ExchangeKind, User
from tradewind.domain.bots import BotStatus, CloseRequest
from tradewind.domain.bounds import check_amount, check_name, shown
from tradewind.domain.errors import (
    AuthenticationFailed,
    ConfigurationError,
    Conflict,
    NotFound,
    TemporaryExchangeError,
)
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.strategies.base import CANDLE_HISTORY_LIMIT
from tradewind.domain.types import PositionType
from tradewind.ports import (
    AccountAccess,
    Bot,
    Clock,
    CredentialCheck,
    ManageUnitOfWork,
    NewAccount,
)
from tradewind.services.access import Actor, owned, owner, require_operator

UowFactory = Callable[[], ManageUnitOfWork]
RulesLookup = Callable[[str, PositionType], MarketRules]

DEFAULT_PAPER_BALANCE = Decimal(10_000)
PAPER_QUOTE_ASSET = "USDT"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"[0-9]+")
_KEY_TEXT = re.compile(r"[!-~]+")  # an exchange key or secret: printable ASCII, no spaces


def looks_like_id(text: str) -> bool:
    """Tell whether `text` reads as an id (ASCII digits only): such names are refused."""
    return _ID.fullmatch(text.strip()) is not None


@dataclass(frozen=True, slots=True)
class CreatedBot:
    bot: Bot
    warnings: list[str]


# --- Users and accounts ------------------------------------------------------------------


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


# --- Bots --------------------------------------------------------------------------------


def create_bot(
    uow_factory: UowFactory,
    clock: Clock,
    rules_for: RulesLookup,
    actor: Actor,
    *,
    account_id: int,
    config: BotConfig | Mapping[str, object],
) -> CreatedBot:
    """Create an inactive bot on an exchange account (its owner's) after checking its
    config, symbol and name."""
    if not isinstance(config, BotConfig):
        config = _validated(config)
    if looks_like_id(config.name):
        raise ConfigurationError(
            f"name: must not be only digits (got {config.name!r}): a number names a bot by its id"
        )
    rules = rules_for(config.symbol, config.position_type)  # names `symbol` when unknown
    _check_history(config)
    warnings = list(config.warnings)
    if 0 < rules.max_leverage < config.effective_leverage:
        warnings.append(
            f"leverage {config.effective_leverage} is above {config.symbol}'s maximum "
            f"{rules.max_leverage}; orders will use {rules.max_leverage}"
        )
    with uow_factory() as uow:
        account = owned(actor, uow.accounts.get(account_id), "account", account_id)
        if uow.bots.by_name(account.user_id, config.name) is not None:
            user = uow.users.get(account.user_id)
            whose = "the user" if user is None else user.email
            raise Conflict(f"name: {whose} already has a bot named {config.name!r}")
        _refuse_shared_net_position(uow, account.user_id, account.id, config)
        bot = uow.bots.add(account.user_id, account.id, config, clock.now())
        uow.commit()
    return CreatedBot(bot, warnings)


def start_bot(uow_factory: UowFactory, actor: Actor, bot_id: int) -> Bot:
    """Let the scheduler run the bot, after checking its account and credentials open."""
    with uow_factory() as uow:
        bot = owned(actor, uow.bots.get(bot_id), "bot", bot_id)
        access = uow.accounts.access(bot.account_id)  # wrong master key: a clear error
        if access is None:
            raise Conflict(f"account: bot {bot.config.name!r} has no exchange account")
        if access.kind == ExchangeKind.BINANCE and not (access.api_key and access.api_secret):
            raise Conflict(
                f"account: bot {bot.config.name!r}'s binance account has no API key and secret"
            )
        _refuse_shared_net_position(uow, bot.user_id, bot.account_id, bot.config, bot.id)
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


def stop_bot(uow_factory: UowFactory, actor: Actor, bot_id: int) -> Bot:
    """Stop running the bot; an open position stays open (and protected) on the exchange.
    A close its owner asked for still happens: the bot stops once it is flat."""
    with uow_factory() as uow:
        bot = owned(actor, uow.bots.get(bot_id), "bot", bot_id)
        if bot.state.close_requested is not None:
            uow.bots.request_close(bot.id, CloseRequest.THEN_STOP)
            bot.state.reason = "closing the position, as its owner asked; then stopping"
            uow.bots.save_state(bot.id, bot.state)
            uow.commit()
            bot.state.close_requested = CloseRequest.THEN_STOP
            return bot
        bot.state.status = BotStatus.STOPPED
        bot.state.reason = "stopped by its owner"
        uow.bots.set_active(bot.id, False)
        uow.bots.save_state(bot.id, bot.state)
        uow.commit()
    bot.active = False
    return bot


def close_position(uow_factory: UowFactory, actor: Actor, bot_id: int) -> Bot:
    """Ask the bot to close its position now with a MARKET order (the next tick, within a
    minute, sends it). A stopped bot runs until it is flat, then stops again. Asking twice
    is one request; a flat bot, or one in error, is a Conflict."""
    with uow_factory() as uow:
        bot = owned(actor, uow.bots.get(bot_id), "bot", bot_id)
        state = bot.state
        if state.position is None:
            raise Conflict(f"bot: {bot.config.name!r} holds no position; there is nothing to close")
        if state.status is BotStatus.ERROR:
            raise Conflict(
                f"bot: {bot.config.name!r} is in error ({state.reason}); start it again, "
                "then close its position"
            )
        if state.close_requested is None:
            then = CloseRequest.KEEP_RUNNING if bot.active else CloseRequest.THEN_STOP
            uow.bots.request_close(bot.id, then)
            state.close_requested = then
            if not bot.active:
                state.status = BotStatus.IN_POSITION
                state.reason = "closing the position, as its owner asked; then stopping"
                uow.bots.save_state(bot.id, state)
            uow.commit()
    bot.active = True
    return bot


def update_bot(
    uow_factory: UowFactory,
    rules_for: RulesLookup,
    actor: Actor,
    bot_id: int,
    *,
    changes: Mapping[str, object],
    account_id: int | None = None,
) -> CreatedBot:
    """Change some of a stopped bot's settings (and its account, to another of its owner's);
    the whole config is checked again. A bot holding a position keeps its market."""
    with uow_factory() as uow:
        bot = owned(actor, uow.bots.get(bot_id), "bot", bot_id)
        if bot.active:
            raise Conflict(f"bot: {bot.config.name!r} is running; stop it before editing it")
        merged = {**bot.config.model_dump(mode="json"), **changes}
        config = _validated(merged)
        if looks_like_id(config.name):
            raise ConfigurationError(f"name: must not be only digits (got {config.name!r})")
        held = bot.state.position is not None
        market = (config.symbol, config.position_type) != (
            bot.config.symbol, bot.config.position_type,
        )  # fmt: skip
        target = bot.account_id if account_id is None else account_id
        if held and (market or target != bot.account_id):
            raise Conflict(
                f"bot: {bot.config.name!r} holds a position; its symbol, position_type and "
                "account cannot change until it is closed"
            )
        account = owned(actor, uow.accounts.get(target), "account", target)
        if account.user_id != bot.user_id:
            raise NotFound(f"account: there is no account {target}")
        rules_for(config.symbol, config.position_type)  # names `symbol` when unknown
        if config.name != bot.config.name and uow.bots.by_name(bot.user_id, config.name):
            raise Conflict(f"name: the user already has a bot named {config.name!r}")
        uow.bots.update_config(bot.id, account.id, config)
        uow.commit()
    bot.config, bot.account_id = config, account.id
    return CreatedBot(bot, list(config.warnings))


def stop_all_bots(uow_factory: UowFactory, actor: Actor) -> list[int]:
    """Stop every running bot of every user at once (positions stay open and protected);
    an operator's verb. Returns the ids of the bots stopped."""
    require_operator(actor, "bot", "stop every bot")
    with uow_factory() as uow:
        running = [bot for bot in uow.bots.find() if bot.active]
        for bot in running:
            bot.state.status = BotStatus.STOPPED
            bot.state.reason = "stopped by an operator"
            uow.bots.settle_close_request(bot.id, CloseRequest.THEN_STOP)  # no order now
            uow.bots.set_active(bot.id, False)
            uow.bots.save_state(bot.id, bot.state)
        uow.commit()
    return [bot.id for bot in running]


def delete_bot(
    uow_factory: UowFactory, clock: Clock, actor: Actor, bot_id: int, *, force: bool = False
) -> Bot:
    """Delete the bot, keeping its orders and trades; refuse while it holds a position or
    has orders not settled, unless `force` (which leaves them on the exchange)."""
    with uow_factory() as uow:
        bot = owned(actor, uow.bots.get(bot_id), "bot", bot_id)
        if not force:
            if bot.state.position is not None:
                raise Conflict(
                    f"bot: {bot.config.name!r} holds a {bot.state.position.side.value} "
                    f"position of {bot.state.position.quantity} {bot.config.symbol}; close it "
                    "first, or delete the bot by force to leave it open on the exchange"
                )
            pending = uow.orders.unresolved(bot.id)
            if pending:
                raise Conflict(
                    f"bot: {bot.config.name!r} has {len(pending)} order(s) not yet settled "
                    f"({pending[0].client_order_id}); wait, or delete the bot by force"
                )
        uow.bots.delete(bot.id, clock.now())
        uow.commit()
    return bot


# --- Checks ------------------------------------------------------------------------------


def _refuse_shared_net_position(
    uow: ManageUnitOfWork,
    user_id: int,
    account_id: int,
    config: BotConfig,
    bot_id: int | None = None,
) -> None:
    """Refuse a second futures bot on one account and symbol (Conflict).

    A USDⓈ-M futures account in one-way mode holds one net position per symbol: a long of
    one bot and a short of another would net out, and each bot's stop would close what the
    other believes it holds. Hedge mode (a side per bot, `positionSide`) is not built.
    Spot bots are not limited: each holds its own coins.
    """
    if config.position_type is not PositionType.FUTURES:
        return
    for other in uow.bots.find(user_id=user_id):
        if (
            other.id != bot_id
            and other.account_id == account_id
            and other.config.position_type is PositionType.FUTURES
            and other.config.symbol == config.symbol
        ):
            raise Conflict(
                f"symbol: bot {other.config.name!r} (id {other.id}) already trades "
                f"{config.symbol} futures on this account, and a futures account holds one "
                "net position per symbol (hedge mode is not supported); use another "
                "account, or delete that bot first"
            )


def _check_history(config: BotConfig) -> None:
    """Refuse a strategy whose indicators need more candles than the market data serves:
    the bot would decide on cut indicators, unlike its backtest, or never signal."""
    choice = config.strategy_choice()
    if choice.history > CANDLE_HISTORY_LIMIT:
        raise ConfigurationError(
            f"strategy: {choice.name} with these parameters needs {choice.history:,} closed "
            f"{config.timeframe} candles for its indicators to equal their values over the "
            f"whole history; the market data serves at most {CANDLE_HISTORY_LIMIT:,} "
            "(Binance klines) - choose shorter periods"
        )


def _validated(config: Mapping[str, object]) -> BotConfig:
    try:
        return BotConfig.model_validate(config)
    except ValidationError as e:
        raise ConfigurationError(f"invalid bot config:\n{format_validation_error(e)}") from None


def checked_email(email: str) -> str:
    """Return the address in lower case when it looks like one, at most 254 characters."""
    address = email.strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise ConfigurationError(f"email: must look like name@example.com (got {shown(email)})")
    return address


def checked_name(field: str, name: str) -> str:
    """Return `name` stripped when it has 1 to 100 characters (domain/bounds.py)."""
    return check_name(field, name)


def _balance(balance: Decimal | None) -> Decimal:
    return check_amount("balance", DEFAULT_PAPER_BALANCE if balance is None else balance)


def _stripped(secret: SecretStr | None) -> SecretStr:
    return SecretStr("" if secret is None else secret.get_secret_value().strip())
