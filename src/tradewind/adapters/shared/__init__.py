"""What worker processes share through Redis: candles, paper accounts, slot plans, figures."""
