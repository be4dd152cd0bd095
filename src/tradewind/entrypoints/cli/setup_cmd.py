"""`tradewind init` and `tradewind keys …`: the data dir, the master key, the schema."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from tradewind.entrypoints.cli.errors import user_errors

if TYPE_CHECKING:
    from pydantic import SecretStr

NEW_KEY_ENV = "TRADEWIND_NEW_SECRET_KEY"

keys_app = typer.Typer(
    help="Manage the master key that encrypts exchange API secrets.",
    no_args_is_help=True,
)


def init() -> None:
    """Create the data dir, the master key file and the database schema (safe to re-run)."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.settings import load_settings
        from tradewind.bootstrap.store import migrate_database, use_master_key

        settings = load_settings()
        data_dir = settings.data_dir
        existed = data_dir.is_dir()
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        out.print(f"data dir     {data_dir} ({'exists' if existed else 'created'})")
        key_file, created = use_master_key(settings)
        if key_file is None:
            out.print("master key   from TRADEWIND_SECRET_KEY")
        else:
            out.print(f"master key   {key_file} ({'created, mode 600' if created else 'exists'})")
        database, before, after = migrate_database(settings)
        change = "up to date" if before == after else f"migrated {before or 'empty'} → {after}"
        out.print(f"database     {database} ({change})")


@keys_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored API secret under a new master key, in one transaction.

    With the key file, a new key replaces the old one in it. With TRADEWIND_SECRET_KEY,
    give the new key in TRADEWIND_NEW_SECRET_KEY (or at the prompt), then set
    TRADEWIND_SECRET_KEY to it.
    """
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.bootstrap.store import open_store

        with open_store() as store:
            if store.settings.secret_key is None:
                count, path = store.rotate_key_file()
                out.print(f"re-encrypted the secrets of {count} account(s); new key in {path}")
                return
            new_key = _new_key_from_env_or_prompt()
            count = store.rotate_master_key(new_key)
            out.print(
                f"re-encrypted the secrets of {count} account(s) under the new key; set "
                "TRADEWIND_SECRET_KEY to it before the next command"
            )


def _new_key_from_env_or_prompt() -> SecretStr:
    from pydantic import SecretStr

    from tradewind.domain.errors import ConfigurationError

    new_key = os.environ.get(NEW_KEY_ENV, "").strip()
    if not new_key and sys.stdin.isatty():
        new_key = typer.prompt("new master key", hide_input=True).strip()
    if not new_key:
        raise ConfigurationError(
            f"{NEW_KEY_ENV}: the new master key is needed (make one with `tradewind keys generate`)"
        )
    return SecretStr(new_key)


@keys_app.command("generate")
def generate() -> None:
    """Print a new random master key (for TRADEWIND_SECRET_KEY)."""
    from tradewind.bootstrap.store import generate_master_key

    typer.echo(generate_master_key())
