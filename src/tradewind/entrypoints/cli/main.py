"""The `tradewind` script: run the command asked for, importing no more than it needs.

`tradewind backtest … --quiet` whose flags all parse plainly runs without typer and rich
(`backtest_quick`): a third of a second of imports less on a command that takes well
under a second. Anything else (help, the full report, a flag typer must explain) goes
to the typer CLI (`typer_app`), built for the one command that is run. `app` is the
whole CLI, for tests.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer


def _command_named(argv: list[str]) -> str | None:
    """Return the command the arguments run, when it is a known one (after root options)."""
    from tradewind.entrypoints.cli.typer_app import COMMANDS

    for arg in argv:
        if arg.startswith("-"):
            return None  # --help, --version: the whole CLI answers
        return arg if arg in COMMANDS else None
    return None


def main() -> None:
    """Run the command line (the `tradewind` script)."""
    argv = sys.argv[1:]
    if argv[:1] == ["backtest"]:
        from tradewind.entrypoints.cli.backtest_quick import quick_backtest

        code = quick_backtest(argv[1:])
        if code is not None:
            sys.exit(code)
    from tradewind.entrypoints.cli.typer_app import build

    build(_command_named(argv))()


def __getattr__(name: str) -> Any:
    # `app` (the whole CLI) is built on first use, so `main` never pays for it.
    if name == "app":
        from tradewind.entrypoints.cli.typer_app import build

        cli: typer.Typer = build()
        return cli
    raise AttributeError(name)
