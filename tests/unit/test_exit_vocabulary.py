"""One vocabulary for exit reasons: a closing order's purpose names its exit as the
backtest, the trade files and the notifications do."""

from __future__ import annotations

from tradewind.domain.orders import OrderPurpose
from tradewind.domain.types import ExitReason


def test_every_closing_purpose_names_an_exit_reason_and_a_signal_close_is_signal() -> None:
    assert OrderPurpose.ENTRY.exit_reason is None
    assert OrderPurpose.CLOSE.exit_reason is ExitReason.SIGNAL
    names = {p.exit_reason for p in OrderPurpose if p is not OrderPurpose.ENTRY}
    assert names == set(ExitReason)
