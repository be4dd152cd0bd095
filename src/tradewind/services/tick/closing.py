"""Close the position now, as its owner asked (`bot close`, POST /bots/{id}/close).

The request waits in the bot's state until a tick takes it: under the bot's lock, after
the orders in doubt are settled, the resting exits are cancelled and one MARKET order
closes what is held, recorded as any exit is, with the reason `manual`. The request is
forgotten only once the bot is flat, so a refused order is tried again at the next slot.
"""

from __future__ import annotations

from tradewind.domain.bots import BotStatus, CloseRequest
from tradewind.domain.orders import OrderPurpose
from tradewind.services.tick.outcome import TickOutcome
from tradewind.services.tick.protection import lift_protection
from tradewind.services.tick.sending import OrderDesk
from tradewind.services.tick.state import conclude, write


def close_on_request(desk: OrderDesk, request: CloseRequest) -> TickOutcome:
    """Close the bot's whole position with a MARKET order; settle the request once flat."""
    at = desk.at
    state = at.bot.state
    lift_protection(desk)  # a resting exit that filled meanwhile may have closed it
    if state.position is not None:
        position = state.position
        desk.send_market(position.side.exit_side, position.quantity, OrderPurpose.MANUAL)
    with desk.transactions() as uow:
        events = conclude(at, lambda: at.book.today(uow), None)
        if state.position is None:
            uow.bots.settle_close_request(at.bot.id, request)
            state.close_requested = None
            if request is CloseRequest.THEN_STOP:
                events = []  # a stopped bot is not paused or resumed
                state.status, state.pause_reason = BotStatus.STOPPED, None
                state.reason = f"{state.reason}; stopped again, as it was"
        write(uow, at, events)
        uow.commit()
    return TickOutcome.DECIDED
