"""Managing users, exchange accounts and bots: each verb is one transaction.

Every verb takes the acting user (`access.Actor`) and ids, and checks what it loads with
`access.owned`. A refusal names the field at fault (`email: …`, `symbol: …`), and nothing
is written when one is raised: `ConfigurationError` for bad input, `NotFound` for a thing
that is missing or another user's, `Conflict` for a clash with what is stored,
`Forbidden` for an operator's verb.

Split by what is managed: `people` (users and their exchange accounts) and `bots`; both
share `common`. Every name is importable from here.
"""

from tradewind.services.manage.bots import (
    CreatedBot,
    close_position,
    create_bot,
    delete_bot,
    start_bot,
    stop_all_bots,
    stop_bot,
    update_bot,
)
from tradewind.services.manage.common import (
    RulesLookup,
    UowFactory,
    checked_email,
    checked_name,
    looks_like_id,
)
from tradewind.services.manage.people import (
    DEFAULT_PAPER_BALANCE,
    PAPER_QUOTE_ASSET,
    add_account,
    add_user,
    bot_counts,
    get_account,
    list_accounts,
    list_users,
)

__all__ = [
    "DEFAULT_PAPER_BALANCE",
    "PAPER_QUOTE_ASSET",
    "CreatedBot",
    "RulesLookup",
    "UowFactory",
    "add_account",
    "add_user",
    "bot_counts",
    "checked_email",
    "checked_name",
    "close_position",
    "create_bot",
    "delete_bot",
    "get_account",
    "list_accounts",
    "list_users",
    "looks_like_id",
    "start_bot",
    "stop_all_bots",
    "stop_bot",
    "update_bot",
]
