"""The database schema as typed SQLAlchemy models, one module per part of the service.

Times are Unix seconds (UTC) in BIGINT. Money is `Money` (exact Decimal). Enum-like
values are short strings holding the enum's value, so a new status never needs a schema
change. The Alembic migrations in `migrations/versions` create exactly this schema (a
test compares the two).
"""

from tradewind.adapters.db.tables.base import NAMING, Base, metadata
from tradewind.adapters.db.tables.identity import (
    ApiTokenRow,
    LoginAttemptRow,
    LoginRow,
    RecoveryCodeRow,
    TwoFactorRow,
    WebSessionRow,
)
from tradewind.adapters.db.tables.notifications import (
    NotificationChannelRow,
    NotificationDeliveryRow,
    NotificationRouteRow,
    OutboxRow,
)
from tradewind.adapters.db.tables.trading import (
    AccountRow,
    BotConfigRow,
    BotStateRow,
    DailyCounterRow,
    OrderRow,
    TickSlotRow,
    TradeRow,
    UserChangeRow,
    UserRow,
)

__all__ = [
    "NAMING",
    "AccountRow",
    "ApiTokenRow",
    "Base",
    "BotConfigRow",
    "BotStateRow",
    "DailyCounterRow",
    "LoginAttemptRow",
    "LoginRow",
    "NotificationChannelRow",
    "NotificationDeliveryRow",
    "NotificationRouteRow",
    "OrderRow",
    "OutboxRow",
    "RecoveryCodeRow",
    "TickSlotRow",
    "TradeRow",
    "TwoFactorRow",
    "UserChangeRow",
    "UserRow",
    "WebSessionRow",
    "metadata",
]
