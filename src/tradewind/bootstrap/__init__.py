"""The one composition root: wire adapters into the services from settings (ARCHITECTURE.md §1).

Entrypoints (the CLI, the workers, the API) import the services, this package, settings,
ports and the domain — never an adapter. Each module wires one concern and imports only
the adapters it wires, so importing the package costs nothing:

- `runtime`: the tick runtimes (`tradewind run`, the demo, the Celery workers) and the
  notification dispatcher.
- `venues`: one exchange provider per `ExchangeKind`, where a new venue registers.
- `store`: this installation's database for the management commands and the API
  (settings, units of work, the symbol rules), and its set-up (schema, master key).
- `backtest`: the backtest's candle files, generated market and symbol rules (cheap:
  no database, no network).
- `markets`: candles to replay or generated, and the clocks that step through them.
- `testkit`: the Binance-compatible test server (`tradewind exchange serve`), the one
  place that imports it.
- `demo`: where the demo's orders go (the paper venue, or the local test server).
- `worker`: what the scale-out workers and the scheduler wire beside the runtime (the
  shared paper market, the start checks, the leader lock).
"""
