"""`tradewind bot …`, `tradewind orders|trades|state`: manage bots and see what they did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tradewind.entrypoints.cli import bot_create_cmd
from tradewind.entrypoints.cli.errors import user_errors

if TYPE_CHECKING:
    from tradewind.services.manage import BotRef

bot_app = typer.Typer(help="Create, list, show, start, stop and delete bots.", no_args_is_help=True)
bot_app.command("create")(bot_create_cmd.create)

Opt = typer.Option
BotName = Annotated[str, typer.Argument(metavar="BOT", help="The bot's name (or id).")]
UserOpt = Annotated[
    str | None,
    Opt("--user", metavar="EMAIL", help="Whose bot, when several users use the name."),
]
BotOpt = Annotated[str | None, Opt("--bot", metavar="BOT", help="Only this bot (name or id).")]
OwnerOpt = Annotated[str | None, Opt("--user", metavar="EMAIL", help="Only this user's.")]
LimitOpt = Annotated[int, Opt(min=1, max=10_000, help="How many to show, newest first.")]
_NO_BOTS = "no bots yet: create one with `tradewind bot create`"


def _ref(name: str | None, user: str | None) -> BotRef | None:
    from tradewind.services.manage import BotRef

    return None if name is None else BotRef(name=name, user_email=user)


@bot_app.command("list")
def bot_list(user: OwnerOpt = None) -> None:
    """List the bots with their state and today's tally."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.store import open_store
        from tradewind.entrypoints.cli.tables import bots_table
        from tradewind.services.overview import bot_views

        with open_store() as store:
            views = bot_views(store.uow, store.clock, user_email=user)
        out.print(bots_table(views) if views else _NO_BOTS)


@bot_app.command("show")
def bot_show(bot: BotName, user: UserOpt = None) -> None:
    """Show a bot's config and state."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.store import open_store
        from tradewind.entrypoints.cli.tables import bot_detail
        from tradewind.services.overview import bot_views

        with open_store() as store:
            views = bot_views(store.uow, store.clock, ref=_ref(bot, user))
        for table in bot_detail(views[0]):
            out.print(table)


@bot_app.command("start")
def bot_start(bot: BotName, user: UserOpt = None) -> None:
    """Start a bot: the scheduler runs it from its next slot."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.store import open_store
        from tradewind.services.manage import start_bot

        with open_store() as store:
            started = start_bot(store.uow, _required(bot, user))
        out.print(f"started bot {started.config.name!r}: {started.state.status.value}")


@bot_app.command("stop")
def bot_stop(bot: BotName, user: UserOpt = None) -> None:
    """Stop a bot; an open position stays open."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.store import open_store
        from tradewind.services.manage import stop_bot

        with open_store() as store:
            stopped = stop_bot(store.uow, _required(bot, user))
        held = stopped.state.position
        note = "" if held is None else f"; its {held.side.value} position stays open"
        out.print(f"stopped bot {stopped.config.name!r}{note}")


@bot_app.command("delete")
def bot_delete(
    bot: BotName,
    user: UserOpt = None,
    force: Annotated[
        bool, Opt("--force", help="Delete even with an open position or unsettled orders.")
    ] = False,
) -> None:
    """Delete a bot; its orders and trades are kept."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.store import open_store
        from tradewind.services.manage import delete_bot

        with open_store() as store:
            deleted = delete_bot(store.uow, store.clock, _required(bot, user), force=force)
        out.print(f"deleted bot {deleted.config.name!r} (its orders and trades are kept)")


def _required(name: str, user: str | None) -> BotRef:
    from tradewind.services.manage import BotRef

    return BotRef(name=name, user_email=user)


def orders(bot: BotOpt = None, user: OwnerOpt = None, limit: LimitOpt = 50) -> None:
    """List orders: intent, exchange status, fills and fees."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.store import open_store
        from tradewind.entrypoints.cli.tables import orders_table
        from tradewind.services import overview

        with open_store() as store:
            found = overview.orders(store.uow, user_email=user, ref=_ref(bot, user), limit=limit)
        out.print(orders_table(found) if found.records else "no orders yet")


def trades(bot: BotOpt = None, user: OwnerOpt = None, limit: LimitOpt = 50) -> None:
    """List trades: fills with price, fee and realized PnL."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.store import open_store
        from tradewind.entrypoints.cli.tables import trades_table
        from tradewind.services import overview

        with open_store() as store:
            found = overview.trades(store.uow, user_email=user, ref=_ref(bot, user), limit=limit)
        out.print(trades_table(found) if found.records else "no trades yet")


def state(bot: BotOpt = None, user: OwnerOpt = None) -> None:
    """Show what each bot is doing and why: status, last run and signal, position."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.store import open_store
        from tradewind.entrypoints.cli.tables import states_table
        from tradewind.services.overview import bot_views

        with open_store() as store:
            views = bot_views(store.uow, store.clock, user_email=user, ref=_ref(bot, user))
        out.print(states_table(views) if views else _NO_BOTS)
