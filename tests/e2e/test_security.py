"""Security through a real browser: a forged cross-origin form, expiry, tenants, language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from .browser_support import DESKTOP, screenshot, sign_in, tab
from .shared import UiWorld

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = pytest.mark.browser

FORGED = """<!doctype html><html><body>
<form id="f" method="post" action="{target}">
<input name="reason" value="looks fine"><input name="version" value="1">
</form><script>document.getElementById("f").submit();</script></body></html>"""


@asynccontextmanager
async def attacker_site(target: str) -> AsyncIterator[str]:
    """Another origin on 127.0.0.1 serving a page that auto-posts a form to ``target``."""

    async def forged(_: web.Request) -> web.Response:
        return web.Response(text=FORGED.format(target=target), content_type="text/html")

    app = web.Application()
    app.router.add_get("/", forged)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


class TestCsrf:
    """A form posted from another origin carries the session cookie but not the token: 403."""

    async def test_forged_post_is_rejected(self, world: UiWorld, browser: Browser) -> None:
        template_id = world.templates["lawyer-letter"]
        target = f"{world.base_url}/ui/templates/{template_id}/approve"
        async with attacker_site(target) as evil, tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            async with page.expect_response(target) as answer:
                await page.goto(evil)
            assert (await answer.value).status == 403
            await page.wait_for_load_state()
            assert "CSRF" in await page.get_by_role("alert").inner_text()
            await screenshot(page, "csrf-rejected-desktop")
        async with world.gateway.store.read() as tx:
            detail = await tx.templates.detail("acme", template_id)
        assert detail is not None
        assert detail.versions[-1].status.value == "submitted"


class TestExpiry:
    """After the idle timeout the next click lands on the sign-in page, saying why."""

    async def test_idle_session_expires(self, world: UiWorld, browser: Browser) -> None:
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            world.clock.advance(minutes=31)
            await page.get_by_role("link", name="暂扣短信").click()
            await page.wait_for_url("**/ui/login?**reason=expired**")
            assert "登录已过期" in await page.locator("main").inner_text()
            await page.get_by_label("登录密钥").fill(world.tokens["reviewer"])
            await page.get_by_role("button", name="登录").click()
            await page.wait_for_url("**/ui/held")


class TestTenants:
    """A reviewer of acme never sees globex's templates, messages or audit entries."""

    async def test_other_creditor_is_invisible(self, world: UiWorld, browser: Browser) -> None:
        globex_template = world.templates["globex-private"]
        globex_held = world.held["globex"][0]
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            for path in ("/ui/queue", "/ui/held", "/ui/audit", "/ui/opt-outs", "/ui/dashboard"):
                await page.goto(path)
                html = await page.content()
                assert globex_template not in html, path
                assert globex_held not in html, path
                assert "globex" not in html, path
            answer = await page.goto(f"/ui/templates/{globex_template}")
            assert answer is not None
            assert answer.status == 404
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["globex_reviewer"])
            await page.goto("/ui/held")
            assert await page.locator(f"#held-{globex_held}").count() == 1
            assert await page.locator("ol.cards > li").count() == 1


class TestLanguage:
    """Chinese by default; the English link switches and the choice follows the reviewer."""

    async def test_english_switch(self, world: UiWorld, browser: Browser) -> None:
        async with tab(browser, world.base_url, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            assert await page.locator("h1").inner_text() == "待审模板"
            await page.get_by_role("link", name="English").click()
            assert await page.locator("h1").inner_text() == "Review queue"
            await page.get_by_role("link", name="Held messages").click()
            assert (await page.locator("h1").inner_text()).startswith("Held messages")
            assert await page.locator("html").get_attribute("lang") == "en"
            await screenshot(page, "held-english-desktop")
            await page.get_by_role("link", name="中文").click()
            assert (await page.locator("h1").inner_text()).startswith("暂扣短信")
