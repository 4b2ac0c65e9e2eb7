"""Fixtures of the API tests: a real gateway per test."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .api_support import GatewayUnderTest, start_gateway


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[GatewayUnderTest]:
    async for running in start_gateway(tmp_path):
        yield running
