"""`tradewind exchange serve` as a user runs it: a real process, real HTTP, Ctrl-C to stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from typer.testing import CliRunner

from tradewind.entrypoints.cli.main import app
from tradewind.testkit.binance_server import sign

CLI = [sys.executable, "-m", "tradewind.entrypoints.cli", "exchange", "serve"]
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"}
# Every wait below ends on a condition (a line, an answer, the exit); this only bounds a
# hung process. A loaded machine takes seconds to start Python and stop a server.
SAFETY_S = 120


def test_the_server_serves_a_signed_account_and_stops_cleanly_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [*CLI, "--account", "cli-key:cli-secret", "--balance", "USDT=2500",
         "--futures-balance", "USDT=100", "--speed", "60", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("listening on http://127.0.0.1:"), first
        url = first.split()[-1]
        with httpx.Client(base_url=url, timeout=SAFETY_S) as client:
            assert client.get("/api/v3/ping").json() == {}
            payload = urlencode({"timestamp": time.time_ns() // 1_000_000})
            signed = f"{payload}&signature={sign('cli-secret', payload)}"
            account = client.get(f"/api/v3/account?{signed}", headers={"X-MBX-APIKEY": "cli-key"})
            assert account.status_code == 200
            assert account.json()["balances"] == [
                {"asset": "USDT", "free": "2500.00000000", "locked": "0.00000000"}
            ]
            price = client.get("/fapi/v1/ticker/price", params={"symbol": "ETHUSDT"}).json()
            assert float(price["price"]) > 0
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=SAFETY_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(SAFETY_S)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "cli-secret" not in out + err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "192.0.2.10"], "--host: '192.0.2.10' is not a loopback address"),
        (["--account", "no-secret"], "--account: give KEY:SECRET"),
        (["--account", "k:s", "--account", "k:t"], "--account: each KEY may be given once"),
        (["--balance", "USDT=-5"], "--balance: give ASSET=AMOUNT with an amount >= 0"),
        (["--csv", "BTCUSDT=candles.csv"], "--csv: candle files are in the past; give --speed"),
        (["--csv", "BTCUSDT=missing.csv", "--speed", "1"], "--csv missing.csv: cannot read"),
        (["--symbol", "DOGEUSDT"], "--symbol: no built-in spot rules for 'DOGEUSDT'"),
        (["--speed", "0"], "--speed: must be above 0"),
    ],
)
def test_bad_input_is_refused_naming_the_flag_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], message: str
) -> None:
    # In-process (the command refuses before serving anything), so no interpreter start-up.
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, ["exchange", "serve", *args])
    assert done.exit_code == 2, done.output
    assert message in " ".join(done.stderr.split())
    assert done.exception is None or isinstance(done.exception, SystemExit)


def test_a_manual_clock_stands_still_until_moved_and_no_order_fills_after_the_data(
    tmp_path: Path,
) -> None:
    """`--manual-clock`: the market moves only when told to (a replay through the adapter
    steps it minute by minute), never back, and ends where the candle file ends."""
    minutes = ["open_time,open,high,low,close,volume\n"] + [
        f"2023-03-01T00:{m:02d}:00Z,{100 + m},{101 + m},{99 + m},{100.5 + m},1\n"
        for m in range(10)
    ]  # fmt: skip
    candles = tmp_path / "BTCUSDT-1m.csv"
    candles.write_text("".join(minutes))
    first = 1677628800  # 2023-03-01 00:00 UTC
    process = subprocess.Popen(
        [*CLI, "--csv", f"BTCUSDT={candles}", "--manual-clock", "--account", "k:s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        with httpx.Client(base_url=url, timeout=SAFETY_S) as client:
            start = client.get("/_tradewind/clock").json()["time"]
            assert start == first  # the file's first minute
            moved = client.post("/_tradewind/clock", json={"time": first + 5 * 60 + 1})
            assert moved.json() == {"time": first + 5 * 60 + 1}
            klines = client.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"})
            assert [k[0] // 1000 for k in klines.json()][-1] == first + 5 * 60  # forming
            back = client.post("/_tradewind/clock", json={"time": first})
            assert back.status_code == 400
            assert "cannot go back" in back.json()["error"]
            client.post("/_tradewind/clock", json={"time": first + 9 * 60})  # the last minute
            assert _buy(client).status_code == 200
            client.post("/_tradewind/clock", json={"time": first + 10 * 60})  # the data's end
            refused = _buy(client)  # nothing to fill at after the end: try again later
            assert (refused.status_code, refused.json()["code"]) == (503, -1008), refused.text
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=SAFETY_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(SAFETY_S)
    assert process.returncode == 0, err
    assert "moved by POST /_tradewind/clock" in out


def _buy(client: httpx.Client) -> httpx.Response:
    """Send a signed spot MARKET BUY of 1 BTC (about 110 USDT here) for the account k:s."""
    payload = urlencode({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1",
                         "timestamp": time.time_ns() // 1_000_000})  # fmt: skip
    return client.post(
        "/api/v3/order", content=f"{payload}&signature={sign('s', payload)}",
        headers={"X-MBX-APIKEY": "k", "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
