"""The UI acceptance check, as a newcomer does it: run ``smsgate demo``, open the printed URL,
sign in with the printed reviewer key, and approve the template waiting for review."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .browser_support import DESKTOP, screenshot, tab

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = pytest.mark.browser


def banner_until_started(process: subprocess.Popen[str], within: float = 60) -> list[str]:
    """The demo's output up to the line saying the dispatcher (and so the server) started."""
    assert process.stdout is not None
    deadline, lines = time.monotonic() + within, []
    while time.monotonic() < deadline and process.poll() is None:
        lines.append(process.stdout.readline().rstrip("\n"))
        if "dispatcher_started" in lines[-1]:
            return lines
    pytest.fail("smsgate demo did not start:\n" + "\n".join(lines))


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``smsgate demo`` running; the UI URL and the reviewer key its banner printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "smsgate.cli", "demo", "--port", str(port)],
        cwd=tmp_path, env={**env, "SMSGATE_LOG_FORMAT": "json"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        banner = banner_until_started(process)
        reviewer = next(re.split(r"\s+", line.strip())[1] for line in banner
                        if line.strip().startswith("reviewer "))  # fmt: skip
        url = next(line.split()[2] for line in banner if line.startswith("Compliance UI: "))
        yield url, reviewer
    finally:
        process.terminate()
        process.communicate(timeout=30)


class TestNewcomer:
    """From the banner alone, the pending demo template is approved in the browser."""

    async def test_approve_the_pending_demo_template(
        self, demo: tuple[str, str], browser: Browser
    ) -> None:
        url, reviewer = demo
        started = time.monotonic()
        async with tab(browser, url, **DESKTOP) as page:
            await page.goto(url)
            await page.get_by_label("登录密钥").fill(reviewer)
            await page.get_by_role("button", name="登录").click()
            await page.get_by_role("link", name="due-date-notice").first.click()
            await page.get_by_label("理由（必填）").fill("到期提醒措辞合规")
            await page.get_by_role("button", name="批准").click()
            await page.wait_for_url("**/ui/queue?notice=approved")
            await screenshot(page, "demo-after-approval-desktop")
            assert "due-date-notice" not in await page.locator("main").inner_text()
        assert time.monotonic() - started < 120
