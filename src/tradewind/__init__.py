"""tradewind: automated EMA/RSI crypto trading bots for many users."""

__version__ = "0.1.0"
