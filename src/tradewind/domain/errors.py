"""The error hierarchy. Each docstring says what the bot, or the caller, does when the error
is raised. Messages are plain: they name the field or the thing, never a CLI flag or an
HTTP status; each door (CLI, API) adds its own hints when it shows them."""

from __future__ import annotations


class TradewindError(Exception):
    """Base of every error tradewind raises on purpose."""


class ConfigurationError(TradewindError):
    """Settings, bot config or input files are wrong: refuse, name the field, change nothing."""


class NotFound(TradewindError):
    """The thing asked for does not exist, or is not the acting user's: the two are never
    told apart. API: 404. CLI: the message (with a hint to list what exists), exit code 2."""


class Conflict(TradewindError):
    """The request is valid but clashes with what is stored (a name taken, a bot holding a
    position, an account without keys): nothing changes. API: 409. CLI: the message (with
    the flag or step that resolves it), exit code 2."""


class Forbidden(TradewindError):
    """The acting user is known but may not do this (an operator's action, a token's scope):
    nothing changes. API: 403. CLI: the message, exit code 2."""


class DomainError(TradewindError):
    """A trading rule was broken (e.g. a value type got an impossible value). Never retried."""


class ExchangeError(TradewindError):
    """The exchange refused or failed a call. Subclasses say whether to retry."""


class TemporaryExchangeError(ExchangeError):
    """Rate limit, clock skew or a passing outage: retry with backoff and jitter."""


class OrderRejected(ExchangeError):
    """The exchange said no and placed nothing: the bot waits and states the reason."""


class AuthenticationFailed(ExchangeError):
    """Bad key, secret, IP or permission: the bot goes to error state, the owner is told."""


class OutcomeUnknown(ExchangeError):
    """The order may or may not exist: mark it UNKNOWN and settle it by client order id."""


class DeliveryFailed(TradewindError):
    """A notification channel did not take a notification: tried again later, with backoff,
    until the delivery is out of tries and dead-lettered. Trading never waits for it."""


class NotAuthenticated(TradewindError):
    """No valid session or token, or a wrong email or password: nothing is shown or changed.
    API: 401. The message never tells which of email and password was wrong."""


class TooManyAttempts(TradewindError):
    """Too many failed sign-ins for an account or from an address: refused without checking
    the password until `retry_after` seconds have passed. API: 429 with Retry-After."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
