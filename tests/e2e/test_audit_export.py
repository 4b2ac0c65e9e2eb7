"""The audit trail in Chromium: filter by template, download the CSV, compare it with the log."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING

import pytest

from smsgate.store import AuditQuery

from .browser_support import DESKTOP, screenshot, sign_in, tab
from .shared import UiWorld

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = pytest.mark.browser


async def expected_seqs(world: UiWorld, template_id: str) -> list[int]:
    """The acme entries about the template or its messages, read straight from the log."""
    async with world.gateway.store.read() as tx:
        entries = await tx.audit.entries(AuditQuery(creditor_id="acme", limit=100_000))
    return [
        e.seq
        for e in entries
        if e.subject == template_id or e.detail.get("template_id") == template_id
    ]


class TestExport:
    """The CSV holds exactly the rows the filter selects, with their leaf hashes."""

    async def test_filtered_csv_export(self, world: UiWorld, browser: Browser) -> None:
        template_id = world.templates["overdue-reminder"]
        async with tab(browser, world.base_url, accept_downloads=True, **DESKTOP) as page:
            await sign_in(page, world.tokens["reviewer"])
            await page.goto("/ui/audit")
            assert "审计树校验通过" in await page.locator("#chain").inner_text()
            await page.get_by_label("模板").select_option(label="overdue-reminder")
            await page.get_by_role("button", name="筛选").click()
            await page.wait_for_url(f"**template={template_id}**")
            await screenshot(page, "audit-filtered-desktop")
            shown = await page.locator("#audit-rows tbody tr").count()
            async with page.expect_download() as download_info:
                await page.locator("#export-csv").click()
            download = await download_info.value
            text = (await download.path()).read_text(encoding="utf-8")
        rows = list(csv.DictReader(io.StringIO(text)))
        wanted = await expected_seqs(world, template_id)
        assert [int(row["seq"]) for row in rows] == wanted
        assert shown == len(wanted)
        assert {row["action"] for row in rows} >= {"template.created", "message.held"}
        held = next(row for row in rows if row["action"] == "message.held")
        assert json.loads(held["detail"])["template_id"] == template_id
