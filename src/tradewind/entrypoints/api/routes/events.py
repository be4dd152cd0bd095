"""Live updates over Server-Sent Events: the user's bots as they change, and new trades.

Each stream looks at the database every `TRADEWIND_EVENTS_POLL_SECONDS`, as the one it
serves may see it, and sends what changed since its last look. Polling, not a message bus:
any API process can serve any stream. A look first reads the user's change marker (one
small query: see `overview.change_marker`); only when it moved does it read the bots and
trades, with the same queries as GET /bots, so a thousand idle streams cost a thousand
small reads, not a thousand overviews. The credentials are checked again on every look,
so a revoked token or an ended session stops its stream at once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from tradewind.bootstrap.store import Store
from tradewind.domain.errors import TradewindError
from tradewind.entrypoints.api.deps import CurrentUser, StoreDep, authenticate
from tradewind.entrypoints.api.routes.bots import bot_public, trade_public
from tradewind.services import overview

router = APIRouter(tags=["events"])
TRADES_LOOKED_AT = 50


def _event(kind: str, data: str) -> str:
    return f"event: {kind}\ndata: {data}\n\n"


Look = tuple[overview.ChangeMarker, dict[int, str], list[tuple[str, str]]]


def _look(request: Request, store: Store, last: overview.ChangeMarker | None) -> Look | None:
    """Return each bot the requester may see as JSON, and the latest trades (key, JSON),
    with the marker they were read at; None when the marker is still `last`."""
    who = authenticate(request, store)
    # The marker first: a change committed between the two reads shows in the overview
    # and moves the marker again, so the next look reads once more; never the reverse.
    marker = overview.change_marker(store.reading_manage_uow, store.clock, who.actor)
    if marker == last:
        return None
    views, history = overview.bots_and_trades(
        store.reading_manage_uow, store.clock, who.actor, trades=TRADES_LOOKED_AT
    )
    bots = {v.bot.id: bot_public(v.bot, v.account, v.today).model_dump_json() for v in views}
    trades = [
        (f"{t.bot_id}:{t.exchange_order_id}", trade_public(t, history.bot_name(t.bot_id)))
        for t in reversed(history.records)
    ]
    return marker, bots, [(key, trade.model_dump_json()) for key, trade in trades]


async def _stream(request: Request, store: Store) -> AsyncIterator[str]:
    shown_bots: dict[int, str] = {}
    shown_trades: set[str] | None = None  # None: the first look only remembers them
    marker: overview.ChangeMarker | None = None
    yield "retry: 3000\n\n"
    while not await request.is_disconnected():
        try:
            look = await run_in_threadpool(_look, request, store, marker)
        except TradewindError as e:  # signed out, token revoked or expired, user disabled
            yield _event("end", json.dumps({"detail": str(e)}))
            return
        if look is not None:
            marker, bots, trades = look
            for bot_id, data in bots.items():
                if shown_bots.get(bot_id) != data:
                    yield _event("bot", data)
            for bot_id in shown_bots.keys() - bots.keys():
                yield _event("bot_deleted", json.dumps({"id": bot_id}))
            shown_bots = bots
            if shown_trades is not None:
                for key, data in trades:
                    if key not in shown_trades:
                        yield _event("trade", data)
            shown_trades = {key for key, _ in trades} | (shown_trades or set())
        yield ": looked\n\n"  # a comment: keeps proxies from closing an idle stream
        await asyncio.sleep(store.settings.events_poll_seconds)


@router.get("/events", include_in_schema=False)
async def events(request: Request, store: StoreDep, who: CurrentUser) -> StreamingResponse:
    """Server-Sent Events: `bot` (a bot as GET /bots/{id} shows it, sent at the start and on
    every change), `bot_deleted`, `trade` (each new fill), and `end` when the credentials
    stop being valid. Not in the OpenAPI document: it never ends on its own."""
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(
        _stream(request, store), media_type="text/event-stream", headers=headers
    )
