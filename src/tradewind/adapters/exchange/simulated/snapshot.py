"""Save and load the venue's state as JSON, so paper accounts survive a restart.

Decimals are written as strings (exact both ways), enums by value. The file is replaced
atomically (write a temporary file beside it, then `os.replace`), so a reader or a crash
never sees half a snapshot.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from tradewind.adapters.exchange.simulated.book import Book, Counters
from tradewind.adapters.exchange.simulated.state import (
    Account,
    Balance,
    Position,
    ProtectionGroup,
    RestingKind,
    SimOrder,
    TimeInForce,
)
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.orders import OrderPurpose, OrderStatus
from tradewind.domain.types import PositionSide, PositionType, Side

FORMAT = "tradewind-simulated-venue"
VERSION = 1

_DECIMALS = {
    "free", "locked", "quantity", "cost", "margin", "executed_qty", "price", "fee", "realized_pnl",
    "reserved",
}  # fmt: skip
_OPTIONAL_DECIMALS = {
    "stop_price", "trailing_rate", "stop_loss", "take_profit", "peak", "limit_price",
}  # fmt: skip
_ENUMS: dict[str, type[Any]] = {
    "status": OrderStatus,
    "position_type": PositionType,
    "purpose": OrderPurpose,
    "kind": RestingKind,
    "time_in_force": TimeInForce,
}


def _encode(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, StrEnum):  # Side, OrderStatus, RestingKind ...
        return value.value
    if isinstance(value, dict):
        return {str(_encode(k)): _encode(v) for k, v in value.items()}
    return value


def record(obj: object) -> dict[str, object]:
    """Return a venue record (an order, a balance, a position...) as JSON-ready data."""
    return {f.name: _encode(getattr(obj, f.name)) for f in fields(obj)}  # type: ignore[arg-type]


def _head(book: Book) -> dict[str, object]:
    version, internal, gauss = book.rng.getstate()
    return {
        "format": FORMAT,
        "version": VERSION,
        "processed_until": book.processed_until,
        "counters": record(book.counters),
        "rng": [version, list(internal), gauss],
        "accounts": [_account_document(book.accounts[i]) for i in sorted(book.accounts)],
    }


def _account_document(account: Account) -> dict[str, object]:
    return {
        "account_id": account.account_id,
        "spot": {asset: record(b) for asset, b in sorted(account.spot.items())},
        "futures": {asset: str(v) for asset, v in sorted(account.futures.items())},
        "leverage": dict(sorted(account.leverage.items())),
        "isolated": dict(sorted(account.isolated.items())),
        "positions": [record(p) for _, p in sorted(account.positions.items())],
        "groups": [record(g) for _, g in sorted(account.groups.items())],
    }


class SnapshotWriter:
    """Writes snapshots, keeping the JSON of every order until the order changes.

    Orders are most of a long-lived venue's state, and an order changes only when it is
    made and when it ends (its status and `updated_at` change then): re-encoding only the
    orders that changed keeps a snapshot after every call cheap however long the history.
    """

    def __init__(self) -> None:
        self._texts: dict[tuple[int, int], tuple[tuple[OrderStatus, int, bool], str]] = {}

    def text(self, book: Book) -> str:
        """Return the snapshot of `book` as JSON text."""
        head = json.dumps(_head(book), separators=(",", ":"))
        orders = ",".join(
            self._order_text(account_id, order)
            for account_id in sorted(book.accounts)
            for _, order in sorted(book.accounts[account_id].orders.items())
        )
        # `head` is one JSON object: reopen it to append the orders array.
        return f'{head[:-1]},"orders":[{orders}]}}'

    def save(self, book: Book, path: Path) -> None:
        """Write the snapshot of `book` to `path` atomically."""
        temporary = path.with_name(f".{path.name}.tmp")
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(self.text(book), encoding="utf-8")
        os.replace(temporary, path)

    def _order_text(self, account_id: int, order: SimOrder) -> str:
        key = (account_id, order.order_id)
        # A resting conditional order may trigger without a new status or time.
        version = (order.status, order.updated_at, order.triggered)
        cached = self._texts.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        text = json.dumps({"account_id": account_id, **record(order)}, separators=(",", ":"))
        self._texts[key] = (version, text)
        return text


def to_document(book: Book) -> dict[str, object]:
    """Return the whole state of `book` as JSON data, as a snapshot file holds it."""
    document: dict[str, object] = json.loads(SnapshotWriter().text(book))
    return document


def load(book: Book, path: Path) -> None:
    """Fill `book` from the snapshot at `path`; raise ConfigurationError if it is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigurationError(f"cannot read paper exchange state {path}: {e.strerror}") from e
    load_text(book, text, str(path))


def load_text(book: Book, text: str, source: str) -> None:
    """Fill `book` from snapshot text; raise ConfigurationError (naming `source`) if unusable."""
    try:
        doc = json.loads(text)
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a simulated venue snapshot")
        if doc.get("version") != VERSION:
            raise ValueError(f"snapshot version {doc.get('version')}, expected {VERSION}")
        book.processed_until = doc["processed_until"]
        book.counters = Counters(**doc["counters"])
        version, internal, gauss = doc["rng"]
        book.rng.setstate((version, tuple(internal), gauss))
        accounts = {a["account_id"]: _account(a) for a in doc["accounts"]}
        for o in doc["orders"]:
            accounts[o["account_id"]].add_order(_build(SimOrder, o, Side))
        book.accounts = accounts
    except (ValueError, KeyError, TypeError) as e:
        raise ConfigurationError(f"paper exchange state {source} is not usable: {e}") from e
    book.dirty = False


def _decode(name: str, value: Any) -> Any:
    if name in _DECIMALS or (name in _OPTIONAL_DECIMALS and value is not None):
        return Decimal(value)
    if name in _ENUMS and value is not None:
        return _ENUMS[name](value)
    return value


def _build(kind: type[Any], data: dict[str, Any], side: type[Any], **overrides: Any) -> Any:
    """Build a record; `side` is the enum of its `side` field (order Side, PositionSide)."""
    values = {
        f.name: _decode(f.name, data[f.name])
        for f in fields(kind)
        if f.name in data and f.name != "side"
    }
    if "side" in data:
        values["side"] = side(data["side"])
    values.update(overrides)
    return kind(**values)


def _account(data: dict[str, Any]) -> Account:
    account = Account(account_id=int(data["account_id"]))
    account.spot = {asset: _build(Balance, b, Side) for asset, b in data["spot"].items()}
    account.futures = {asset: Decimal(v) for asset, v in data["futures"].items()}
    account.leverage = {s: int(v) for s, v in data["leverage"].items()}
    account.isolated = {s: bool(v) for s, v in data["isolated"].items()}
    for p in data["positions"]:
        position: Position = _build(Position, p, PositionSide)
        account.positions[position.symbol] = position
    for g in data["groups"]:
        orders = {OrderPurpose(k): int(v) for k, v in g["orders"].items()}
        group: ProtectionGroup = _build(ProtectionGroup, g, PositionSide, orders=orders)
        account.groups[group.group_id] = group
    return account
