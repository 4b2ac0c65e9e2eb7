"""Fixtures of the browser tests: the seeded gateway with the UI, and Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .browser_support import chromium
from .shared import UiWorld, start_ui

if TYPE_CHECKING:
    from playwright.async_api import Browser


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[UiWorld]:
    async for running in start_ui(tmp_path):
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running
