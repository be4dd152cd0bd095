"""Bots: create from a strategy's parameters, edit, delete, start, stop; their history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from tradewind.domain.limits import DayTally
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.entrypoints.api.conditional import NOT_MODIFIED, unchanged
from tradewind.entrypoints.api.deps import CurrentUser, StoreDep
from tradewind.entrypoints.api.schemas import (
    BotCreate,
    BotPublic,
    BotStatePublic,
    BotUpdate,
    DayPnlPublic,
    Id,
    OrderPublic,
    PositionPublic,
    TodayPublic,
    TradePublic,
)
from tradewind.ports import Bot
from tradewind.services import manage, overview

router = APIRouter(tags=["bots"])
_ANSWERS: dict[int | str, dict[str, object]] = {401: {}, 403: {}, 404: {}}
Limit = Annotated[int, Query(ge=1, le=500)]


def bot_public(
    bot: Bot, account: str = "", today: DayTally | None = None, warnings: list[str] | None = None
) -> BotPublic:
    state, position = bot.state, bot.state.position
    return BotPublic(
        id=bot.id,
        account_id=bot.account_id,
        account=account,
        active=bot.active,
        config=bot.config,
        state=BotStatePublic(
            status=state.status,
            reason=state.reason,
            pause_reason=None if state.pause_reason is None else state.pause_reason.value,
            last_run_at=state.last_run_at,
            last_signal=None if state.last_signal is None else state.last_signal.name,
            last_signal_at=state.last_signal_at,
            closing=state.close_requested is not None,
            position=None
            if position is None
            else PositionPublic(
                side=position.side,
                quantity=position.quantity,
                entry_price=position.entry_price,
                entry_time=position.entry_time,
            ),
        ),
        today=None
        if today is None
        else TodayPublic(day=today.day, entries=today.entries, realized_pnl=today.realized_pnl),
        warnings=warnings or [],
    )


def order_public(order: OrderRecord) -> OrderPublic:
    return OrderPublic(
        id=order.id, bot_id=order.bot_id, client_order_id=order.client_order_id,
        exchange_order_id=order.exchange_order_id, symbol=order.symbol,
        position_type=order.position_type, side=order.side, purpose=order.purpose,
        status=order.status, requested_qty=order.requested_qty, filled_qty=order.filled_qty,
        avg_price=order.avg_price, quote_qty=order.quote_qty, fee=order.fee,
        fee_asset=order.fee_asset, reason=order.reason, created_at=order.created_at,
        updated_at=order.updated_at,
    )  # fmt: skip


def trade_public(trade: TradeRecord, bot_name: str) -> TradePublic:
    return TradePublic(
        bot_id=trade.bot_id, bot=bot_name, exchange_order_id=trade.exchange_order_id,
        client_order_id=trade.client_order_id, symbol=trade.symbol, side=trade.side,
        purpose=trade.purpose, price=trade.price, quantity=trade.quantity,
        quote_quantity=trade.quote_quantity, fee=trade.fee, fee_asset=trade.fee_asset,
        realized_pnl=trade.realized_pnl, timestamp=trade.timestamp,
    )  # fmt: skip


def _view(store: StoreDep, who: CurrentUser, bot_id: int) -> BotPublic:
    (view,) = overview.bot_views(store.reading_manage_uow, store.clock, who.actor, bot_id=bot_id)
    return bot_public(view.bot, view.account, view.today)


@router.get("/bots", response_model=list[BotPublic], responses=_ANSWERS | NOT_MODIFIED)
def list_bots(
    request: Request, response: Response, store: StoreDep, who: CurrentUser
) -> list[BotPublic] | Response:
    """Your bots (an operator's: every user's) with state, position and today's tally.
    With an ETag: send it back in If-None-Match, and 304 says nothing changed."""
    tag = overview.views_tag(store.reading_manage_uow, store.clock, who.actor)
    if (same := unchanged(request, response, tag)) is not None:
        return same
    views = overview.bot_views(store.reading_manage_uow, store.clock, who.actor)
    return [bot_public(v.bot, v.account, v.today) for v in views]


@router.post("/bots", status_code=201, responses={**_ANSWERS, 409: {}})
def create_bot(body: BotCreate, store: StoreDep, who: CurrentUser) -> BotPublic:
    """Create a stopped bot on one of your accounts; `config.strategy` takes the strategy's
    parameters (GET /strategies lists them with their ranges)."""
    created = manage.create_bot(
        store.manage_uow, store.clock, store.rules_for, who.actor,
        account_id=body.account_id, config=body.config,
    )  # fmt: skip
    view = _view(store, who, created.bot.id)
    return view.model_copy(update={"warnings": created.warnings})


@router.get("/bots/{bot_id}", response_model=BotPublic, responses=_ANSWERS | NOT_MODIFIED)
def get_bot(
    bot_id: Id, request: Request, response: Response, store: StoreDep, who: CurrentUser
) -> BotPublic | Response:
    """One bot: config, state and why, position, today's tally. With an ETag, as GET /bots."""
    tag = overview.views_tag(store.reading_manage_uow, store.clock, who.actor, bot_id=bot_id)
    if (same := unchanged(request, response, tag)) is not None:
        return same
    return _view(store, who, bot_id)


