"""`tradewind init` and `tradewind keys …`: the data dir, the master key, the schema."""

from __future__ import annotations

import os
import sys

import typer
from rich.console import Console

from tradewind.entrypoints.cli.errors import user_errors

NEW_KEY_ENV = "TRADEWIND_NEW_SECRET_KEY"

keys_app = typer.Typer(
    help="Manage the master key that encrypts exchange API secrets.",
    no_args_is_help=True,
)


def init() -> None:
    """Create the data dir, the master key file and the database schema (safe to re-run)."""
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from pathlib import Path

        from tradewind.adapters.db.engine import make_engine, migrate, shown, sqlite_path
        from tradewind.adapters.db.secrets import SecretBox, create_key_file, key_file_path
        from tradewind.entrypoints.cli.store import load_settings

        settings = load_settings()
        data_dir: Path = settings.data_dir
        existed = data_dir.is_dir()
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        out.print(f"data dir     {data_dir} ({'exists' if existed else 'created'})")
        if settings.secret_key is not None:
            SecretBox.from_settings(settings).encrypt("")  # refuses a malformed key
            out.print("master key   from TRADEWIND_SECRET_KEY")
        else:
            path = key_file_path(data_dir)
            created = create_key_file(path)
            out.print(f"master key   {path} ({'created, mode 600' if created else 'exists'})")
        engine = make_engine(settings.database_url)
        try:
            database_file = sqlite_path(engine)
            if database_file is not None:
                database_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            before, after = migrate(engine)
            change = "up to date" if before == after else f"migrated {before or 'empty'} → {after}"
            out.print(f"database     {shown(engine)} ({change})")
        finally:
            engine.dispose()


@keys_app.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored API secret under a new master key, in one transaction.

    With the key file, a new key replaces the old one in it. With TRADEWIND_SECRET_KEY,
    give the new key in TRADEWIND_NEW_SECRET_KEY (or at the prompt), then set
    TRADEWIND_SECRET_KEY to it.
    """
    out, err = Console(), Console(stderr=True)
    with user_errors(err):
        from tradewind.adapters.db.secrets import (
            key_file_path,
            rotate_key_file,
            rotate_master_key,
        )
        from tradewind.entrypoints.cli.store import open_store

        with open_store() as store:
            if store.settings.secret_key is None:
                path = key_file_path(store.settings.data_dir)
                count = rotate_key_file(store.sessions, path)
                out.print(f"re-encrypted the secrets of {count} account(s); new key in {path}")
                return
            new_key = _new_key_from_env_or_prompt()
            count = rotate_master_key(store.sessions, store.secrets, new_key.encode())
            out.print(
                f"re-encrypted the secrets of {count} account(s) under the new key; set "
                "TRADEWIND_SECRET_KEY to it before the next command"
            )


def _new_key_from_env_or_prompt() -> str:
    from tradewind.domain.errors import ConfigurationError

    new_key = os.environ.get(NEW_KEY_ENV, "").strip()
    if not new_key and sys.stdin.isatty():
        new_key = typer.prompt("new master key", hide_input=True).strip()
    if not new_key:
        raise ConfigurationError(
            f"{NEW_KEY_ENV}: the new master key is needed (make one with `tradewind keys generate`)"
        )
    return new_key


@keys_app.command("generate")
def generate() -> None:
    """Print a new random master key (for TRADEWIND_SECRET_KEY)."""
    from tradewind.adapters.db.secrets import generate_key

    typer.echo(generate_key().decode("ascii"))
