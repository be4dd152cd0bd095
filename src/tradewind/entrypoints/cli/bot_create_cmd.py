"""`tradewind bot create`: a bot from a TOML file and/or one flag per config field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tradewind.entrypoints.cli.errors import user_errors

_WHO = "Owner and account"
_CFG = "Bot config (overrides --config)"
Opt = typer.Option


def create(
    user: Annotated[
        str, Opt("--user", metavar="EMAIL", help="The owner's email.", rich_help_panel=_WHO)
    ],
    account: Annotated[
        str | None,
        Opt(
            metavar="NAME",
            help="The exchange account to trade on (default: the user's only one).",
            rich_help_panel=_WHO,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        Opt(
            help="TOML file with bot config fields (top level or a \\[bot] table).",
            rich_help_panel=_WHO,
        ),
    ] = None,
    name: Annotated[
        str | None, Opt(help="Bot name, unique per user.", rich_help_panel=_CFG)
    ] = None,
    symbol: Annotated[str | None, Opt(help="Symbol, e.g. BTCUSDT.", rich_help_panel=_CFG)] = None,
    timeframe: Annotated[
        str | None, Opt(help="Candle timeframe: 1m, 5m, 1h, …", rich_help_panel=_CFG)
    ] = None,
    position_type: Annotated[str | None, Opt(help="spot or futures.", rich_help_panel=_CFG)] = None,
    strategy: Annotated[str | None, Opt(help="Strategy: ema_rsi.", rich_help_panel=_CFG)] = None,
    leverage: Annotated[
        int | None, Opt(help="Futures leverage; capped at 50.", rich_help_panel=_CFG)
    ] = None,
    custom_ema_fast: Annotated[
        int | None, Opt(help="Fast EMA period (8).", rich_help_panel=_CFG)
    ] = None,
    custom_ema_slow: Annotated[
        int | None, Opt(help="Slow EMA period (21).", rich_help_panel=_CFG)
    ] = None,
    custom_rsi_period: Annotated[
        int | None, Opt(help="RSI period (7).", rich_help_panel=_CFG)
    ] = None,
    custom_rsi_oversold: Annotated[
        str | None, Opt(metavar="LEVEL", help="RSI oversold level (35).", rich_help_panel=_CFG)
    ] = None,
    custom_rsi_overbought: Annotated[
        str | None, Opt(metavar="LEVEL", help="RSI overbought level (65).", rich_help_panel=_CFG)
    ] = None,
    custom_stop_loss: Annotated[
        str | None, Opt(metavar="PERCENT", help="Stop-loss in percent.", rich_help_panel=_CFG)
    ] = None,
    custom_take_profit: Annotated[
        str | None, Opt(metavar="PERCENT", help="Take-profit in percent.", rich_help_panel=_CFG)
    ] = None,
    custom_trailing_stop: Annotated[
        str | None, Opt(metavar="PERCENT", help="Trailing stop in percent.", rich_help_panel=_CFG)
    ] = None,
    position_size_fixed: Annotated[
        str | None,
        Opt(
            metavar="USDT",
            help="Quote amount per entry (margin for futures).",
            rich_help_panel=_CFG,
        ),
    ] = None,
    position_size_perc: Annotated[
        str | None,
        Opt(
            metavar="PERCENT", help="Percent of free quote balance per entry.", rich_help_panel=_CFG
        ),
    ] = None,
    max_daily_trades: Annotated[
        int | None, Opt(help="Most entries per UTC day.", rich_help_panel=_CFG)
    ] = None,
    max_daily_loss: Annotated[
        str | None,
        Opt(
            metavar="USDT", help="Pause entries at this realized loss today.", rich_help_panel=_CFG
        ),
    ] = None,
    daily_profit_target: Annotated[
        str | None,
        Opt(
            metavar="USDT",
            help="Pause entries at this realized profit today.",
            rich_help_panel=_CFG,
        ),
    ] = None,
    auto_transfer_funds: Annotated[
        bool | None,
        Opt(
            "--auto-transfer-funds/--no-auto-transfer-funds",
            help="Futures: move USDT from spot to futures when short of margin.",
            rich_help_panel=_CFG,
        ),
    ] = None,
    transfer_amount: Annotated[
        str | None,
        Opt(metavar="USDT", help="How much each auto-transfer moves.", rich_help_panel=_CFG),
    ] = None,
) -> None:
    """Create a bot (inactive until `tradewind bot start`)."""
    fields = {k: v for k, v in locals().items() if k in _CONFIG_FLAGS and v is not None}
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.bot_config import BotConfig, load_bot_config_toml
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.manage import create_bot

        # The input first, then the database.
        settings = (
            BotConfig.model_validate(fields)
            if config is None
            else load_bot_config_toml(config, fields)
        )
        with open_store() as store:
            resolver = Resolver(store)
            actor, owner = resolver.as_user(user)
            created = create_bot(
                store.manage_uow,
                store.clock,
                store.rules_for,
                actor,
                account_id=resolver.account(owner, account),
                config=settings,
            )
        bot = created.bot
        out.print(
            f"created bot {bot.config.name!r} (id {bot.id}): {bot.config.symbol} "
            f"{bot.config.position_type.value} {bot.config.timeframe}; start it with "
            f"`tradewind bot start {bot.config.name}`"
        )
        for warning in created.warnings:
            err.print(f"[yellow]warning:[/] {warning}", highlight=False)


_CONFIG_FLAGS = frozenset(
    (
        "name", "symbol", "timeframe", "position_type", "strategy", "leverage",
        "custom_ema_fast", "custom_ema_slow", "custom_rsi_period", "custom_rsi_oversold",
        "custom_rsi_overbought", "custom_stop_loss", "custom_take_profit",
        "custom_trailing_stop", "position_size_fixed", "position_size_perc",
        "max_daily_trades", "max_daily_loss", "daily_profit_target", "auto_transfer_funds",
        "transfer_amount",
    )
)  # fmt: skip
