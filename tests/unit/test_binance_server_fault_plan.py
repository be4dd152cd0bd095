"""The fault plan: rules from JSON, seeded and repeatable draws, paths, counts, -2013 lookups."""

from __future__ import annotations

import pytest

from tradewind.testkit.binance_server.faults import Fault, FaultMode, FaultPlan

ORDER = ("POST", "/api/v3/order")


def draws(plan: FaultPlan, requests: int = 200) -> list[str | None]:
    picked = [plan.pick(*ORDER, places_order=True) for _ in range(requests)]
    return [None if f is None else f.mode.value for f in picked]


def test_the_same_seed_faults_the_same_requests() -> None:
    runs = []
    for _ in range(2):
        plan = FaultPlan(seed=5)
        plan.add(Fault(FaultMode.HTTP_500, rate=0.1))
        plan.add(Fault(FaultMode.CONNECTION_RESET, rate=0.1, after=True))
        runs.append(draws(plan))
    assert runs[0] == runs[1]
    assert 20 <= sum(mode is not None for mode in runs[0]) <= 60  # about 19 % of 200
    other = FaultPlan(seed=6)
    other.add(Fault(FaultMode.HTTP_500, rate=0.1))
    other.add(Fault(FaultMode.CONNECTION_RESET, rate=0.1, after=True))
    assert draws(other) != runs[0]


def test_a_rule_with_a_count_is_spent_after_that_many_faults() -> None:
    plan = FaultPlan()
    plan.add(Fault(FaultMode.CODE_1021, count=2))
    assert draws(plan, 4) == ["code_-1021", "code_-1021", None, None]
    assert plan.rules() == []
    assert plan.injected() == {"code_-1021": 2}


def test_paths_are_shell_patterns_of_method_and_path() -> None:
    plan = FaultPlan()
    plan.add(Fault(FaultMode.HTTP_503, paths=("POST /fapi/*",)))
    assert plan.pick("POST", "/fapi/v1/order", places_order=True) is not None
    assert plan.pick("GET", "/fapi/v1/order", places_order=False) is None
    assert plan.pick("POST", "/api/v3/order", places_order=True) is None


def test_too_many_orders_strikes_order_placements_unless_paths_say_otherwise() -> None:
    plan = FaultPlan()
    plan.add(Fault(FaultMode.CODE_1015))
    assert plan.pick("GET", "/api/v3/account", places_order=False) is None
    assert plan.pick(*ORDER, places_order=True) is not None


def test_an_order_placed_under_transient_2013_is_hidden_from_its_next_lookups_only() -> None:
    plan = FaultPlan()
    plan.add(Fault(FaultMode.TRANSIENT_2013, count=2))
    assert plan.pick(*ORDER, places_order=True) is None  # not a per-request fault
    plan.order_placed((1, "spot", 7))
    assert [plan.hides((1, "spot", 7)) for _ in range(3)] == [True, True, False]
    assert not plan.hides((1, "spot", 8))
    assert plan.injected() == {"transient_-2013": 2}


def test_skew_is_a_clock_offset_that_clearing_removes() -> None:
    plan = FaultPlan()
    plan.add(Fault.from_json({"mode": "skew_ms", "ms": -2500}))
    assert plan.skew_ms == -2500
    plan.clear()
    assert plan.skew_ms == 0


def test_a_rule_reads_from_the_json_of_the_control_endpoint() -> None:
    fault = Fault.from_json(
        {"mode": "timeout_after_accept", "rate": 0.2, "paths": ["POST /api/v3/order"], "hold_ms": 0}
    )
    assert fault == Fault(
        FaultMode.TIMEOUT_AFTER_ACCEPT, rate=0.2, paths=("POST /api/v3/order",), hold_ms=0
    )
    assert fault.is_after_work
    assert Fault.from_json({"mode": "http_500", "after": True}).is_after_work
    assert not Fault.from_json({"mode": "http_500"}).is_after_work


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"mode": "explode"}, "mode must be one of"),
        ({"mode": "http_500", "rate": 1.5}, "rate must be between 0 and 1"),
        ({"mode": "http_500", "rate": "often"}, "rate must be a number"),
        ({"mode": "latency"}, "latency needs ms > 0"),
        ({"mode": "code_-1021", "after": True}, "after applies to"),
        ({"mode": "http_500", "count": 0}, "count must be >= 1"),
        ({"mode": "http_500", "paths": "/api/*"}, "paths must be a list"),
        ({"mode": "http_500", "often": True}, "unknown field"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault.from_json(doc)
