"""The Celery app: queues, delivery guarantees and the periodic tasks, from the settings.

Tasks are acknowledged late (after they ran) and given back when the process running them
dies, so a task is never lost to a crash; it may then run twice, which the slot claims
make harmless (ARCHITECTURE.md §3). Tasks of a slot expire when the next slot begins:
a slot's decisions are not made late, at prices that are gone.

Add a periodic task to `periodic_tasks` below; `tradewind scheduler` sends it, and only
the scheduler that holds the leader lock does.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Exchange, Queue  # type: ignore[attr-defined]

from tradewind.settings import Settings

# How long Redis waits before it hands an unacknowledged task to another worker: longer
# than any task runs (a batch takes seconds); a task of a killed worker past its slot's
# end is then dropped as expired.
VISIBILITY_TIMEOUT_S = 300
SLOT_SETTLE_S = 2  # ticks start this long after the minute: the exchange closed the candle
NOTIFY_EVERY_S = 5.0  # how often the workers deliver the outbox

app = Celery("tradewind", set_as_current=False)


def slots_queue(settings: Settings) -> str:
    """Return the queue of the slot plans and the market groups (served first)."""
    return f"{settings.namespace}.slots"


def ticks_queue(settings: Settings) -> str:
    """Return the queue of the batches of ticks."""
    return f"{settings.namespace}.ticks"


def periodic_tasks(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return the scheduler's entries: Celery beat_schedule entries, by name."""
    from celery.schedules import crontab

    from tradewind.entrypoints.worker.beat import EverySlot

    return {
        "plan-slot": {
            "task": "tradewind.plan_slot",
            "schedule": EverySlot(settle=SLOT_SETTLE_S),
            "options": {"queue": slots_queue(settings)},
        },
        "plan-streamed": {  # Binance groups: each as its candles land on the streams
            "task": "tradewind.plan_streamed",
            "schedule": EverySlot(settle=0),
            "options": {"queue": slots_queue(settings)},
        },
        "deliver-notifications": {
            "task": "tradewind.deliver_notifications",
            "schedule": NOTIFY_EVERY_S,
            "options": {"queue": ticks_queue(settings), "expires": NOTIFY_EVERY_S},
        },
        "daily-summaries": {
            "task": "tradewind.daily_summaries",
            "schedule": crontab(minute=1, hour=0),
            "options": {"queue": ticks_queue(settings), "expires": 3_600},
        },
    }


def configure(settings: Settings, celery: Celery = app, paper_seed: int = 7) -> Celery:
    """Point the app at the broker of `settings`, with tradewind's queues and guarantees.

    `paper_seed` is the seed of the generated paper market (the same in every worker).
    """
    exchange = Exchange(settings.namespace, type="direct")  # type: ignore[no-untyped-call]
    slots, ticks = slots_queue(settings), ticks_queue(settings)
    transport: dict[str, Any] = {}
    if settings.broker_url.startswith(("redis://", "rediss://")):
        transport = {
            # Keys of other installations (and test runs) on the same server stay apart.
            "global_keyprefix": f"{settings.namespace}:celery:",
            "visibility_timeout": VISIBILITY_TIMEOUT_S,
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
        }
    celery.conf.update(
        broker_url=settings.broker_url,
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a broker that drops is waited for, forever
        # A task sending the next step of its slot waits out a broker blip (about a
        # minute), then fails; its slot's remaining bots then tick at the next slot.
        task_publish_retry_policy={
            "max_retries": 30,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 2,
        },
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        enable_utc=True,
        timezone="UTC",
        task_queues=[
            Queue(slots, exchange, routing_key=slots),  # type: ignore[no-untyped-call]
            Queue(ticks, exchange, routing_key=ticks),  # type: ignore[no-untyped-call]
        ],
        task_default_queue=ticks,
        task_default_exchange=settings.namespace,
        task_default_routing_key=ticks,
        task_routes={
            "tradewind.plan_slot": {"queue": slots, "routing_key": slots},
            "tradewind.plan_streamed": {"queue": slots, "routing_key": slots},
            "tradewind.tick_group": {"queue": slots, "routing_key": slots},
            "tradewind.tick_batch": {"queue": ticks, "routing_key": ticks},
            "tradewind.reconcile": {"queue": ticks, "routing_key": ticks},
            "tradewind.deliver_notifications": {"queue": ticks, "routing_key": ticks},
            "tradewind.daily_summaries": {"queue": ticks, "routing_key": ticks},
        },
        control_exchange=f"{settings.namespace}.control",
        event_exchange=f"{settings.namespace}.events",
        worker_hijack_root_logger=True,
        worker_redirect_stdouts=False,
        beat_schedule=periodic_tasks(settings),
        beat_scheduler="tradewind.entrypoints.worker.beat:LeaderScheduler",
        beat_max_loop_interval=1.0,
        beat_enable_remote_control=False,
        tradewind_settings=settings,
        tradewind_paper_seed=paper_seed,
    )
    import tradewind.entrypoints.worker.notify_tasks  # (registers its tasks on `app`)
    import tradewind.entrypoints.worker.stream_tasks  # (registers its task on `app`)
    import tradewind.entrypoints.worker.tasks  # noqa: F401  (registers the tasks on `app`)

    return celery


def settings_of(celery: Celery = app) -> Settings:
    """Return the settings the app was configured with."""
    settings = celery.conf.get("tradewind_settings")
    if not isinstance(settings, Settings):
        raise RuntimeError("the Celery app is not configured: call configure(settings) first")
    return settings
