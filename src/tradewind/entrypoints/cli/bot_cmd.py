"""`tradewind bot …`, `tradewind orders|trades|state`: manage bots and see what they did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tradewind.domain.errors import Conflict, NotFound
from tradewind.entrypoints.cli import bot_create_cmd
from tradewind.entrypoints.cli.errors import Hints, user_errors

if TYPE_CHECKING:
    from tradewind.entrypoints.cli.resolve import Resolver
    from tradewind.services.access import Actor

bot_app = typer.Typer(
    help="Create, list, show, start, stop, close and delete bots. A bot is named by its id or its "
    "name; a number is always an id (names made only of digits are refused).",
    no_args_is_help=True,
)
bot_app.command("create")(bot_create_cmd.create)

Opt = typer.Option
_BOT_HELP = (
    "The bot's id, or its name. A number is always an id: names made only of digits are "
    "refused when a bot is created."
)
BotName = Annotated[str, typer.Argument(metavar="BOT", help=_BOT_HELP)]
UserOpt = Annotated[
    str | None,
    Opt(
        "--user",
        metavar="EMAIL",
        help="Act as this user: the bot must be theirs (say whose when users share a name).",
    ),
]
BotOpt = Annotated[
    str | None, Opt("--bot", metavar="BOT", help="Only this bot (its id, or its name).")
]
OwnerOpt = Annotated[str | None, Opt("--user", metavar="EMAIL", help="Only this user's.")]
LimitOpt = Annotated[int, Opt(min=1, max=10_000, help="How many to show, newest first.")]
_NO_BOTS = "no bots yet: create one with `tradewind bot create`"
_LISTED: Hints = {NotFound: "`tradewind bot list` shows every bot with its id"}


@bot_app.command("list")
def bot_list(user: OwnerOpt = None) -> None:
    """List the bots with their state and today's tally."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.entrypoints.cli.tables import bots_table
        from tradewind.services.overview import bot_views

        with open_store() as store:
            actor, owner = Resolver(store).acting(user)
            views = bot_views(store.manage_uow, store.clock, actor,
                              user_id=None if owner is None else owner.id)  # fmt: skip
        out.print(bots_table(views) if views else _NO_BOTS)


@bot_app.command("show")
def bot_show(bot: BotName, user: UserOpt = None) -> None:
    """Show a bot's config and state."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err, _LISTED):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.entrypoints.cli.tables import bot_detail
        from tradewind.services.overview import bot_views

        with open_store() as store:
            actor, bot_id = Resolver(store).acting_on_bot(bot, user)
            views = bot_views(store.manage_uow, store.clock, actor, bot_id=bot_id)
        for table in bot_detail(views[0]):
            out.print(table)


@bot_app.command("start")
def bot_start(bot: BotName, user: UserOpt = None) -> None:
    """Start a bot: the scheduler runs it from its next slot."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err, _LISTED):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.manage import start_bot

        with open_store() as store:
            actor, bot_id = Resolver(store).acting_on_bot(bot, user)
            started = start_bot(store.manage_uow, actor, bot_id)
        out.print(f"started bot {started.config.name!r}: {started.state.status.value}")


@bot_app.command("stop")
def bot_stop(bot: BotName, user: UserOpt = None) -> None:
    """Stop a bot; an open position stays open."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err, _LISTED):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.manage import stop_bot

        with open_store() as store:
            actor, bot_id = Resolver(store).acting_on_bot(bot, user)
            stopped = stop_bot(store.manage_uow, actor, bot_id)
        held = stopped.state.position
        note = "" if held is None else f"; its {held.side.value} position stays open"
        out.print(f"stopped bot {stopped.config.name!r}{note}")


@bot_app.command("close")
def bot_close(bot: BotName, user: UserOpt = None) -> None:
    """Close a bot's position now with a MARKET order (its next tick, within a minute,
    sends it; the trade's reason is `manual`). A stopped bot stops again once flat."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err, _LISTED):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.manage import close_position

        with open_store() as store:
            actor, bot_id = Resolver(store).acting_on_bot(bot, user)
            closing = close_position(store.manage_uow, actor, bot_id)
        held = closing.state.position
        what = "its position" if held is None else f"its {held.side.value} {held.quantity}"
        out.print(f"bot {closing.config.name!r} closes {what} at its next tick")


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
    hints: Hints = {
        **_LISTED,
        Conflict: "--force deletes it anyway, leaving the rest on the exchange",
    }
    with user_errors(err, hints):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.manage import delete_bot

        with open_store() as store:
            actor, bot_id = Resolver(store).acting_on_bot(bot, user)
            deleted = delete_bot(store.manage_uow, store.clock, actor, bot_id, force=force)
        out.print(f"deleted bot {deleted.config.name!r} (its orders and trades are kept)")


def orders(bot: BotOpt = None, user: OwnerOpt = None, limit: LimitOpt = 50) -> None:
    """List orders: intent, exchange status, fills and fees."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err, _LISTED):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.entrypoints.cli.tables import orders_table
        from tradewind.services import overview

        with open_store() as store:
            actor, owner, bot_id = _scope(Resolver(store), bot, user)
            found = overview.orders(store.manage_uow, actor, user_id=owner, bot_id=bot_id,
                                    limit=limit)  # fmt: skip
        out.print(orders_table(found) if found.records else "no orders yet")


def trades(bot: BotOpt = None, user: OwnerOpt = None, limit: LimitOpt = 50) -> None:
    """List trades: fills with price, fee and realized PnL."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err, _LISTED):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.entrypoints.cli.tables import trades_table
        from tradewind.services import overview

        with open_store() as store:
            actor, owner, bot_id = _scope(Resolver(store), bot, user)
            found = overview.trades(store.manage_uow, actor, user_id=owner, bot_id=bot_id,
                                    limit=limit)  # fmt: skip
        out.print(trades_table(found) if found.records else "no trades yet")


def state(bot: BotOpt = None, user: OwnerOpt = None) -> None:
    """Show what each bot is doing and why: status, last run and signal, position."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err, _LISTED):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.entrypoints.cli.tables import states_table
        from tradewind.services.overview import bot_views

        with open_store() as store:
            actor, owner, bot_id = _scope(Resolver(store), bot, user)
            views = bot_views(store.manage_uow, store.clock, actor, user_id=owner, bot_id=bot_id)
        out.print(states_table(views) if views else _NO_BOTS)


def _scope(
    resolver: Resolver, bot: str | None, user: str | None
) -> tuple[Actor, int | None, int | None]:
    """Return (the actor, the user to show, the bot to show) of `--bot` and `--user`."""
    actor, owner = resolver.acting(user)
    bot_id = None if bot is None else resolver.bot(bot, owner)
    return actor, None if owner is None else owner.id, bot_id
