"""tradewind: automated rule-based crypto trading bots for many users."""

__version__ = "0.1.0"
