"""`tradewind notify …`: where a user's bots report, which events, and how it went."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tradewind.domain.errors import Conflict
from tradewind.entrypoints.cli.errors import user_errors

if TYPE_CHECKING:
    from pydantic import SecretStr

    from tradewind.bootstrap.store import Store
    from tradewind.domain.accounts import User
    from tradewind.services.access import Actor

WEBHOOK_SECRET_ENV = "TRADEWIND_WEBHOOK_SECRET"
TEST_WAIT_SECONDS = 30.0  # how long `notify test` waits for another process's try

notify_app = typer.Typer(
    help="Notifications: webhooks and email, per-bot routes, tests, deliveries.",
    no_args_is_help=True,
)
webhook_app = typer.Typer(help="Webhook endpoints (signed, Standard Webhooks).",
                          no_args_is_help=True)  # fmt: skip
email_app = typer.Typer(help="Email addresses (over the SMTP server of TRADEWIND_SMTP_*).",
                        no_args_is_help=True)  # fmt: skip
notify_app.add_typer(webhook_app, name="webhook")
notify_app.add_typer(email_app, name="email")

Opt = typer.Option
UserOpt = Annotated[str, Opt("--user", metavar="EMAIL", help="The owner's email.")]
EventsOpt = Annotated[
    str,
    Opt(metavar="all|none|TYPE,…", help="The events to send: all, none, or a list such as "
        "position_closed,bot_error (see `tradewind notify events`)."),
]  # fmt: skip


@contextmanager
def _store() -> Iterator[Store]:
    from tradewind.bootstrap.store import open_store

    with open_store() as store:
        yield store


def _owner(store: Store, email: str) -> tuple[Actor, User]:
    """Return the user `--user` names, and them as the actor."""
    from tradewind.entrypoints.cli.resolve import Resolver

    return Resolver(store).as_user(email)


@webhook_app.command("add")
def webhook_add(
    user: UserOpt,
    name: Annotated[str, Opt(help="A name for the endpoint, unique among the user's.")],
    url: Annotated[
        str,
        Opt(
            help="Where to POST: https://… (public addresses only, unless "
            "TRADEWIND_WEBHOOK_ALLOW_NETWORKS allows more)."
        ),
    ],
    events: EventsOpt = "all",
    generate_secret: Annotated[
        bool, Opt(help="Make a new signing secret and print it this once.")
    ] = False,
) -> None:
    """Add a webhook endpoint for all the user's bots.

    Its signing secret (whsec_…) comes from TRADEWIND_WEBHOOK_SECRET, the prompt (no echo),
    or --generate-secret. It is stored encrypted and never shown again.
    """
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import new_webhook_secret
        from tradewind.domain.webhook_targets import parse_networks
        from tradewind.services.notify.configure import add_webhook, parse_events

        chosen = parse_events(events)
        secret = new_webhook_secret() if generate_secret else _webhook_secret()
        with _store() as store:
            actor, owner = _owner(store, user)
            channel = add_webhook(
                store.notify_uow, store.clock, actor, owner_id=owner.id, name=name, url=url,
                secret=secret, allowed=parse_networks(store.settings.webhook_allow_networks),
                events=chosen,
            )  # fmt: skip
        out.print(f"added webhook {channel.name!r} (id {channel.id}) for {user}")
        if generate_secret:
            out.print("signing secret (shown this once; give it to the receiver):")
            out.print(secret.get_secret_value(), highlight=False, markup=False)


@email_app.command("add")
def email_add(
    user: UserOpt,
    name: Annotated[str, Opt(help="A name for the address, unique among the user's.")],
    to: Annotated[str, Opt(metavar="ADDRESS", help="Where to send mail.")],
    events: EventsOpt = "all",
) -> None:
    """Add an email address for all the user's bots."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.services.notify.configure import add_email, parse_events

        chosen = parse_events(events)
        with _store() as store:
            actor, owner = _owner(store, user)
            channel = add_email(store.notify_uow, store.clock, actor, owner_id=owner.id,
                                name=name, to=to, events=chosen)  # fmt: skip
            configured = bool(store.settings.smtp_host.strip())
        out.print(f"added email {channel.name!r} (id {channel.id}) for {user}: {channel.target}")
        if not configured:
            err.print("note: TRADEWIND_SMTP_HOST is not set; mail waits until it is")


@notify_app.command("route")
def route(
    user: UserOpt,
    channel: Annotated[str, Opt(help="The channel's name.")],
    events: EventsOpt,
    bot: Annotated[
        str | None,
        Opt(
            metavar="BOT",
            help="One bot's events, by its id or name (default: all the user's bots).",
        ),
    ] = None,
) -> None:
    """Choose which events (of one bot, or of all) go to a channel."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.notify_tables import events as shown
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.notify.configure import parse_events
        from tradewind.services.notify.configure import route as set_route

        chosen = parse_events(events)
        with _store() as store:
            resolver = Resolver(store)
            actor, owner = resolver.as_user(user)
            routed = set_route(
                store.notify_uow, store.clock, actor, channel_id=resolver.channel(owner, channel),
                events=chosen, bot_id=None if bot is None else resolver.bot(bot, owner),
            )  # fmt: skip
        out.print(f"{channel}: {shown(routed)} of {bot or 'all bots'}")


@notify_app.command("unroute")
def unroute(
    user: UserOpt,
    channel: Annotated[str, Opt(help="The channel's name.")],
    bot: Annotated[str, Opt(metavar="BOT", help="The bot whose own route goes (id or name).")],
) -> None:
    """Drop a bot's own route: the channel's route for all bots applies to it again."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.notify.configure import unroute as drop

        with _store() as store:
            resolver = Resolver(store)
            actor, owner = resolver.as_user(user)
            removed = drop(store.notify_uow, actor, channel_id=resolver.channel(owner, channel),
                           bot_id=resolver.bot(bot, owner))  # fmt: skip
        out.print(f"{channel}: {bot} follows the route for all bots" if removed
                  else f"{channel}: {bot} had no route of its own")  # fmt: skip


