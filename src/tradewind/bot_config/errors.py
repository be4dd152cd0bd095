"""Validation errors of a bot config as the user reads them: one line per problem."""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from tradewind.bot_config.model import BotConfig
from tradewind.bot_config.plain import ALIASES
from tradewind.bot_config.strategy import unknown_parameter
from tradewind.domain.bounds import shown
from tradewind.domain.strategies import STRATEGIES

# Errors whose `ctx["field"]` names the field below their location (a strategy parameter
# broke a rule between parameters; a flat parameter name could not be placed).
_NAMED_IN_CONTEXT = frozenset(("strategy_param", "strategy_alias"))


def format_validation_error(e: ValidationError) -> str:
    """Return one line per problem: `field: rule (got value)`, without pydantic's URLs.

    A strategy parameter is shown as `strategy.<parameter>`.
    """
    lines = []
    for err in e.errors(include_url=False):
        loc, strategy = _location(err)
        field = ".".join(loc) or "config"
        kind = err["type"]
        if kind == "missing":
            text = "is required"
        elif kind == "extra_forbidden" and strategy is not None:
            text = unknown_parameter(strategy, loc[-1])
        elif kind == "extra_forbidden":
            known = [*BotConfig.model_fields, *ALIASES]
            close = difflib.get_close_matches(loc[-1], known, n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            text = f"unknown field{hint}"
        else:
            text = _as_rule(err["msg"])
            if "(got " not in text and kind not in _NAMED_IN_CONTEXT:
                text += f" (got {_show(err['input'])})"
        lines.append(f"{field}: {text}")
    return "\n".join(lines)


def _location(err: Any) -> tuple[list[str], str | None]:
    """Return the error's field path without the union's tag, and the strategy it is in."""
    loc = [str(part) for part in err["loc"]]
    strategy = None
    if len(loc) >= 2 and loc[0] == "strategy" and loc[1] in STRATEGIES:
        strategy = loc.pop(1)  # pydantic puts the tag of the strategy's model there
    if err["type"] in _NAMED_IN_CONTEXT:
        loc.append(str(err["ctx"]["field"]))
    return loc, strategy


def _as_rule(message: str) -> str:
    for prefix, replacement in (
        ("Input should be", "must be"),
        ("Decimal input should have", "must have"),
        ("Value error, ", ""),
    ):
        if message.startswith(prefix):
            message = replacement + message[len(prefix) :]
    return message[:1].lower() + message[1:]


def _show(value: object) -> str:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return str(value)
    return shown(value) if isinstance(value, str) else shown(repr(value))
