"""`tradewind backtest … --quiet` without typer and rich.

The quiet backtest prints one JSON line; typer and rich are a third of a second of its
imports. When every argument is a plain `--flag value` (or `--quiet`, `-q`,
`--generated`) of the backtest command, this reads them and runs the same code as the
typer command (`backtest_core`), the values still checked where they always are: the bot
config by `BotConfig`, the money flags by `backtest_core`, the candles and rules by their
readers; an error prints as `error: …` on stderr with exit code 2, as the typer command
prints it. Anything else (help, the full report, `--flag=value`, `--param`, a number
typer must refuse, an unknown flag) returns None and the typer command handles it.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

from tradewind.entrypoints.cli.backtest_core import (
    BacktestArgs,
    print_summary_json,
    run_backtest_args,
)

USER_ERROR = 2
_PATHS = frozenset(("csv", "config", "exchange_info", "trades_out", "plot"))
_TEXTS = frozenset(("initial_balance", "fee_rate"))
# int options with typer's bounds: (lowest, highest or None)
_INTS: dict[str, tuple[int, int | None]] = {
    "candles": (100, 20_000_000),
    "seed": (-(2**63), None),
    "show_trades": (0, None),
}
_SWITCHES = {"--quiet": "quiet", "-q": "quiet", "--generated": "generated"}
_NOT_FLAGS = frozenset(("auto_transfer_funds", "transfer_amount", "strategy"))


def quick_backtest(argv: list[str]) -> int | None:
    """Run a quiet backtest and return its exit code, or None to leave it to typer."""
    started = time.perf_counter()
    parsed = parse(argv)
    if parsed is None:
        return None
    own, config_fields = parsed
    # No cycle collection while it runs: the imports and the walk's objects set off some
    # eighty collections that find next to nothing (a few hundred objects) and cost 2-3 %
    # of the run's CPU time; whatever cycles it leaves are few and die with the process.
    collecting = gc.isenabled()
    gc.disable()
    try:
        outcome = run_backtest_args(BacktestArgs(config_fields, **own), None)
        print_summary_json(outcome, time.perf_counter() - started)
    except Exception as error:  # what is not the user's mistake is re-raised below
        message = user_message(error)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return USER_ERROR
    finally:
        if collecting:
            gc.enable()
    return 0


def parse(argv: list[str]) -> tuple[dict[str, Any], dict[str, object]] | None:
    """Return the backtest's own flags and the bot config fields, or None when any
    argument is not one this path reads plainly."""
    from tradewind.bot_config.plain import ALIASES, FIELDS

    # `BotConfig`'s fields (the plain config has the same), switches aside.
    config_names = (FIELDS - _NOT_FLAGS) | set(ALIASES)
    own: dict[str, Any] = {}
    fields: dict[str, object] = {}
    strategy: dict[str, object] = {}
    switches: set[str] = set()
    i = 0
    while i < len(argv):
        token = argv[i]
        if token in _SWITCHES:
            switches.add(_SWITCHES[token])
            i += 1
            continue
        if not token.startswith("--") or "=" in token or i + 1 == len(argv):
            return None
        name, value = token[2:].replace("-", "_"), argv[i + 1]
        i += 2
        if value.startswith("-") and not _is_number(value):
            return None  # a flag where a value belongs: typer says what is wrong
        if name == "param":
            return None  # `--param KEY=VALUE` is read (and its mistakes told) by typer's path
        seen = own if name in _PATHS | _TEXTS | _INTS.keys() else fields
        if name in seen or (name == "strategy" and strategy):
            return None  # given twice: typer's rule (the last wins) stays typer's
        if name in _PATHS:
            own[name] = Path(value)
        elif name in _TEXTS:
            own[name] = value
        elif name in _INTS:
            number = _bounded_int(value, *_INTS[name])
            if number is None:
                return None
            own[name] = number
        elif name == "strategy":
            strategy["name"] = value
        elif name in config_names:
            fields[name] = value
        else:
            return None
    if "quiet" not in switches:
        return None
    own.pop("show_trades", None)  # the quiet summary lists no trades
    own["generated"] = "generated" in switches
    if strategy:
        fields["strategy"] = strategy
    return own, fields


def user_message(error: Exception) -> str | None:
    """Return the message the typer command prints for a user's mistake, or None."""
    from tradewind.domain.errors import TradewindError

    if isinstance(error, TradewindError):
        return str(error)
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        from tradewind.bot_config import format_validation_error

        return "invalid bot config:\n" + format_validation_error(error)
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _bounded_int(text: str, lowest: int, highest: int | None) -> int | None:
    try:
        number = int(text)
    except ValueError:
        return None
    if number < lowest or (highest is not None and number > highest):
        return None
    return number
