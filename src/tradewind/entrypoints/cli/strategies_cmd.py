"""`tradewind strategies`: the registered strategies with their parameters."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from tradewind.domain.strategies import DEFAULT_STRATEGY, STRATEGIES, ParamInfo, params_of


def strategies() -> None:
    """List the strategies a bot can trade, with each parameter's default and range."""
    out = Console()
    for name, strategy in sorted(STRATEGIES.items(), key=lambda item: item[0] != DEFAULT_STRATEGY):
        default = " (the default)" if name == DEFAULT_STRATEGY else ""
        table = Table(
            title=f"[bold]{name}[/]{default}: {strategy.summary}",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            highlight=False,
        )
        for column in ("parameter", "type", "default", "range", "description"):
            table.add_column(column, overflow="fold")
        for info in params_of(strategy.params_type):
            table.add_row(
                info.name, info.type.__name__, _shown(info), info.spec.bounds() or "any",
                _described(info),
            )  # fmt: skip
        out.print(table)
    out.print(
        "Choose with --strategy NAME and set parameters with --param KEY=VALUE "
        "(tradewind backtest, tradewind bot create), or in a config file:\n"
        '  strategy = { name = "ema_rsi", ema_fast = 5 }'
    )


def _shown(info: ParamInfo) -> str:
    return f"{info.default:g}" if isinstance(info.default, float) else str(info.default)


def _described(info: ParamInfo) -> str:
    alias = info.spec.alias
    return info.spec.description + (f" (also --{alias.replace('_', '-')})" if alias else "")
