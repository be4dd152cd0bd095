# Every target sets up what it needs on a fresh machine with only Python 3.11 and the
# package registries: a pinned uv in .tools/, then the locked environment in .venv/.
PYTHON ?= python3.11
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Compile bytecode at install: the CLI starts fast from its first run, even where the
# environment forbids writing .pyc files later (PYTHONDONTWRITEBYTECODE).
export UV_COMPILE_BYTECODE := 1
RUN := .venv/bin

.PHONY: demo test lint typecheck imports pytest browser screenshots mutation mutation-clean bench bench-backtest bench-optimize bench-ticks bench-notify bench-scale bench-faults format clean lock

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --group dev
	$(RUN)/python -m compileall -q src
	touch $@

demo: .venv/.synced  ## the main job: three paper bots trade a day of a generated market, live
	$(RUN)/tradewind demo

test: lint typecheck imports pytest  ## the whole test suite, as CI runs it

lint: .venv/.synced
	$(RUN)/ruff check src tests bench
	$(RUN)/ruff format --check src tests bench

typecheck: .venv/.synced
	$(RUN)/mypy

imports: .venv/.synced
	$(RUN)/lint-imports

pytest: .venv/.synced browser
	$(RUN)/pytest -n 2 -q

# Mutation testing of the money paths: each mutant is one operator changed in one function of
# the modules listed under [tool.mutmut] in pyproject.toml (only_mutate), tested by the fast
# tests listed there. Incremental: mutants/ keeps every verdict until its function changes,
# and the survivors not explained in tests/mutation/equivalent.toml are tried again each run.
# The whole set is 1,611 mutants: 28 minutes on 2026-12-07 under a load of 12-25 on the two
# cores (per module in docs/mutation.md, 20 s to 7 min); after a change only the changed
# functions' mutants run again. `make mutation-clean` forgets it all.
TEST_DATA ?= $(abspath ../shared/data)
mutation: .venv/.synced
	TRADEWIND_TEST_DATA=$(TEST_DATA) nice -n 10 $(RUN)/mutmut run --max-children 2
	TRADEWIND_TEST_DATA=$(TEST_DATA) nice -n 10 $(RUN)/python -m tests.mutation.report --retest

mutation-clean:
	rm -rf mutants

# The dashboard's browser tests drive Debian's chromium through Playwright (whose Python
# package comes with the rest of the dev dependencies); as root, install it when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends chromium; } \
		|| echo "chromium is not installed: the browser tests will be skipped"

# The dashboard's pictures in the README, taken by its browser test.
screenshots: .venv/.synced browser
	TRADEWIND_SCREENSHOTS_DIR=docs/screenshots $(RUN)/pytest -q -p no:randomly tests/browser

format: .venv/.synced
	$(RUN)/ruff format src tests bench
	$(RUN)/ruff check --fix src tests bench

# Benchmarks use their own environment so the anchors' dependencies (pandas, numba, ...)
# never leak into the test environment.
.venv-bench/.synced: $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=.venv-bench $(UV) sync --frozen --group dev --group bench
	.venv-bench/bin/python -m compileall -q src
	touch $@

bench: bench-backtest bench-ticks

# compileall first: with PYTHONDONTWRITEBYTECODE set, a module edited since the last sync
# would be compiled again in every timed process.
bench-backtest: .venv-bench/.synced
	.venv-bench/bin/python -m compileall -q src
	.venv-bench/bin/python bench/backtest.py

# A 1,000-set EMA/RSI grid on 1M candles: tradewind's optimizer engine against vectorbt's
# own grid run (100 sets per call, 4.3 GB at its peak), with the trades of a sample of sets
# compared; CPU time beside wall time.
bench-optimize: .venv-bench/.synced
	.venv-bench/bin/python bench/optimize.py

# 1,000 paper bots ticked slot after slot on SQLite and on a PostgreSQL database of its own
# (skipped when 127.0.0.1:5432 is down): ticks/s and p50/p99 latency without the exchange.
bench-ticks: .venv/.synced
	$(RUN)/python bench/ticks.py

# The notification dispatcher to a webhook on loopback: idle pass, outbox write, deliveries/s.
bench-notify: .venv/.synced
	$(RUN)/python bench/notify.py

# 1,000 and 10,000 paper bots on a real `tradewind worker` (two pool processes) and
# `tradewind scheduler`, PostgreSQL and Redis on 127.0.0.1, 1-minute slots on the wall
# clock (about 12 minutes): lags, ticks/s, round trips per tick, exchange calls per slot.
bench-scale: .venv/.synced
	$(RUN)/python bench/scale.py

lock: $(UV)
	$(UV) lock

clean:
	rm -rf .venv .venv-bench .tools .mypy_cache .ruff_cache .pytest_cache
