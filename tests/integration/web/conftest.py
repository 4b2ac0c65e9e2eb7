"""Fixtures of the UI tests: a seeded gateway with the UI, and a cookie-keeping HTTP client."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .ui_client import UiClient
from .web_support import UiWorld, start_ui


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[UiWorld]:
    async for running in start_ui(tmp_path):
        yield running


@pytest.fixture
async def client(world: UiWorld) -> AsyncIterator[UiClient]:
    async with UiClient.open(world.base_url) as ui:
        yield ui
