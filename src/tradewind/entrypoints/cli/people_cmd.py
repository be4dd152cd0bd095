"""`tradewind user …` and `tradewind account …`: who owns bots, and where they trade."""

from __future__ import annotations

import os
import sys
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tradewind.entrypoints.cli.errors import user_errors

if TYPE_CHECKING:
    from pydantic import SecretStr

API_KEY_ENV = "TRADEWIND_API_KEY"
API_SECRET_ENV = "TRADEWIND_API_SECRET"

user_app = typer.Typer(help="Add and list users.", no_args_is_help=True)
account_app = typer.Typer(help="Add and list exchange accounts.", no_args_is_help=True)

Opt = typer.Option


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The user's email; identifies the user.")],
    name: Annotated[str | None, Opt(help="A display name.")] = None,
) -> None:
    """Add a user."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import OPERATOR
        from tradewind.services.manage import add_user

        with open_store() as store:
            user = add_user(store.manage_uow, store.clock, OPERATOR, email, name)
        out.print(f"added user {user.email} (id {user.id})")


@user_app.command("list")
def user_list() -> None:
    """List the users."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import OPERATOR
        from tradewind.entrypoints.cli.tables import users_table
        from tradewind.services.manage import list_users

        with open_store() as store:
            users = list_users(store.manage_uow, OPERATOR)
        out.print(
            users_table(users) if users else "no users yet: add one with `tradewind user add`"
        )


@account_app.command("add")
def account_add(
    user: Annotated[str, Opt("--user", metavar="EMAIL", help="The owner's email.")],
    name: Annotated[str, Opt(help="A name for the account, unique among the user's.")],
    kind: Annotated[str, Opt(metavar="paper|binance", help="Simulated (paper) or Binance.")],
    testnet: Annotated[bool, Opt(help="Binance only: trade on the Binance testnet.")] = False,
    balance: Annotated[
        str | None,
        Opt(metavar="USDT", help="Paper only: starting USDT in the spot wallet [default: 10000]."),
    ] = None,
) -> None:
    """Add an exchange account.

    A binance account's API key and secret come from TRADEWIND_API_KEY and
    TRADEWIND_API_SECRET, or are asked for without echo. They are stored encrypted.
    """
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.domain.accounts import ExchangeKind
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.services.manage import add_account

        api_key = api_secret = None
        if kind.strip().lower() == ExchangeKind.BINANCE:
            api_key = _secret(API_KEY_ENV, "API key", "api_key")
            api_secret = _secret(API_SECRET_ENV, "API secret", "api_secret")
        with open_store() as store:
            actor, owner = Resolver(store).as_user(user)
            account = add_account(
                store.manage_uow,
                store.clock,
                actor,
                owner_id=owner.id,
                name=name,
                kind=kind.strip().lower(),
                testnet=testnet,
                api_key=api_key,
                api_secret=api_secret,
                balance=None if balance is None else _decimal("balance", balance),
            )
        what = f"{account.kind.value}{' testnet' if account.testnet else ''}"
        out.print(f"added {what} account {account.name!r} (id {account.id}) for {user}")


@account_app.command("list")
def account_list(
    user: Annotated[str, Opt("--user", metavar="EMAIL", help="The owner's email.")],
) -> None:
    """List a user's exchange accounts (never their secrets)."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import Resolver
        from tradewind.entrypoints.cli.tables import accounts_table
        from tradewind.services.manage import list_accounts

        with open_store() as store:
            actor, owner = Resolver(store).as_user(user)
            accounts = list_accounts(store.manage_uow, actor, owner.id)
        out.print(accounts_table(user, accounts))


def _secret(env: str, label: str, field: str) -> SecretStr:
    """Read a secret from the environment, else from the terminal without echo."""
    from pydantic import SecretStr

    from tradewind.domain.errors import ConfigurationError

    value = os.environ.get(env, "").strip()
    if not value and sys.stdin.isatty():
        value = typer.prompt(label, hide_input=True, default="", show_default=False).strip()
    if not value:
        raise ConfigurationError(
            f"{field}: a binance account needs one; set {env}, or run in a terminal to be asked"
        )
    return SecretStr(value)


def _decimal(field: str, text: str) -> Decimal:
    from tradewind.domain.errors import ConfigurationError

    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ConfigurationError(f"{field}: must be a number (got {text!r})") from None
