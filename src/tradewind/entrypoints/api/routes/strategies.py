"""The strategies a bot can trade, with their parameters: what the bot form is built from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tradewind.bot_config.strategy import SETTINGS
from tradewind.domain.errors import NotFound
from tradewind.domain.strategies import DEFAULT_STRATEGY, STRATEGIES, params_of
from tradewind.entrypoints.api.deps import CurrentUser
from tradewind.entrypoints.api.schemas import ParameterPublic, StrategyPublic, Text

router = APIRouter(tags=["strategies"])


def _strategy(name: str) -> StrategyPublic:
    strategy: Any = STRATEGIES[name]
    return StrategyPublic(
        name=name,
        summary=strategy.summary,
        is_default=name == DEFAULT_STRATEGY,
        parameters=[
            ParameterPublic(
                name=info.name,
                type=info.type.__name__,
                default=info.default,
                bounds=info.spec.bounds(),
                description=info.spec.description,
            )
            for info in params_of(strategy.params_type)
        ],
        json_schema=SETTINGS[name].model_json_schema(),
    )


@router.get("/strategies", responses={401: {}, 403: {}})
def list_strategies(who: CurrentUser) -> list[StrategyPublic]:
    """Every strategy, the default first, with each parameter's default and range."""
    names = sorted(STRATEGIES, key=lambda name: (name != DEFAULT_STRATEGY, name))
    return [_strategy(name) for name in names]


@router.get("/strategies/{name}", responses={401: {}, 403: {}, 404: {}})
def get_strategy(name: Text, who: CurrentUser) -> StrategyPublic:
    """One strategy with its parameters."""
    if name not in STRATEGIES:
        raise NotFound(f"strategy: there is no strategy {name!r}")
    return _strategy(name)
