"""`tradewind optimize`: search a strategy's parameters and exits, walk-forward validated."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from tradewind.entrypoints.cli.backtest_core import decimal_flag as _decimal
from tradewind.entrypoints.cli.config_options import ConfigFlags, with_config_options
from tradewind.entrypoints.cli.errors import user_errors

if TYPE_CHECKING:
    from tradewind.services.optimize import OptimizeOutcome

_DATA = "Data (as for backtest)"
_SEARCH = "Search"
_OUT = "Output"
Opt = typer.Option
PROGRESS_EVERY_SECONDS = 2.0


@with_config_options(
    panel="Base bot config (overrides --config)",
    skip=frozenset(("auto_transfer_funds", "transfer_amount")),
    defaults={"name": "backtest", "symbol": "BTCUSDT", "position_type": "spot",
              "timeframe": "1m, or the --csv file's"},
)  # fmt: skip
def optimize(
    config_flags: ConfigFlags,
    vary: Annotated[
        list[str],
        Opt(
            metavar="NAME=SPEC",
            help="An axis: a strategy parameter or stop_loss/take_profit/trailing_stop, "
            "with values a,b,c or a range low:high:step (repeatable).",
            rich_help_panel=_SEARCH,
        ),
    ],
    search: Annotated[
        str, Opt(help="grid, random or tpe (Optuna).", rich_help_panel=_SEARCH)
    ] = "grid",
    trials: Annotated[
        int, Opt(min=1, help="Sets to try with random or tpe.", rich_help_panel=_SEARCH)
    ] = 100,
    objective: Annotated[
        str,
        Opt(
            help="Out-of-sample objective to rank by: return, sharpe, sortino, "
            "profit_factor, expectancy, calmar.",
            rich_help_panel=_SEARCH,
        ),
    ] = "return",
    folds: Annotated[
        int, Opt(min=1, max=50, help="Walk-forward folds.", rich_help_panel=_SEARCH)
    ] = 3,
    in_out_ratio: Annotated[
        float, Opt(help="In-sample length ÷ out-of-sample length.", rich_help_panel=_SEARCH)
    ] = 3.0,
    holdout: Annotated[
        float,
        Opt(help="Share of the candles held out at the end.", rich_help_panel=_SEARCH),
    ] = 0.2,
    workers: Annotated[
        int | None,
        Opt(min=1, help="Processes (default: every core).", rich_help_panel=_SEARCH),
    ] = None,
    seed: Annotated[int, Opt(help="Seed of random and tpe.", rich_help_panel=_SEARCH)] = 7,
    csv_file: Annotated[
        Path | None, Opt("--csv", help="Candle CSV (else the store).", rich_help_panel=_DATA)
    ] = None,
    config: Annotated[Path | None, Opt(help="TOML base bot config.", rich_help_panel=_DATA)] = None,
    exchange_info: Annotated[
        Path | None, Opt(help="Binance exchangeInfo JSON.", rich_help_panel=_DATA)
    ] = None,
    initial_balance: Annotated[
        str, Opt(metavar="USDT", help="Starting quote balance.", rich_help_panel=_DATA)
    ] = "10000",
    fee_rate: Annotated[
        str | None, Opt(metavar="RATE", help="Taker fee per fill.", rich_help_panel=_DATA)
    ] = None,
    table: Annotated[
        Path, Opt(help="Write every set's scores to this CSV.", rich_help_panel=_OUT)
    ] = Path("optimize.csv"),
    best_config: Annotated[
        Path,
        Opt(help="Write the best set as a bot config TOML.", rich_help_panel=_OUT),
    ] = Path("best.toml"),
    heatmap: Annotated[
        Path | None,
        Opt(help="Draw two axes' out-of-sample scores to this PNG.", rich_help_panel=_OUT),
    ] = None,
    heatmap_axes: Annotated[
        str | None,
        Opt(
            metavar="X,Y", help="The heatmap's axes (default: the first two).", rich_help_panel=_OUT
        ),
    ] = None,
    show: Annotated[int, Opt(min=0, help="Sets to list.", rich_help_panel=_OUT)] = 10,
    quiet: Annotated[
        bool, Opt("--quiet", "-q", help="Print only a JSON summary.", rich_help_panel=_OUT)
    ] = False,
) -> None:
    """Search parameters and exits; rank by out-of-sample results; write the best config."""
    started = time.monotonic()
    console = Console(stderr=quiet)
    with user_errors(Console(stderr=True)):
        from tradewind.bootstrap.backtest import backtest_sources
        from tradewind.domain.errors import ConfigurationError
        from tradewind.services.backtest.request import BacktestRequest
        from tradewind.services.optimize import OptimizeRequest, optimize

        if search not in ("grid", "random", "tpe"):
            raise ConfigurationError(f"--search: grid, random or tpe (got {search!r})")
        request = OptimizeRequest(
            backtest=BacktestRequest(
                csv=csv_file, config_file=config, exchange_info=exchange_info,
                generated_candles=43_200, seed=seed,
                initial_balance=_decimal("--initial-balance", initial_balance),
                fee_rate=None if fee_rate is None else _decimal("--fee-rate", fee_rate),
                config_fields=config_flags.fields(),
            ),
            params=vary, search=search, trials=trials, seed=seed, folds=folds,  # type: ignore[arg-type]
            in_out_ratio=in_out_ratio, holdout=holdout, objective=objective, workers=workers,
        )  # fmt: skip
        outcome = optimize(request, backtest_sources(), _progress(Console(stderr=True), quiet))
        _write_table(outcome, table)
        if outcome.best_config is not None:
            _write_best(outcome, best_config)
        if heatmap is not None:
            from tradewind.entrypoints.cli.optimize_heatmap import write_heatmap

            pair: tuple[str, str] | None = None
            if heatmap_axes is not None:
                x_axis, _, y_axis = heatmap_axes.partition(",")
                pair = (x_axis.strip(), y_axis.strip())
            write_heatmap(outcome, heatmap, pair)
        elapsed = time.monotonic() - started
        if quiet:
            sys.stdout.write(json.dumps(_summary(outcome, table, best_config, elapsed)) + "\n")
            return
        from tradewind.entrypoints.cli.optimize_tables import render_outcome

        render_outcome(console, outcome, show, table, best_config, elapsed)


def _progress(console: Console, quiet: bool) -> Any:
    last = [time.monotonic()]

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if not quiet and (now - last[0] >= PROGRESS_EVERY_SECONDS):
            last[0] = now
            console.print(f"optimizing: {done:,} of {total:,} parameter sets")

    return show


def _write_table(outcome: OptimizeOutcome, path: Path) -> None:
    from tradewind.services.optimize import params_table

    rows = params_table(outcome)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        if rows:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)


def _write_best(outcome: OptimizeOutcome, path: Path) -> None:
    from tradewind.bot_config import bot_config_toml

    assert outcome.best_config is not None
    best = outcome.ranked[0]
    comment = (
        f"Best of {len(outcome.ranked):,} parameter sets by out-of-sample {outcome.objective}, "
        f"{len(outcome.plan.folds)} walk-forward folds on {outcome.source}.\n"
        f"in-sample {best.in_mean}, out-of-sample {best.out_mean}, "
        f"held-out {outcome.holdout_value}\n"
        "Use it: tradewind bot create --user EMAIL --config THIS_FILE"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(bot_config_toml(outcome.best_config, comment), encoding="utf-8")


def _summary(
    outcome: OptimizeOutcome, table: Path, best_config: Path, elapsed: float
) -> dict[str, Any]:
    best = outcome.ranked[0] if outcome.ranked else None
    return {
        "sets": len(outcome.ranked) + len(outcome.invalid),
        "invalid": len(outcome.invalid),
        "objective": outcome.objective,
        "best_params": None
        if best is None
        else {k: None if v is None else str(v) for k, v in best.params.items()},
        "best_in_sample": None if best is None else best.in_mean,
        "best_out_of_sample": None if best is None else best.out_mean,
        "holdout": outcome.holdout_value,
        "holdout_trades": outcome.holdout_trades,
        "warnings": outcome.warnings,
        "table": str(table),
        "best_config": str(best_config) if best is not None else None,
        "workers": outcome.workers,
        "elapsed_s": round(elapsed, 3),
    }
