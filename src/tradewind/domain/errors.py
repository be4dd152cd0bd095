"""The error hierarchy. Each docstring says what the bot does when the error is raised."""

from __future__ import annotations


class TradewindError(Exception):
    """Base of every error tradewind raises on purpose."""


class ConfigurationError(TradewindError):
    """Settings, bot config or input files are wrong: refuse, name the field, change nothing."""


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
