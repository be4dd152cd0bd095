"""Write a backtest's trade list as CSV or JSON; the format follows the file's suffix."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from tradewind.domain.errors import ConfigurationError
from tradewind.services.backtest.result import RoundTrip

FIELDS = (
    "side", "entry_time", "entry_price", "quantity", "held_quantity", "entry_fee",
    "exit_time", "exit_price", "exit_fee", "exit_reason", "pnl",
)  # fmt: skip


def _iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def trade_row(trade: RoundTrip) -> dict[str, str | None]:
    """Return one round trip as strings; Decimals keep every digit."""

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(value)

    return {
        "side": trade.side.value,
        "entry_time": _iso(trade.entry_time),
        "entry_price": text(trade.entry_price),
        "quantity": text(trade.quantity),
        # What the position held and its exit sold: a spot buy's quantity less its base fee.
        "held_quantity": text(trade.position_quantity),
        "entry_fee": text(trade.entry_fee),
        "exit_time": _iso(trade.exit_time),
        "exit_price": text(trade.exit_price),
        "exit_fee": text(trade.exit_fee),
        "exit_reason": None if trade.exit_reason is None else trade.exit_reason.value,
        "pnl": text(trade.pnl),
    }


def write_trades(trades: list[RoundTrip], path: Path) -> None:
    """Write the trades to `path` (.csv or .json), refusing any other suffix."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ConfigurationError(f"--trades-out {path}: the file must end in .csv or .json")
    rows = [trade_row(t) for t in trades]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".json":
            path.write_text(json.dumps(rows, indent=1) + "\n")
            return
        with path.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    except OSError as e:
        raise ConfigurationError(f"--trades-out {path}: cannot write ({e.strerror})") from e
