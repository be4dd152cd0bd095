"""Turn user mistakes into one clear message and exit code 2, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console

from tradewind.bot_config import format_validation_error
from tradewind.domain.errors import TradewindError

USER_ERROR = 2


@contextmanager
def user_errors(console: Console) -> Iterator[None]:
    """Report tradewind and validation errors as `error: …` lines and exit with code 2."""
    try:
        yield
    except ValidationError as e:
        _fail(console, "invalid bot config:\n" + format_validation_error(e))
    except TradewindError as e:
        _fail(console, str(e))


def _fail(console: Console, message: str) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(USER_ERROR)
