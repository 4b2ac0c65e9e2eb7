"""Held messages in Chromium: release one with a reason, reject several at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from smsgate.store import MessageStatus

from .browser_support import PHONE, screenshot, sign_in, tab
from .shared import UiWorld, web_support

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = pytest.mark.browser


async def status_of(world: UiWorld, message_id: str) -> MessageStatus:
    async with world.gateway.store.read() as tx:
        message = await tx.messages.get(message_id, creditor_id="acme")
    assert message is not None
    return message.status


class TestRelease:
    """Releasing a held message queues it; the page never shows the full phone number."""

    async def test_release_one(self, world: UiWorld, browser: Browser) -> None:
        first = world.held["acme"][0]
        async with tab(browser, world.base_url, **PHONE) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.goto("/ui/held")
            body = await page.locator("main").inner_text()
            assert web_support.PHONE not in body
            assert "+86138****8000" in body
            card = page.locator(f"#held-{first}")
            assert await card.locator("mark.finding").inner_text() == "律师1"
            await card.get_by_label("理由（必填）").fill("律师函已核实")
            await card.get_by_role("button", name="放行", exact=True).click()
            await page.wait_for_url("**/ui/held?notice=released&count=1")
            assert await page.locator(f"#held-{first}").count() == 0
            await screenshot(page, "held-after-release-phone")
        assert await status_of(world, first) in {MessageStatus.QUEUED, MessageStatus.SCHEDULED}


class TestBulk:
    """Select all, one reason, one click: every held message of the creditor is rejected."""

    async def test_reject_all_selected(self, world: UiWorld, browser: Browser) -> None:
        async with tab(browser, world.base_url) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.goto("/ui/held")
            await page.get_by_label("全选").check()
            assert await page.locator("input[name=message_id]:checked").count() == 3
            await page.locator("#bulk-reason").fill("措辞不当，统一拒发")
            await page.get_by_role("button", name="拒发所选").click()
            await page.wait_for_url("**/ui/held?notice=held_rejected&count=3")
            assert await page.locator("#held-empty").is_visible()
        for message_id in world.held["acme"]:
            assert await status_of(world, message_id) is MessageStatus.REJECTED
        async with world.gateway.store.read() as tx:
            other = await tx.messages.get(world.held["globex"][0], creditor_id="globex")
        assert other is not None
        assert other.status is MessageStatus.HELD
