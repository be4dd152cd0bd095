"""The app uvicorn serves: the store of the environment's settings, opened per process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tradewind.bootstrap.settings import load_settings
from tradewind.bootstrap.store import Store
from tradewind.entrypoints.api.app import create_app


def app() -> FastAPI:
    """Return the API on the configured database (uvicorn's factory; closed at shutdown)."""
    store = Store.open(load_settings())
    api = create_app(store)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        api.state.backtests.close()
        store.close()

    api.router.lifespan_context = lifespan
    return api
