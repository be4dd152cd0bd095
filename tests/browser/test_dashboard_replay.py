"""The dashboard beside a running replay (`tradewind run --replay … --web`), in headless
Chromium: a bot created and started from the command line trades while the trader
watches its page, closes its position and stops it from the page."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import shared_file
from tests.integration.api_harness import PASSWORD

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
]


def tradewind(data: Path, *args: str | Path, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "TRADEWIND_DATA_DIR": str(data), "NO_COLOR": "1", **env}
    for name in ("TRADEWIND_DATABASE_URL", "TRADEWIND_SECRET_KEY"):
        environment.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "tradewind.entrypoints.cli", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment,
    )  # fmt: skip


def done(data: Path, *args: str | Path, **env: str) -> None:
    process = tradewind(data, *args, **env)
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output


@pytest.fixture
def replay(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    candles = shared_file("BTCUSDT-1m-binanceus-2023-03.csv")
    data = tmp_path / "data"
    done(data, "init")
    done(data, "user", "add", "ann@example.com", TRADEWIND_PASSWORD=PASSWORD)
    done(data, "account", "add", "--user", "ann@example.com", "--name", "paper", "--kind", "paper")
    done(data, "bot", "create", "--user", "ann@example.com", "--name", "fast", "--symbol",
         "BTCUSDT", "--timeframe", "1m", "--position-type", "spot",
         "--position-size-fixed", "100")  # fmt: skip
    done(data, "bot", "start", "fast")
    running = tradewind(
        data, "run", "--replay", candles, "--speed", "3000", "--quiet", "--web", "--web-port", "0"
    )
    try:
        assert running.stdout is not None
        for line in running.stdout:
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if found:
                yield found.group(1), running
                break
        else:
            pytest.fail("tradewind run --web printed no address")
    finally:
        running.terminate()
        running.wait(timeout=60)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def close_now(page: Page) -> None:
    """Close the bot's position from its page: a MARKET order, its trade's reason `manual`.

    The replay runs fast: an exit may close the position between the page showing it and
    the click (the API then says there is nothing to close), so wait for the next one."""
    close = page.locator("#bot-page [data-action=close]")
    for _ in range(20):
        close.click()  # waits for a position to be held
        try:
            expect(page.locator("table").first).to_contain_text("manual", timeout=30_000)
            return
        except AssertionError:
            continue
    pytest.fail("no position could be closed from the page")


def test_a_trader_watches_a_bot_trade_during_a_replay_and_stops_it(
    replay: tuple[str, subprocess.Popen[str]], browser: Browser
) -> None:
    base_url, _ = replay
    expect.set_options(timeout=120_000)
    page = browser.new_context().new_page()
    page.goto(base_url)
    page.fill("#login input[name=email]", "ann@example.com")
    page.fill("#login input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    page.click("text=fast")
    expect(page.locator("#bot-page h2")).to_contain_text("fast · BTCUSDT 1m spot")
    trades = page.locator("table").first
    expect(trades.locator("tr")).not_to_have_count(1)  # a fill beyond the header row, live
    expect(trades).to_contain_text("entry")
    # The chart draws the replay's own candles (what the bot decides on) with its entry.
    page.reload()
    chart = page.locator("#candle-chart")
    expect(chart.locator(".candle")).not_to_have_count(0)
    expect(chart.locator(".marker[data-kind=entry]")).not_to_have_count(0)
    expect(page.locator("#chart-note")).to_have_text("")
    close_now(page)
    page.click("#bot-page [data-action=stop]")
    expect(page.locator("#bot-page")).to_contain_text("stopped by its owner")
