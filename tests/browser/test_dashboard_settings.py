"""The dashboard's settings pages in headless Chromium: Ann turns two-factor sign-in on
from the Security page, and her next sign-in asks for the code."""

from __future__ import annotations

import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_dashboard import CHROMIUM, browser, shot, sign_in, site  # noqa: F401
from tests.integration.api_harness import PASSWORD
from tradewind.bootstrap.store import Store

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")


def test_two_factor_is_set_up_from_the_page_and_asked_at_the_next_sign_in(
    site: tuple[Store, str],  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    _, base_url = site
    page = sign_in(browser, base_url, "ann@example.com")
    page.click("text=Security")
    expect(page.locator("#two-factor-state")).to_contain_text("Off")
    page.click("#two-factor-enroll")
    secret = page.locator("#two-factor-secret").inner_text().strip()
    confirmed_at = time.time()
    page.fill("#two-factor-confirm input[name=code]", pyotp.TOTP(secret).at(confirmed_at))
    page.click("#two-factor-confirm button[type=submit]")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    expect(page.locator("#two-factor-state")).to_contain_text("On. Recovery codes left: 10")
    shot(page, "security", tmp_path)

    page.click("#logout")
    page.fill("#login input[name=email]", "ann@example.com")
    page.fill("#login input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    expect(page.locator("#login-error")).to_contain_text("code:")
    expect(page.locator("#code-field")).to_be_visible()
    page.fill("#login input[name=code]", pyotp.TOTP(secret).at(confirmed_at, counter_offset=1))
    page.click("#login button[type=submit]")
    expect(page.locator("#who")).to_contain_text("ann@example.com")


def test_a_channel_is_added_tested_and_deleted_from_the_notifications_page(
    site: tuple[Store, str],  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    _, base_url = site
    page = sign_in(browser, base_url, "ann@example.com")
    page.click("text=Notifications")
    expect(page.locator("#no-channels")).to_be_visible()
    page.fill("#channel-form input[name=name]", "mail")
    page.fill("#channel-form input[name=to]", "ann@example.com")
    page.click("#channel-form button[type=submit]")
    row = page.locator("[data-channel]")
    expect(row).to_contain_text("ann@example.com")
    row.locator("[data-action=test]").click()
    expect(page.locator("#flash")).to_contain_text("a test is on its way to mail")
    shot(page, "notifications", tmp_path)
    page.locator("[data-channel] [data-action=delete]").click()
    expect(page.locator("#no-channels")).to_be_visible()
