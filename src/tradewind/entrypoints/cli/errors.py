"""Turn user mistakes into one clear message and exit code 2, never a traceback.

The services' messages are plain (they name the field, never a flag); a command adds its
own hints: `user_errors(console, {Conflict: "delete with --force …"})`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from tradewind.domain.errors import TradewindError

USER_ERROR = 2

Hints = Mapping[type[TradewindError], str]


@contextmanager
def user_errors(console: Console, hints: Hints | None = None) -> Iterator[None]:
    """Report tradewind and validation errors as `error: …` lines and exit with code 2.

    An error of a type in `hints` gets that hint on a line of its own.
    """
    try:
        yield
    except TradewindError as e:
        hint = next((text for kind, text in (hints or {}).items() if isinstance(e, kind)), None)
        _fail(console, str(e), hint)
    except Exception as e:
        # Imported here, not above: pydantic is loaded already by whatever raised one, and
        # `tradewind --help` never pays for it.
        from pydantic import ValidationError

        if not isinstance(e, ValidationError):
            raise
        from tradewind.bot_config import format_validation_error

        _fail(console, "invalid bot config:\n" + format_validation_error(e))


def _fail(console: Console, message: str, hint: str | None = None) -> None:
    # soft_wrap: a line of the message stays one line (for grep and logs), whatever the width.
    console.print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True
    )
    if hint is not None:
        console.print(f"[bold]hint:[/] {escape(hint)}", highlight=False, markup=True)
    raise typer.Exit(USER_ERROR)
