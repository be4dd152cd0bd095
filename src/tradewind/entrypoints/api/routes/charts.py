"""A bot's chart: its market's candles, its strategy's indicators, its entries and exits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from tradewind.entrypoints.api.deps import CurrentUser, StoreDep
from tradewind.entrypoints.api.research_schemas import (
    CandlePublic,
    ChartPublic,
    MarkerPublic,
    UnixSeconds,
)
from tradewind.entrypoints.api.schemas import Id
from tradewind.ports import MarketData
from tradewind.services.charts import bot_chart

router = APIRouter(tags=["bots"])


@router.get("/bots/{bot_id}/chart", responses={401: {}, 403: {}, 404: {}})
def get_chart(
    bot_id: Id,
    request: Request,
    store: StoreDep,
    who: CurrentUser,
    limit: Annotated[int, Query(ge=2, le=1_000)] = 200,
    since: Annotated[UnixSeconds | None, Query(alias="from")] = None,
) -> ChartPublic:
    """The bot's latest closed candles (`limit`, from `from` in Unix seconds when given)
    with its strategy's indicators and its fills marked: entries, and exits by reason."""
    market: MarketData = request.app.state.market
    chart = bot_chart(
        store.manage_uow, store.clock, who.actor, market, bot_id, limit=limit, since=since
    )
    c = chart.candles
    candles = (
        []
        if c is None
        else [
            CandlePublic(
                time=int(c.open_time[i]),
                open=float(c.open[i]),
                high=float(c.high[i]),
                low=float(c.low[i]),
                close=float(c.close[i]),
                volume=float(c.volume[i]),
            )
            for i in range(len(c))
        ]
    )
    return ChartPublic(
        symbol=chart.symbol,
        timeframe=chart.timeframe,
        candles=candles,
        indicators=chart.indicators,
        markers=[
            MarkerPublic(
                time=m.time,
                kind=m.kind,
                reason=m.reason,
                side=m.side,
                price=m.price,
                quantity=m.quantity,
                realized_pnl=m.realized_pnl,
            )
            for m in chart.markers
        ],
        note=chart.note,
    )