@notify_app.command("remove")
def remove(user: UserOpt, name: Annotated[str, Opt(help="The channel's name.")]) -> None:
    """Delete a channel, its routes and its deliveries."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.notify.configure import remove_channel

        with _store() as store:
            resolver = Resolver(store)
            actor, owner = resolver.as_user(user)
            channel = remove_channel(store.notify_uow, actor, resolver.channel(owner, name))
        out.print(f"removed {channel.kind.value} {channel.name!r}")


@notify_app.command("list")
def list_channels(user: UserOpt) -> None:
    """List the user's channels and routes (never a secret)."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.notify_tables import settings_tables
        from tradewind.services.notify.configure import settings_of

        with _store() as store:
            actor, owner = _owner(store, user)
            settings = settings_of(store.notify_uow, actor, owner.id)
        if not settings.channels:
            out.print(f"{user} has no notification channel yet: add one with "
                      "`tradewind notify webhook add` or `tradewind notify email add`")  # fmt: skip
            return
        for table in settings_tables(settings):
            out.print(table)


@notify_app.command("events")
def list_events() -> None:
    """List the event types a route can name."""
    from tradewind.domain.notifications import ROUTABLE

    for kind in ROUTABLE:
        typer.echo(kind.value)


@notify_app.command("test")
def send_test(
    user: UserOpt,
    channel: Annotated[str | None, Opt(help="One channel (default: all the user's).")] = None,
) -> None:
    """Send a test event to the user's channels now, and say how each went."""
    out, err = Console(), Console(stderr=True)
    hint = "add one with `tradewind notify webhook add` or `tradewind notify email add`"
    with user_errors(err, {Conflict: hint}):
        from tradewind.domain.notifications import DeliveryStatus
        from tradewind.entrypoints.cli.notify_tables import deliveries_table
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.notify import deliver_due
        from tradewind.services.notify.configure import deliveries, queue_test

        with _store() as store:
            resolver = Resolver(store)
            actor, owner = resolver.as_user(user)
            one = None if channel is None else resolver.channel(owner, channel)
            deps = store.notify_deps()
            queued, targets = queue_test(deps.uow, store.clock, actor, owner_id=owner.id,
                                         channel_id=one)  # fmt: skip
            deadline = time.monotonic() + TEST_WAIT_SECONDS
            while True:
                deliver_due(deps)
                listed = deliveries(deps.uow, actor, owner.id, limit=200)
                mine = [d for d in listed if d.event_id == queued]
                waiting = [d for d in mine if d.status is DeliveryStatus.PENDING]
                if not waiting or time.monotonic() > deadline:
                    break
                time.sleep(0.5)  # another dispatcher holds the try: wait for its answer
        out.print(deliveries_table(mine, {}))
        failed = [d for d in mine if d.status is not DeliveryStatus.DELIVERED]
        if failed:
            err.print(f"{len(failed)} of {len(targets)} channel(s) did not take the test event")
            raise typer.Exit(1)
        out.print(f"test event {queued} delivered to {len(targets)} channel(s)")


@notify_app.command("deliveries")
def list_deliveries(
    user: UserOpt,
    status: Annotated[str | None, Opt(metavar="pending|delivered|dead")] = None,
    limit: Annotated[int, Opt(min=1, max=10_000)] = 30,
) -> None:
    """List the latest deliveries of the user's events: status, tries, last error."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.entrypoints.cli.notify_tables import deliveries_table
        from tradewind.services.notify.configure import deliveries, settings_of

        with _store() as store:
            actor, owner = _owner(store, user)
            views = deliveries(store.notify_uow, actor, owner.id, status, limit)
            names = settings_of(store.notify_uow, actor, owner.id).bot_names
        out.print(deliveries_table(views, names) if views else "no deliveries")


@notify_app.command("retry")
def retry(user: UserOpt) -> None:
    """Give the user's dead-lettered deliveries a fresh set of tries, starting now."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.services.notify.configure import retry_dead

        with _store() as store:
            actor, owner = _owner(store, user)
            revived = retry_dead(store.notify_uow, store.clock, actor, owner.id)
        out.print(f"{revived} dead-lettered deliveries due again")


@notify_app.command("deliver")
def deliver() -> None:
    """Deliver every due event once, now (what `tradewind run` does every second)."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.services.notify import deliver_due

        with _store() as store:
            done = deliver_due(store.notify_deps())
        out.print(f"routed {done.routed} event(s); delivered {done.delivered}, "
                  f"retrying {done.retrying}, dead-lettered {done.dead}")  # fmt: skip


def _webhook_secret() -> SecretStr:
    from pydantic import SecretStr

    from tradewind.domain.errors import ConfigurationError

    value = os.environ.get(WEBHOOK_SECRET_ENV, "").strip()
    if not value and sys.stdin.isatty():
        value = typer.prompt("signing secret (whsec_…)", hide_input=True, default="",
                             show_default=False).strip()  # fmt: skip
    if not value:
        raise ConfigurationError(
            f"secret: a webhook needs one; set {WEBHOOK_SECRET_ENV}, run in a terminal to be "
            "asked, or pass --generate-secret"
        )
    return SecretStr(value)
