"""Stand-ins for the outside world that tests, benchmarks and the demo run against.

`binance_server/` is a Binance-compatible REST server over the simulated venue (the
`tradewind exchange serve` command): the Binance adapter is tested over real HTTP against
it. Nothing in the application (domain, ports, services, adapters) imports the testkit;
it sits above the adapters it is built on (see the import contracts in pyproject.toml).
"""
