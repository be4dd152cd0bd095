"""Notifications: route the outbox's events to their channels and deliver them.

`deliver_due` is one pass of the dispatcher (any number of processes may run it at once);
`BackgroundDispatcher` runs passes in a thread of the embedded default; `summarize_day`
writes each bot's daily summary into the outbox.
"""

from tradewind.services.notify.dispatch import DeliveryPass, NotifyDeps, RetryPolicy, deliver_due
from tradewind.services.notify.loop import BackgroundDispatcher
from tradewind.services.notify.summaries import summarize_day, summarize_yesterday

__all__ = [
    "BackgroundDispatcher",
    "DeliveryPass",
    "NotifyDeps",
    "RetryPolicy",
    "deliver_due",
    "summarize_day",
    "summarize_yesterday",
]
