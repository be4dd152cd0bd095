"""Bots: create, edit, start, stop, close the position, delete; each verb is one
transaction (see `manage`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from tradewind.bot_config import BotConfig, format_validation_error
from tradewind.domain.accounts import ExchangeKind
from tradewind.domain.bots import BotStatus, CloseRequest
from tradewind.domain.errors import ConfigurationError, Conflict, NotFound
from tradewind.domain.strategies.base import CANDLE_HISTORY_LIMIT
from tradewind.domain.types import PositionType
from tradewind.ports import Bot, Clock, ManageUnitOfWork
from tradewind.services.access import Actor, owned, require_operator
from tradewind.services.manage.common import RulesLookup, UowFactory, looks_like_id


@dataclass(frozen=True, slots=True)
class CreatedBot:
    bot: Bot
    warnings: list[str]


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
