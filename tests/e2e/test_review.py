"""Reviewing templates in Chromium: findings highlighted, approve, reject, four-eyes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .browser_support import DESKTOP, screenshot, sign_in, tab
from .shared import UiWorld

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = pytest.mark.browser


class TestApprove:
    """A reviewer opens a queued version, sees its finding marked in place, and approves it."""

    async def test_approve_with_finding_highlighted(self, world: UiWorld, browser: Browser) -> None:
        template_id = world.templates["lawyer-letter"]
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.get_by_role("link", name="lawyer-letter").first.click()
            mark = page.locator("#body-marked mark.finding")
            assert await mark.count() == 1
            assert await mark.inner_text() == "律 师1"  # as written, with its number
            assert "sev-review" in (await mark.get_attribute("class") or "")
            await screenshot(page, "review-desktop")
            await page.get_by_label("理由（必填）").fill("律师函真实，已核对委托书")
            await page.get_by_role("button", name="批准").click()
            await page.wait_for_url("**/ui/queue?notice=approved")
            assert "lawyer-letter" not in await page.locator("main table").inner_text()
        async with world.gateway.store.read() as tx:
            detail = await tx.templates.detail("acme", template_id)
        assert detail is not None
        assert [v.status.value for v in detail.versions] == ["approved"]
        assert detail.reviews[-1].reason == "律师函真实，已核对委托书"


class TestReject:
    """Rejecting needs a reason: the browser asks for one, then the rejection is stored with it."""

    async def test_reject_with_reason(self, world: UiWorld, browser: Browser) -> None:
        template_id = world.templates["due-date-notice"]
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.goto(f"/ui/templates/{template_id}")
            await page.get_by_role("button", name="驳回").click()  # no reason yet
            assert page.url.endswith(f"/ui/templates/{template_id}")
            assert await page.locator("#reason:invalid").count() == 1
            await page.get_by_label("理由（必填）").fill("到期日前提醒过早，请改为到期当天发送")
            await page.get_by_role("button", name="驳回").click()
            await page.wait_for_url("**/ui/queue?notice=rejected")
            await screenshot(page, "queue-after-reject-desktop")
        async with world.gateway.store.read() as tx:
            detail = await tx.templates.detail("acme", template_id)
        assert detail is not None
        assert detail.versions[-1].status.value == "rejected"
        assert detail.reviews[-1].reason == "到期日前提醒过早，请改为到期当天发送"


class TestFourEyes:
    """The author of a version cannot decide on it: the page says so and nothing changes."""

    async def test_own_version_is_refused(self, world: UiWorld, browser: Browser) -> None:
        template_id = world.templates["self-written"]
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["author_reviewer"])
            await page.goto(f"/ui/templates/{template_id}")
            assert "四眼原则" in await page.locator("#decision").inner_text()
            await page.get_by_label("理由（必填）").fill("自己写的，也没问题")
            async with page.expect_response(f"**/templates/{template_id}/approve") as answer:
                await page.get_by_role("button", name="批准").click()
            assert (await answer.value).status == 403
            alert = page.get_by_role("alert")
            assert "四眼原则" in await alert.inner_text()
            assert await page.get_by_label("理由（必填）").input_value() == "自己写的，也没问题"
            await screenshot(page, "review-four-eyes-desktop")
        async with world.gateway.store.read() as tx:
            detail = await tx.templates.detail("acme", template_id)
        assert detail is not None
        assert detail.versions[-1].status.value == "submitted"
        assert detail.reviews == ()


class TestDiff:
    """A new version of an approved template shows what changed since the approved one."""

    async def test_diff_marks_the_insertion(self, world: UiWorld, browser: Browser) -> None:
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.goto(f"/ui/templates/{world.templates['overdue-reminder']}")
            inserted = await page.locator("#diff ins").all_inner_texts()
            assert "".join(inserted) == "通过官方APP"
            assert await page.locator("#diff del").count() == 0
