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
PASSWORD_ENV = "TRADEWIND_PASSWORD"

user_app = typer.Typer(
    help="Add and list users; set passwords; reset two-factor sign-in.", no_args_is_help=True
)
account_app = typer.Typer(help="Add and list exchange accounts.", no_args_is_help=True)

Opt = typer.Option


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="The user's email; identifies the user.")],
    name: Annotated[str | None, Opt(help="A display name.")] = None,
    password: Annotated[
        bool | None,
        Opt(
            help=f"Set a password to sign in to the API, from {PASSWORD_ENV} or asked "
            "[default: when one is given or a terminal can ask]."
        ),
    ] = None,
    operator: Annotated[
        bool, Opt(help="Make the user an operator: sees every user's bots in the API.")
    ] = False,
) -> None:
    """Add a user, with a password to sign in to the API and the dashboard."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import OPERATOR
        from tradewind.services.access import Role
        from tradewind.services.identity import set_password
        from tradewind.services.manage import add_user

        wanted = password
        if wanted is None:
            wanted = bool(os.environ.get(PASSWORD_ENV)) or sys.stdin.isatty()
        secret = _password() if wanted else None
        if operator and secret is None:
            from tradewind.domain.errors import ConfigurationError

            raise ConfigurationError("operator: an operator signs in, so needs a password")
        with open_store() as store:
            user = add_user(store.manage_uow, store.clock, OPERATOR, email, name)
            if secret is not None:
                role = Role.OPERATOR if operator else Role.USER
                set_password(
                    store.identity_uow, store.passwords, store.clock, OPERATOR, user.id,
                    secret, role=role,
                )  # fmt: skip
        what = " (operator)" if operator else ""
        out.print(f"added user {user.email} (id {user.id}){what}")
        if secret is None:
            out.print("no password yet: set one with `tradewind user password` to sign in")


@user_app.command("password")
def user_password(
    email: Annotated[str, typer.Argument(help="The user's email.")],
    operator: Annotated[
        bool | None, Opt(help="Also make the user an operator (or, with --no-operator, not).")
    ] = None,
) -> None:
    """Set a user's password (from TRADEWIND_PASSWORD, or asked); signs them out everywhere."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import OPERATOR, Resolver
        from tradewind.services.access import Role
        from tradewind.services.identity import set_password

        secret = _password()
        with open_store() as store:
            user = Resolver(store).user(email)
            role = None if operator is None else (Role.OPERATOR if operator else Role.USER)
            set_password(
                store.identity_uow, store.passwords, store.clock, OPERATOR, user.id, secret,
                role=role,
            )  # fmt: skip
        out.print(f"password set for {user.email}")


@user_app.command("reset-2fa")
def user_reset_two_factor(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Turn a user's two-factor sign-in off (a lost phone and lost recovery codes); they
    sign in with the password alone and may set it up again."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store
        from tradewind.entrypoints.cli.resolve import OPERATOR, Resolver
        from tradewind.services.two_factor import reset

        with open_store() as store:
            user = Resolver(store).user(email)
            had = reset(store.identity_uow, OPERATOR, user.id)
        out.print(
            f"two-factor sign-in turned off for {user.email}"
            if had
            else f"{user.email} had no two-factor sign-in"
        )


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
    TRADEWIND_API_SECRET, or are asked for without echo. They are first shown to Binance
    (a signed read of the account, at TRADEWIND_BINANCE_URL when set): a key it refuses,
    or no answer, stores nothing. They are stored encrypted.
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
                check=store.check_credentials,
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


def _password() -> str:
    """Read a password from TRADEWIND_PASSWORD, else twice from the terminal without echo."""
    from tradewind.domain.errors import ConfigurationError
    from tradewind.services.identity import check_password

    value = os.environ.get(PASSWORD_ENV, "")
    if not value and sys.stdin.isatty():
        value = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not value:
        raise ConfigurationError(
            f"password: set {PASSWORD_ENV}, run in a terminal to be asked, or pass --no-password"
        )
    return check_password(value)


def _decimal(field: str, text: str) -> Decimal:
    from tradewind.domain.errors import ConfigurationError

    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ConfigurationError(f"{field}: must be a number (got {text!r})") from None
