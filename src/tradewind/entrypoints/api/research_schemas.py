"""What the chart and backtest resources read and write (Create / Public), kept apart from
`schemas.py`: prices of candles and indicators are floats (market data, for drawing), while
fills and balances stay Decimal (money)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, Field

from tradewind.bot_config import BotConfig
from tradewind.entrypoints.api.schemas import Input

UnixSeconds = Annotated[int, Field(ge=0, le=4_102_444_800)]  # up to 2100-01-01


class CandlePublic(BaseModel):
    time: int  # open time, Unix seconds (UTC)
    open: float
    high: float
    low: float
    close: float
    volume: float


class MarkerPublic(BaseModel):
    time: int
    kind: str  # entry or exit
    reason: str  # entry, signal, stop_loss, take_profit, trailing_stop
    side: str
    price: Decimal
    quantity: Decimal
    realized_pnl: Decimal | None


class ChartPublic(BaseModel):
    symbol: str
    timeframe: str
    candles: list[CandlePublic]
    # One value per candle (null while the indicator is not defined yet); names starting
    # with `rsi` are oscillators (0-100), the others are drawn over the price.
    indicators: dict[str, list[float | None]]
    markers: list[MarkerPublic]
    note: str  # why the candles are missing, when they are


class BacktestCreate(Input):
    config: BotConfig
    # The data: the candle store's series of the config's market when it has one (the
    # newest `candles`), else a generated market of `candles` candles from `seed`.
    source: Annotated[str, Field(pattern="^(auto|store|generated)$")] = "auto"
    candles: Annotated[int, Field(ge=10)] = 2_000
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    initial_balance: Annotated[Decimal, Field(gt=0, le=10**12, max_digits=20)] = Decimal(10_000)
    fee_rate: Annotated[Decimal, Field(ge=0, lt=1, max_digits=12)] | None = None


class RoundTripPublic(BaseModel):
    side: str
    entry_time: int
    entry_price: Decimal
    quantity: Decimal
    exit_time: int | None
    exit_price: Decimal | None
    exit_reason: str | None
    pnl: Decimal | None


class BacktestSummaryPublic(BaseModel):
    source: str
    candles: int
    start_time: int
    end_time: int
    initial_balance: Decimal
    final_balance: Decimal
    total_pnl: Decimal
    fees: Decimal
    trades: int
    wins: int
    max_drawdown: float  # a fraction of the peak equity
    buy_and_hold: float  # the market's return over the same candles, a fraction
    open_pnl: float  # of a position still open at the end, marked to the last close
    exits_by_reason: dict[str, int]
    skipped: dict[str, int]  # entries not taken, by why
    warnings: list[str]


class EquityPointPublic(BaseModel):
    time: int
    equity: float


class BacktestResultPublic(BaseModel):
    summary: BacktestSummaryPublic
    trades: list[RoundTripPublic]
    equity: list[EquityPointPublic]  # marked to market, thinned to at most 500 points


class BacktestPublic(BaseModel):
    id: str
    status: str  # queued, running, done, failed
    submitted_at: int
    finished_at: int | None
    error: str | None
    config: BotConfig
    result: BacktestResultPublic | None
