"""`tradewind bot create`: a bot from a TOML file and/or one flag per config field."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from tradewind.entrypoints.cli.config_options import ConfigFlags, with_config_options
from tradewind.entrypoints.cli.errors import user_errors

_WHO = "Owner and account"
Opt = typer.Option


@with_config_options(panel="Bot config (overrides --config)")
def create(
    user: Annotated[
        str, Opt("--user", metavar="EMAIL", help="The owner's email.", rich_help_panel=_WHO)
    ],
    config_flags: ConfigFlags,
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
) -> None:
    """Create a bot (inactive until `tradewind bot start`)."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.bot_config import BotConfig, load_bot_config_toml
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.manage import create_bot

        fields = config_flags.fields()
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
            f"{bot.config.position_type.value} {bot.config.timeframe}, "
            f"{bot.config.strategy.name}; start it with `tradewind bot start {bot.config.name}`"
        )
        for warning in created.warnings:
            err.print(f"[yellow]warning:[/] {warning}", highlight=False)
