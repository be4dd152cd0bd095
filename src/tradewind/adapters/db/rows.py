"""Translation between table rows and the records of the ports, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from tradewind.adapters.db.tables import AccountRow, TradeRow, UserRow
from tradewind.bot_config import BotConfig, format_validation_error
from tradewind.domain.accounts import Account, ExchangeKind, User
from tradewind.domain.bots import BotState, BotStatus, CloseRequest, OpenPosition
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.limits import PauseReason
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.records import OrderRecord, TradeRecord
from tradewind.domain.types import PositionSide, PositionType, Side, Signal, Symbol
from tradewind.domain.watched_exits import Watch
from tradewind.ports import Bot

# The bot_configs columns that hold a config: every field but the strategy under its own
# name, the strategy as its name and its parameters (`strategy_params`, JSON).
CONFIG_FIELDS = (*BotConfig.model_fields, "strategy_params")
# A row read by an ORM query, or a Core row with the same column names: both are read by
# attribute, so one translation serves the management commands and the tick's Core reads.
RowLike = Any


def _value(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


# --- Users and accounts ------------------------------------------------------------------


def user_from(row: UserRow) -> User:
    return User(id=row.id, email=row.email, name=row.name, created_at=row.created_at)


def balances_json(
    balances: Mapping[PositionType, Mapping[str, Decimal]],
) -> dict[str, dict[str, str]]:
    return {
        PositionType(wallet).value: {asset: format(amount, "f") for asset, amount in assets.items()}
        for wallet, assets in balances.items()
    }


def balances_from(
    document: Mapping[str, Mapping[str, str]] | None,
) -> dict[PositionType, dict[str, Decimal]]:
    """Return the paper balances stored as JSON (decimal strings) as Decimals."""
    return {
        PositionType(wallet): {asset: Decimal(amount) for asset, amount in assets.items()}
        for wallet, assets in (document or {}).items()
    }


def account_from(row: AccountRow) -> Account:
    balances = balances_from(row.paper_balances)
    return Account(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        kind=ExchangeKind.parse(row.kind),
        testnet=row.testnet,
        has_api_key=row.has_api_key,
        paper_balances=balances,
        created_at=row.created_at,
    )


# --- Bots --------------------------------------------------------------------------------


def config_columns(config: BotConfig) -> dict[str, object]:
    columns = {name: _value(getattr(config, name)) for name in BotConfig.model_fields}
    return columns | {
        "strategy": config.strategy.name,
        "strategy_params": config.strategy.param_values(),
    }


def config_from(row: RowLike) -> BotConfig:
    """Return the validated config of a bot row; equal rows share one (frozen) config."""
    values = tuple(getattr(row, name) for name in CONFIG_FIELDS)
    try:
        return _validated_config(values[:-1], tuple(sorted(values[-1].items())))
    except ValidationError as e:
        raise ConfigurationError(
            f"bot {row.id}: the stored config is no longer valid:\n{format_validation_error(e)}"
        ) from e


@lru_cache(maxsize=8192)
def _validated_config(values: tuple[object, ...], params: tuple[tuple[str, Any], ...]) -> BotConfig:
    # Every tick reads its bot's config; validating it once per distinct row keeps the
    # checks without paying for them at every tick. A changed row is a new key.
    fields = dict(zip(BotConfig.model_fields, values, strict=True))
    fields["strategy"] = {"name": fields["strategy"], **dict(params)}
    return BotConfig.model_validate(fields)


def state_columns(state: BotState) -> dict[str, Any]:
    position = state.position
    columns: dict[str, Any] = {
        "status": state.status.value,
        "reason": state.reason,
        "pause_reason": _value(state.pause_reason),
        "last_run_at": state.last_run_at,
        "last_slot": state.last_slot,
        "last_signal": None if state.last_signal is None else Signal(state.last_signal).name,
        "last_signal_at": state.last_signal_at,
    }
    if position is None:
        return columns | dict.fromkeys(
            (
                "position_side",
                "position_quantity",
                "position_entry_price",
                "position_entry_time",
                "position_entry_fee",
                "position_entry_client_order_id",
                "position_protection",
            )
        )
    return columns | {
        "position_side": position.side.value,
        "position_quantity": position.quantity,
        "position_entry_price": position.entry_price,
        "position_entry_time": position.entry_time,
        "position_entry_fee": position.entry_fee,
        "position_entry_client_order_id": position.entry_client_order_id,
        "position_protection": {
            OrderPurpose(purpose).value: client_id
            for purpose, client_id in position.protection.items()
        }
        | _watch_document(position.watch),
    }


# The bot's own watch over exits the exchange cannot rest is kept in the same document as
# the resting ones, under a key no order purpose has.
_WATCH = "watched_by_bot"


def _watch_document(watch: Watch | None) -> dict[str, object]:
    if watch is None:
        return {}
    purposes = sorted(p.value for p in watch.purposes)
    return {_WATCH: {"purposes": purposes, "peak": str(watch.peak), "until": watch.until}}


def _watch_of(document: dict[str, Any] | None) -> Watch | None:
    kept = (document or {}).get(_WATCH)
    if not isinstance(kept, dict):
        return None
    purposes = frozenset(OrderPurpose(p) for p in kept["purposes"])
    return Watch(purposes, Decimal(str(kept["peak"])), int(kept["until"]))


def state_from(row: RowLike) -> BotState:
    position = None
    if row.position_side is not None:
        position = OpenPosition(
            side=PositionSide(row.position_side),
            quantity=_required(row.position_quantity),
            entry_price=_required(row.position_entry_price),
            entry_time=row.position_entry_time or 0,
            entry_fee=row.position_entry_fee or Decimal(0),
            entry_client_order_id=row.position_entry_client_order_id or "",
            protection={
                OrderPurpose(purpose): str(client_id)
                for purpose, client_id in (row.position_protection or {}).items()
                if purpose != _WATCH
            },
            watch=_watch_of(row.position_protection),
        )
    return BotState(
        status=BotStatus(row.status),
        reason=row.reason,
        pause_reason=None if row.pause_reason is None else PauseReason(row.pause_reason),
        last_run_at=row.last_run_at,
        last_slot=row.last_slot,
        last_signal=None if row.last_signal is None else Signal[row.last_signal],
        last_signal_at=row.last_signal_at,
        position=position,
        close_requested=None if row.close_requested is None else CloseRequest(row.close_requested),
    )


def _required(amount: Decimal | None) -> Decimal:
    if amount is None:
        raise ConfigurationError("bot state: a position without quantity or entry price")
    return amount


def bot_from(config: RowLike, state: RowLike) -> Bot:
    return Bot(
        id=config.id,
        user_id=config.user_id,
        account_id=config.account_id,
        config=config_from(config),
        active=config.active,
        state=state_from(state),
    )


# --- Orders and trades -------------------------------------------------------------------


def order_columns(order: OrderRecord) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "exchange_order_id": order.exchange_order_id,
        "bot_id": order.bot_id,
        "user_id": order.user_id,
        "symbol": order.symbol,
        "position_type": order.position_type.value,
        "side": order.side.value,
        "purpose": order.purpose.value,
        "status": order.status.value,
        "requested_qty": order.requested_qty,
        "filled_qty": order.filled_qty,
        "avg_price": order.avg_price,
        "quote_qty": order.quote_qty,
        "fee": order.fee,
        "fee_asset": order.fee_asset,
        "reason": order.reason,
        "raw": None if order.raw is None else dict(order.raw),
        "slot": order.slot,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def order_from(row: RowLike) -> OrderRecord:
    return OrderRecord(
        id=row.id,
        bot_id=row.bot_id,
        user_id=row.user_id,
        client_order_id=row.client_order_id,
        exchange_order_id=row.exchange_order_id,
        symbol=Symbol(row.symbol),
        position_type=PositionType(row.position_type),
        side=Side(row.side),
        purpose=OrderPurpose(row.purpose),
        status=OrderStatus(row.status),
        requested_qty=row.requested_qty,
        filled_qty=row.filled_qty,
        avg_price=row.avg_price,
        quote_qty=row.quote_qty,
        fee=row.fee,
        fee_asset=row.fee_asset,
        reason=row.reason,
        raw=row.raw,
        slot=row.slot,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def trade_columns(trade: TradeRecord) -> dict[str, Any]:
    return {
        "bot_id": trade.bot_id,
        "user_id": trade.user_id,
        "exchange_order_id": trade.exchange_order_id,
        "client_order_id": trade.client_order_id,
        "symbol": trade.symbol,
        "side": trade.side.value,
        "order_type": trade.order_type,
        "purpose": trade.purpose.value,
        "price": trade.price,
        "quantity": trade.quantity,
        "quote_quantity": trade.quote_quantity,
        "fee": trade.fee,
        "fee_asset": trade.fee_asset,
        "realized_pnl": trade.realized_pnl,
        "timestamp": trade.timestamp,
    }


def trade_from(row: TradeRow) -> TradeRecord:
    return TradeRecord(
        bot_id=row.bot_id,
        user_id=row.user_id,
        exchange_order_id=row.exchange_order_id,
        client_order_id=row.client_order_id,
        symbol=Symbol(row.symbol),
        side=Side(row.side),
        order_type=row.order_type,
        purpose=OrderPurpose(row.purpose),
        price=row.price,
        quantity=row.quantity,
        quote_quantity=row.quote_quantity,
        fee=row.fee,
        fee_asset=row.fee_asset,
        realized_pnl=row.realized_pnl,
        timestamp=row.timestamp,
    )
