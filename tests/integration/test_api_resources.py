"""Accounts, bots, history and strategies through the API, over real HTTP.

Bad input is a 422 naming the field and the rule; a bot goes through create, edit, start,
stop and delete; an exchange secret sent in never comes out: not in any answer, error or
log line, whatever the request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.api_harness import API, ApiWorld, api_world

CANARY_KEY = "canaryKEY7f3a9c1e5b"
CANARY_SECRET = "canarySECRET2d8e6b4f0a"
SPOT = {"name": "b2", "symbol": "ETHUSDT", "timeframe": "1h", "position_type": "spot"}


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(database_url, tmp_path) as built:
        yield built


def _problems(answer: httpx.Response) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    return [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in answer.json()["detail"]]


def test_bad_bot_input_is_422_naming_the_field_and_the_rule(world: ApiWorld) -> None:
    ann = world.ann.session
    account = world.ann.account_id
    cases = {
        "body.config.symbol": {**SPOT, "symbol": "eth-usdt"},
        "body.config.leverage": {**SPOT, "leverage": 5},
        "body.config.custom_stop_loss": {**SPOT, "custom_stop_loss": 2.5},
        "body.config.timeframe": {**SPOT, "timeframe": "7m"},
        "body.config.strategy.ema_rsi.ema_fast": {**SPOT, "strategy": {"ema_fast": 0}},
        "body.config.colour": {**SPOT, "colour": "red"},
    }  # fmt: skip
    for field, config in cases.items():
        answer = ann.post(f"{API}/bots", json={"account_id": account, "config": config})
        fields = [f for f, _ in _problems(answer)]
        assert field in fields, (field, answer.json())
    unknown = ann.post(
        f"{API}/bots", json={"account_id": account, "config": {**SPOT, "symbol": "NOPEUSDT"}}
    )
    assert _problems(unknown)[0][0] == "body.symbol"
    assert ann.post(f"{API}/bots/0").status_code in {404, 405}
    assert _problems(ann.get(f"{API}/bots/abc"))[0][0] == "path.bot_id"
    assert _problems(ann.get(f"{API}/bots/99999999999"))[0] == (
        "path.bot_id",
        "Input should be less than or equal to 2147483647",
    )


def test_a_bot_is_created_edited_started_stopped_and_deleted(world: ApiWorld) -> None:
    ann = world.ann.session
    body = {
        "account_id": world.ann.account_id,
        "config": {**SPOT, "strategy": {"name": "bollinger_rsi"}},
    }
    made = ann.post(f"{API}/bots", json=body)
    assert made.status_code == 201
    bot = made.json()
    assert (bot["state"]["status"], bot["active"]) == ("idle", False)
    assert bot["config"]["strategy"]["name"] == "bollinger_rsi"
    path = f"{API}/bots/{bot['id']}"
    edited = ann.patch(path, json={"config": {"custom_stop_loss": "2.5", "timeframe": "4h"}})
    assert edited.status_code == 200
    assert (edited.json()["config"]["custom_stop_loss"], edited.json()["config"]["timeframe"]) == (
        "2.5",
        "4h",
    )
    assert edited.json()["config"]["strategy"]["name"] == "bollinger_rsi"  # unchanged
    assert _problems(ann.patch(path, json={"config": {"leverage": 3}}))[0][0] == "body.leverage"
    started = ann.post(f"{path}/start").json()
    assert (started["active"], started["state"]["status"]) == (True, "waiting")
    assert ann.patch(path, json={"config": {"timeframe": "1h"}}).status_code == 409
    stopped = ann.post(f"{path}/stop").json()
    assert (stopped["active"], stopped["state"]["status"], stopped["state"]["reason"]) == (
        False, "stopped", "stopped by its owner",
    )  # fmt: skip
    taken = ann.post(f"{API}/bots", json=body)
    assert taken.status_code == 409
    assert taken.json()["detail"].startswith("name:")
    assert ann.delete(path).status_code == 204
    assert ann.get(path).status_code == 404


def test_history_pnl_and_strategies_read_as_the_owner_sees_them(world: ApiWorld) -> None:
    ann, bot = world.ann.session, world.ann.bot_id
    (order,) = ann.get(f"{API}/bots/{bot}/orders").json()
    assert (order["status"], order["requested_qty"]) == ("FILLED", "0.001")
    assert "raw" not in order
    (trade,) = ann.get(f"{API}/bots/{bot}/trades").json()
    assert (trade["bot"], trade["realized_pnl"], trade["price"]) == ("b1", "1.25", "27000")
    assert ann.get(f"{API}/bots/{bot}/pnl").json() == [
        {"day": "2023-11-14", "realized": "1.25", "cumulative": "1.25"}
    ]
    strategies = ann.get(f"{API}/strategies").json()
    assert next(s["name"] for s in strategies) == "ema_rsi"
    ema = strategies[0]
    assert {p["name"] for p in ema["parameters"]} >= {"ema_fast", "ema_slow", "rsi_period"}
    assert ema["json_schema"]["properties"]["ema_fast"]["type"] == "integer"
    assert ann.get(f"{API}/strategies/nope").status_code == 404


class _Everything(logging.Handler):
    """Every log record of every logger, formatted with its arguments and traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line() -> Iterator[list[str]]:
    handler = _Everything()
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "sqlalchemy",
             "sqlalchemy.engine", "tradewind", "httpx"]  # fmt: skip
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler.lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_an_exchange_secret_never_appears_in_an_answer_or_a_log_line(
    world: ApiWorld, every_log_line: list[str]
) -> None:
    ann = world.ann.session
    world.binance.add_account(CANARY_KEY, CANARY_SECRET)  # the key checked when added
    binance = {
        "name": "live",
        "kind": "binance",
        "api_key": CANARY_KEY,
        "api_secret": CANARY_SECRET,
    }
    answers = [ann.post(f"{API}/accounts", json=binance)]
    assert answers[0].status_code == 201
    assert answers[0].json()["has_api_key"] is True
    answers += [
        ann.get(f"{API}/accounts"),
        ann.get(f"{API}/accounts/{answers[0].json()['id']}"),
        ann.post(f"{API}/accounts", json=binance),  # 409: the name is taken
        ann.post(f"{API}/accounts", json={**binance, "name": "x", "kind": "kraken"}),
        ann.post(f"{API}/accounts", json={**binance, "name": "x", "balance": "5"}),
        ann.post(f"{API}/accounts", json={**binance, "name": "x", "extra": CANARY_SECRET}),
        ann.post(f"{API}/accounts", json={**binance, "api_secret": CANARY_SECRET * 40}),
        ann.post(f"{API}/accounts", json={**binance, "api_secret": [CANARY_SECRET]}),
        ann.post(
            f"{API}/accounts",
            content=f'{{"name": "y", "api_secret": "{CANARY_SECRET}",',
            headers={"content-type": "application/json"},
        ),
        httpx.post(f"{world.base_url}{API}/accounts", json=binance),  # 401
        world.ann.read.post(f"{API}/accounts", json=binance),  # 403
    ]
    assert [a.status_code for a in answers[3:]] == [409, 422, 422, 422, 422, 422, 422, 401, 403]
    for answer in answers:
        for canary in (CANARY_KEY, CANARY_SECRET):
            assert canary not in answer.text
            assert canary not in str(answer.headers)
    assert every_log_line  # the server did log: requests, SQL
    assert [line for line in every_log_line if CANARY_KEY in line or CANARY_SECRET in line] == []
