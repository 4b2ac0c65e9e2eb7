"""Every page in Chromium on a laptop and a phone: screenshots, no sideways scrolling, keyboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .browser_support import DESKTOP, PHONE, screenshot, sign_in, tab
from .shared import UiWorld

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = pytest.mark.browser

SCREENS = [pytest.param(DESKTOP, "desktop", id="desktop"), pytest.param(PHONE, "phone", id="phone")]


def pages(world: UiWorld) -> dict[str, str]:
    """Every page of the UI, by screenshot name."""
    return {
        "queue": "/ui/queue",
        "review": f"/ui/templates/{world.templates['lawyer-letter']}",
        "review-diff": f"/ui/templates/{world.templates['overdue-reminder']}",
        "held": "/ui/held",
        "opt-outs": "/ui/opt-outs",
        "replies": "/ui/replies",
        "audit": "/ui/audit",
        "wordlists": "/ui/wordlists",
        "dashboard": "/ui/dashboard",
        "not-found": "/ui/no-such-page",
    }


async def overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    width: int = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


class TestEveryPage:
    """Each page renders its main content in one request and fits the screen."""

    @pytest.mark.parametrize(("screen", "label"), SCREENS)
    async def test_pages(
        self, world: UiWorld, browser: Browser, screen: dict[str, Any], label: str
    ) -> None:
        async with tab(browser, world.base_url, **screen) as page:
            await page.goto("/ui/login")
            await screenshot(page, f"login-{label}")
            await sign_in(page, world.tokens["reviewer"])
            for name, path in pages(world).items():
                answer = await page.goto(path)
                assert answer is not None
                assert answer.status == (404 if name == "not-found" else 200), name
                await screenshot(page, f"{name}-{label}")
                assert await overflow(page) == 0, f"{name} scrolls sideways on {label}"

    async def test_scratch_scan_highlights(self, world: UiWorld, browser: Browser) -> None:
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.goto("/ui/wordlists")
            await page.get_by_label("要扫描的文字").fill("请到派 出 所说明情况")
            await page.get_by_role("button", name="扫描").click()
            assert await page.locator("#verdict").inner_text() == "禁止发送"
            assert await page.locator("#scratch-result mark").inner_text() == "派 出 所1"
            await screenshot(page, "wordlists-scan-desktop")

    async def test_dashboard_counts(self, world: UiWorld, browser: Browser) -> None:
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.goto("/ui/dashboard")
            assert await page.locator("#messages-total").inner_text() == "4"
            assert await page.locator("#refusals-total").inner_text() == "1"
            carriers = await page.locator("#h-carriers + svg").text_content() or ""
            assert "100% (1/1)" in carriers


class TestKeyboard:
    """The first Tab reaches the skip link; forms are reachable and labelled."""

    async def test_skip_link_and_focus(self, world: UiWorld, browser: Browser) -> None:
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.goto("/ui/held")
            await page.keyboard.press("Tab")
            focused = await page.evaluate("document.activeElement.className")
            assert focused == "skip"
            await page.keyboard.press("Enter")
            await page.keyboard.press("Tab")
            tag = await page.evaluate("document.activeElement.id")
            assert tag == "select-all"
