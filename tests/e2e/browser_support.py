"""Driving Debian's Chromium with Playwright against the UI, and saving what it shows.

Chromium comes from Debian (``apt-get install chromium``), never from
Playwright's own download, which this network does not allow. It is
started headless with the flags a root user in a sandbox without a network
needs. If Chromium or the playwright package is missing the tests FAIL with
the command that installs it: a browser test that silently skips proves
nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def require_chromium() -> None:
    """Fail (never skip) with the install command if Chromium or playwright is missing."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright is not installed: .venv/bin/pip install 'playwright>=1.45'")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, under Playwright; fails the test if either is missing."""
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        browser = await driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def tab(browser: Browser, base_url: str, **options: Any) -> AsyncIterator[Page]:
    """A fresh browser context (its own cookies) and one page in it."""
    context: BrowserContext = await browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(10_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def sign_in(page: Page, token: str) -> None:
    """Sign in through the form, as a person would."""
    await page.goto("/ui/login")
    await page.get_by_label("登录密钥").fill(token)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_url("**/ui/queue")


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as ``test-output/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
