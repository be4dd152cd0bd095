"""Numbers as people read them: money to its asset's precision, prices to the tick,
quantities to the step, durations in days and hours. For tables only: the --quiet JSON
keeps every decimal as written, as text."""

from __future__ import annotations

from decimal import Decimal

from tradewind.domain.shown import money_places, rounded


def money(value: Decimal | float | None, asset: str, *, sign: bool = False) -> str:
    """Show an amount of `asset` to its precision, with thousands separators."""
    if value is None:
        return "-"
    places = money_places(asset)
    # Explicitly half to even: a library may have changed the thread's decimal context.
    shown = rounded(Decimal(str(value)), asset)
    text = f"{shown:,.{places}f}"
    return f"+{text}" if sign and shown > 0 else text


def to_step(value: Decimal, step: Decimal) -> str:
    """Show a price to the tick or a quantity to the step (a stop level may carry more)."""
    shown = value.quantize(step.normalize()) if step > 0 else value.normalize()
    return f"{shown:f}"


def percent(value: float | Decimal | None, places: int = 2, *, sign: bool = True) -> str:
    """Show a fraction as a percentage: 0.0123 -> +1.23%."""
    if value is None:
        return "n/a"
    return f"{float(value) * 100:{'+' if sign else ''}.{places}f}%"


def duration(seconds: float | None) -> str:
    """Show a length of time in its two largest units: 3d 4h, 2h 05m, 45m."""
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"