@router.patch("/bots/{bot_id}", responses={**_ANSWERS, 409: {}})
def update_bot(bot_id: Id, body: BotUpdate, store: StoreDep, who: CurrentUser) -> BotPublic:
    """Change a stopped bot's settings; the whole config is checked again."""
    updated = manage.update_bot(
        store.manage_uow, store.rules_for, who.actor, bot_id,
        changes=body.changes(), account_id=body.account_id,
    )  # fmt: skip
    return _view(store, who, bot_id).model_copy(update={"warnings": updated.warnings})


@router.delete("/bots/{bot_id}", status_code=204, responses={**_ANSWERS, 409: {}})
def delete_bot(bot_id: Id, store: StoreDep, who: CurrentUser) -> None:
    """Delete a bot that holds no position and has no order unsettled; its history stays."""
    manage.delete_bot(store.manage_uow, store.clock, who.actor, bot_id)


@router.post("/bots/{bot_id}/start", responses={**_ANSWERS, 409: {}})
def start_bot(bot_id: Id, store: StoreDep, who: CurrentUser) -> BotPublic:
    """Let the scheduler run the bot."""
    manage.start_bot(store.manage_uow, who.actor, bot_id)
    return _view(store, who, bot_id)


@router.post("/bots/{bot_id}/stop", responses=_ANSWERS)
def stop_bot(bot_id: Id, store: StoreDep, who: CurrentUser) -> BotPublic:
    """Stop the bot; an open position stays open, and protected, on the exchange."""
    manage.stop_bot(store.manage_uow, who.actor, bot_id)
    return _view(store, who, bot_id)


@router.post("/bots/{bot_id}/close", status_code=202, responses={**_ANSWERS, 409: {}})
def close_position(bot_id: Id, store: StoreDep, who: CurrentUser) -> BotPublic:
    """Close the bot's position now with a MARKET order: the bot's next tick (within a
    minute) sends it, after cancelling its resting exits; the trade's reason is `manual`.
    A stopped bot runs until it is flat, then stops again. Asking twice is one request;
    409 when the bot holds no position."""
    manage.close_position(store.manage_uow, who.actor, bot_id)
    return _view(store, who, bot_id)


@router.get("/bots/{bot_id}/orders", responses=_ANSWERS)
def bot_orders(
    bot_id: Id, store: StoreDep, who: CurrentUser, limit: Limit = 50
) -> list[OrderPublic]:
    """The bot's latest orders, newest first."""
    history = overview.orders(store.manage_uow, who.actor, bot_id=bot_id, limit=limit)
    return [order_public(o) for o in history.records]


@router.get("/bots/{bot_id}/trades", responses=_ANSWERS)
def bot_trades(
    bot_id: Id, store: StoreDep, who: CurrentUser, limit: Limit = 50
) -> list[TradePublic]:
    """The bot's latest trades, newest first."""
    history = overview.trades(store.manage_uow, who.actor, bot_id=bot_id, limit=limit)
    return [trade_public(t, history.bot_name(t.bot_id)) for t in history.records]


@router.get("/bots/{bot_id}/pnl", responses=_ANSWERS)
def bot_pnl(bot_id: Id, store: StoreDep, who: CurrentUser) -> list[DayPnlPublic]:
    """The bot's realized PnL per UTC day, and cumulative."""
    days = overview.pnl_by_day(store.manage_uow, who.actor, bot_id=bot_id)
    return [DayPnlPublic(day=d.day, realized=d.realized, cumulative=d.cumulative) for d in days]


@router.get("/orders", responses=_ANSWERS)
def orders(store: StoreDep, who: CurrentUser, limit: Limit = 50) -> list[OrderPublic]:
    """Your latest orders, newest first."""
    history = overview.orders(store.manage_uow, who.actor, limit=limit)
    return [order_public(o) for o in history.records]


@router.get("/trades", responses=_ANSWERS)
def trades(store: StoreDep, who: CurrentUser, limit: Limit = 50) -> list[TradePublic]:
    """Your latest trades, newest first."""
    history = overview.trades(store.manage_uow, who.actor, limit=limit)
    return [trade_public(t, history.bot_name(t.bot_id)) for t in history.records]


@router.get("/pnl", responses=_ANSWERS)
def pnl(store: StoreDep, who: CurrentUser) -> list[DayPnlPublic]:
    """Your realized PnL per UTC day, and cumulative."""
    days = overview.pnl_by_day(store.manage_uow, who.actor)
    return [DayPnlPublic(day=d.day, realized=d.realized, cumulative=d.cumulative) for d in days]
