"""Reports of backtests: trade lists and charts written to files."""
