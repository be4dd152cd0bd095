"""Alembic migrations of tradewind's database; run them with `tradewind init`."""
