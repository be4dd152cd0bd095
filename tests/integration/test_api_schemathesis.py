"""schemathesis against the API's OpenAPI document, over real HTTP: across every operation,
valid and invalid requests alike, no server error and no answer that breaks the document
(status code, content type, body schema).

It signs in with a token of both scopes (the session's CSRF rule is tested elsewhere) on a
SQLite world with two users. schemathesis' own pytest plugin does not run on this pytest,
so the test draws each operation's cases from its Hypothesis strategies directly.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.api_harness import API, ApiWorld, api_world

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 30  # per operation and generation mode


@pytest.fixture
def fuzzed_world(tmp_path: Path, sqlite_template: Path) -> Iterator[ApiWorld]:
    shutil.copyfile(sqlite_template, tmp_path / "tradewind.db")
    # Backtest jobs the fuzzer submits stay small: the machine runs the suite too.
    url = f"sqlite:///{tmp_path / 'tradewind.db'}"
    with api_world(url, tmp_path, backtest_max_candles=2_000) as world:
        # The first Binance account checked loads ccxt, seconds on a loaded machine: once
        # here, so no fuzzed request meets it (hypothesis calls a slow first answer flaky).
        warm = {"name": "warm", "kind": "binance", "api_key": "k", "api_secret": "s"}
        assert world.ann.trade.post(f"{API}/accounts", json=warm).status_code == 422
        yield world


@pytest.mark.slow
def test_no_operation_answers_a_server_error_or_breaks_the_document(
    fuzzed_world: ApiWorld,
) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_world.base_url}{API}/openapi.json")
    token = {"Authorization": fuzzed_world.ann.trade.headers["Authorization"]}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                database=None,
            )  # fmt: skip
            def run(case: Any) -> None:
                case.call_and_validate(headers=token, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # No invalid request exists (no parameters, or any text is a valid name).
                assert mode is GenerationMode.NEGATIVE, operation.label
            except BaseException as e:  # every operation is tried; all are reported
                if not isinstance(e, Exception | BaseExceptionGroup):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {e}"[:2_000])
    assert failures == [], "\n\n".join(failures)
