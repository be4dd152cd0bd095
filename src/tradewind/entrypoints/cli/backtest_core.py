"""What `tradewind backtest` does once its flags are read, typer and rich aside: build the
request, run it, write the trade file and the chart, say the one-line JSON summary.
Both the typer command and the quick path (`backtest_quick`) run through here."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tradewind.services.backtest.request import BacktestOutcome, ProgressFactory


@dataclass(frozen=True, slots=True)
class BacktestArgs:
    """The backtest's own flags, as given (the bot config's are `config_fields`)."""

    config_fields: dict[str, object]
    csv: Path | None = None
    config: Path | None = None
    exchange_info: Path | None = None
    candles: int = 43_200
    seed: int = 7
    generated: bool = False
    initial_balance: str = "10000"
    fee_rate: str | None = None
    trades_out: Path | None = None
    plot: Path | None = None


def run_backtest_args(args: BacktestArgs, progress: ProgressFactory | None) -> BacktestOutcome:
    """Validate the flags (a clear error naming the flag), run the backtest, write files."""
    from tradewind.bootstrap.backtest import backtest_sources
    from tradewind.services.backtest.request import BacktestRequest, run_request

    request = BacktestRequest(
        csv=args.csv,
        config_file=args.config,
        exchange_info=args.exchange_info,
        generated_candles=args.candles,
        seed=args.seed,
        initial_balance=decimal_flag("--initial-balance", args.initial_balance),
        fee_rate=None if args.fee_rate is None else decimal_flag("--fee-rate", args.fee_rate),
        config_fields=args.config_fields,
        read_store=not args.generated,
        plain_config=True,
    )
    outcome = run_request(request, backtest_sources(), progress)
    if args.trades_out is not None:
        from tradewind.entrypoints.cli.trade_files import write_trades

        write_trades(outcome.result.trades, args.trades_out)
    if args.plot is not None:
        from tradewind.entrypoints.cli.charts import write_chart

        write_chart(outcome, args.plot)
    return outcome


def print_summary_json(outcome: BacktestOutcome, elapsed: float) -> None:
    """Print the `--quiet` one-line JSON summary."""
    from tradewind.entrypoints.cli.render import summary_json

    sys.stdout.write(json.dumps(summary_json(outcome, elapsed)) + "\n")


def decimal_flag(flag: str, text: str) -> Decimal:
    """Read a money flag: a finite number >= 0 within the amounts tradewind takes."""
    from tradewind.domain.bounds import check_amount, shown
    from tradewind.domain.errors import ConfigurationError

    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigurationError(f"{flag}: must be a number, got {shown(text)}") from None
    if not value.is_finite() or value < 0:
        raise ConfigurationError(f"{flag}: must be a finite number >= 0, got {shown(text)}")
    return check_amount(flag, value, allow_zero=True)
