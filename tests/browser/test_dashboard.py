"""The dashboard in a real headless Chromium (Playwright driving Debian's `chromium`).

Ann signs in, adds a paper account, creates a bot from the form built from the strategy's
parameters, starts it and sees it run (live, over Server-Sent Events), sees a new fill
appear on the bot's page, stops it; Bob, signed in beside her, sees none of it. The
screenshots of the main pages land in docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.integration.api_harness import PASSWORD, open_store, record_trade, served
from tradewind.adapters.db.engine import make_engine, migrate
from tradewind.bootstrap.store import Store
from tradewind.ports import Bot
from tradewind.services import identity, manage, overview
from tradewind.services.access import Actor, Role

CHROMIUM = shutil.which("chromium")
# `make screenshots` writes them into docs/screenshots for the README; tests, elsewhere.
SCREENSHOTS_DIR = os.environ.get("TRADEWIND_SCREENSHOTS_DIR")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make browser installs it)"
)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Store, str]]:
    url = f"sqlite:///{tmp_path / 'tradewind.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    store = open_store(url, tmp_path, events_poll_seconds=0.2)
    for email, role in (("ann@example.com", Role.USER), ("bob@example.com", Role.USER),
                        ("op@example.com", Role.OPERATOR)):  # fmt: skip
        user = manage.add_user(store.manage_uow, store.clock, Actor.operator(), email)
        identity.set_password(
            store.identity_uow, store.passwords, store.clock, Actor.operator(), user.id,
            PASSWORD, role=role,
        )  # fmt: skip
    try:
        with served(store) as base_url:
            yield store, base_url
    finally:
        store.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def sign_in(browser: Browser, base_url: str, email: str) -> Page:
    page = browser.new_context(viewport={"width": 1200, "height": 800}).new_page()
    page.set_default_timeout(120_000)  # a safety bound for a loaded machine, not a goal
    page.goto(base_url)
    page.fill("#login input[name=email]", email)
    page.fill("#login input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#who")).to_contain_text(email)
    return page


def shot(page: Page, name: str, where: Path) -> None:
    target = Path(SCREENSHOTS_DIR) if SCREENSHOTS_DIR else where
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def test_a_trader_runs_a_bot_from_the_dashboard_and_another_user_sees_none_of_it(
    site: tuple[Store, str], browser: Browser, tmp_path: Path
) -> None:
    store, base_url = site
    expect.set_options(timeout=120_000)
    ann = sign_in(browser, base_url, "ann@example.com")
    wrong = browser.new_context().new_page()
    wrong.goto(base_url)
    wrong.fill("#login input[name=email]", "ann@example.com")
    wrong.fill("#login input[name=password]", "not the password")
    wrong.click("#login button[type=submit]")
    expect(wrong.locator("#login-error")).to_have_text("email or password is wrong")
    wrong.close()

    ann.click("text=Accounts")
    ann.fill("#account-form input[name=balance]", "5000")
    ann.click("#account-form button[type=submit]")
    expect(ann.locator("[data-account]")).to_contain_text("5000 USDT")
    shot(ann, "accounts", tmp_path)

    ann.click("text=New bot")
    ann.fill("#bot-form input[name=name]", "btc-1h")
    ann.select_option("#bot-form select[name=strategy]", "bollinger_rsi")
    expect(ann.locator("#params legend")).to_have_text("bollinger_rsi parameters")
    ann.fill("#bot-form input[name=symbol]", "btc-usdt")
    ann.click("#bot-form button[type=submit]")
    expect(ann.locator("#bot-errors")).to_contain_text("symbol:")  # the field and the rule
    ann.fill("#bot-form input[name=symbol]", "BTCUSDT")
    ann.fill("#bot-form input[name=custom_stop_loss]", "2")
    shot(ann, "bot-form", tmp_path)
    ann.click("#bot-form button[type=submit]")
    expect(ann.locator("#bot-page h2")).to_contain_text("btc-1h · BTCUSDT 1h spot")
    expect(ann.locator("#bot-page")).to_contain_text("Strategy: bollinger_rsi")

    ann.click("#bot-page [data-action=start]")
    expect(ann.locator("#bot-page .status-waiting")).to_have_text("waiting")  # live, via SSE
    bot_id = int(ann.locator("#bot-page").get_attribute("data-id") or 0)
    (user_id,) = {bot.user_id for bot in bots_of_everyone(store)}
    record_trade(store, bot_id, user_id, number=1)
    expect(ann.locator("table").first).to_contain_text("27000")  # the new fill, live
    shot(ann, "bot", tmp_path)

    bob = sign_in(browser, base_url, "bob@example.com")
    expect(bob.locator("#no-bots")).to_be_visible()
    bob.goto(f"{base_url}/#/bots/{bot_id}")
    expect(bob.locator("#flash")).to_contain_text(f"there is no bot {bot_id}")
    bob.click("text=Accounts")
    expect(bob.locator("[data-account]")).to_have_count(0)

    expect(bob.locator("#operator-link")).to_be_hidden()

    ann.click("text=Bots")
    expect(ann.locator(f"[data-bot='{bot_id}']")).to_contain_text("waiting")
    shot(ann, "bots", tmp_path)

    operator = sign_in(browser, base_url, "op@example.com")
    operator.click("#operator-link")
    expect(operator.locator("[data-user]")).to_have_count(3)
    shot(operator, "operator", tmp_path)
    operator.locator("[data-user]", has_text="bob@example.com").locator("button").click()
    expect(operator.locator("[data-user]", has_text="bob@example.com")).to_contain_text("disabled")
    bob.reload()
    expect(bob.locator("#login")).to_be_visible()  # signed out at once
    ann.click(f"[data-bot='{bot_id}'] [data-action=stop]")
    expect(ann.locator(f"[data-bot='{bot_id}']")).to_contain_text("stopped by its owner")
    ann.click("#logout")
    expect(ann.locator("#login")).to_be_visible()


def bots_of_everyone(store: Store) -> list[Bot]:
    return [v.bot for v in overview.bot_views(store.manage_uow, store.clock, Actor.operator())]
