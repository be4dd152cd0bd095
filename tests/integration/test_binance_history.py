"""Binance klines serve a strategy's long history: the first read of a series pages back
through as many calls of Binance's most as the history needs; later reads top it up."""

from __future__ import annotations

import numpy as np

from tests.binance_wire import running_server
from tests.conftest import shared_file
from tradewind.adapters.exchange.binance.provider import BinanceExchanges, BinanceOptions
from tradewind.adapters.marketdata.csv_candles import read_candles_csv
from tradewind.adapters.marketdata.replay import _window
from tradewind.domain.types import PositionType, Symbol


def test_a_history_longer_than_one_klines_call_is_paged_and_then_topped_up() -> None:
    minutes = _window(read_candles_csv(shared_file("BTCUSDT-1m-binanceus-2023-03.csv")), 0, 3000)
    with running_server(minutes) as env:
        until = int(minutes.open_time[2_800])  # the close of candle 2,799
        env.clock.time = until + 2
        options = BinanceOptions(url=env.server.base_url, timeout=30, lookup_delay=0.01, seed=1)
        market = BinanceExchanges(options).market_data()
        got = market.closed_candles(Symbol("BTCUSDT"), "1m", PositionType.SPOT, until, 2_500)
        assert market.fetches == 3  # 1,000 + 1,000 + 500
        assert np.array_equal(got.open_time, minutes.open_time[300:2_800])
        assert np.array_equal(got.close, minutes.close[300:2_800])
        env.clock.time = until + 60 + 2
        later = market.closed_candles(Symbol("BTCUSDT"), "1m", PositionType.SPOT, until + 60, 2_500)
        assert market.fetches == 4  # one more call, for the candle that closed since
        assert np.array_equal(later.open_time, minutes.open_time[301:2_801])
