"""A bot's state: what it is doing and why, and the position it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

from tradewind.domain.limits import PauseReason
from tradewind.domain.orders import OrderPurpose
from tradewind.domain.types import PositionSide, Signal
from tradewind.domain.watched_exits import Watch


class BotStatus(StrEnum):
    """What a bot is doing. `reason` on the state says why, in words for its owner."""

    IDLE = "idle"  # created, never started
    WAITING = "waiting"  # running, flat, waiting for a signal (or for a rule to allow one)
    IN_POSITION = "in_position"
    PAUSED = "paused"  # a daily limit stops new entries until the next UTC day
    ERROR = "error"  # needs the owner: credentials, config, an order outcome unresolved
    STOPPED = "stopped"


class CloseRequest(StrEnum):
    """Its owner asked to close the bot's position now; what the bot does once it is closed.

    The request is kept apart from the rest of the state: only the owner sets it and only
    the tick that closes the position clears it, so a tick in flight cannot lose it.
    """

    KEEP_RUNNING = "run"  # the bot was running: it goes on waiting for signals
    THEN_STOP = "stop"  # the bot was stopped: it ran only to close, and stops again


@dataclass(slots=True)
class OpenPosition:
    """The position a bot holds, as recorded from its entry fill."""

    side: PositionSide
    quantity: Decimal
    entry_price: Decimal
    entry_time: int
    entry_fee: Decimal
    entry_client_order_id: str
    protection: dict[OrderPurpose, str] = field(default_factory=dict)  # purpose -> client id
    watch: Watch | None = None  # exits the exchange cannot rest, watched by the bot


@dataclass(slots=True)
class BotState:
    """Everything the tick reads and writes about a bot besides its config."""

    status: BotStatus = BotStatus.IDLE
    reason: str | None = None
    pause_reason: PauseReason | None = None
    last_run_at: int | None = None
    last_slot: int | None = None
    last_signal: Signal | None = None
    last_signal_at: int | None = None
    position: OpenPosition | None = None
    close_requested: CloseRequest | None = None  # read-only here (see `CloseRequest`)


ConfigT = TypeVar("ConfigT")


@dataclass(slots=True)
class Bot(Generic[ConfigT]):
    """A bot: who owns it, the account it trades on, its validated config and its state.

    Generic in the config type because the validated config is an edge model (pydantic,
    `tradewind.bot_config.BotConfig`) that the pure domain cannot import; the ports name
    the concrete `Bot` (`tradewind.ports.Bot`) the services and adapters use.
    """

    id: int
    user_id: int
    account_id: int
    config: ConfigT
    active: bool
    state: BotState
