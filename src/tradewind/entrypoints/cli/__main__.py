"""Run the CLI as `python -m tradewind.entrypoints.cli`."""

from tradewind.entrypoints.cli.main import main

main()
