"""What the management verbs share: their unit of work, the symbol rules, and the checks of
ids, emails and names."""

from __future__ import annotations

import re
from collections.abc import Callable

from tradewind.domain.bounds import check_name, shown
from tradewind.domain.errors import ConfigurationError
from tradewind.domain.market_rules import MarketRules
from tradewind.domain.types import PositionType
from tradewind.ports import ManageUnitOfWork

UowFactory = Callable[[], ManageUnitOfWork]
RulesLookup = Callable[[str, PositionType], MarketRules]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"[0-9]+")


def looks_like_id(text: str) -> bool:
    """Tell whether `text` reads as an id (ASCII digits only): such names are refused."""
    return _ID.fullmatch(text.strip()) is not None


def checked_email(email: str) -> str:
    """Return the address in lower case when it looks like one, at most 254 characters."""
    address = email.strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise ConfigurationError(f"email: must look like name@example.com (got {shown(email)})")
    return address


def checked_name(field: str, name: str) -> str:
    """Return `name` stripped when it has 1 to 100 characters (domain/bounds.py)."""
    return check_name(field, name)
