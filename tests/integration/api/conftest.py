"""Fixtures of the API tests: a real gateway per test, or a case of the module's shared one."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .api_support import GatewayUnderTest, start_gateway


@pytest.fixture
def gw(request: pytest.FixtureRequest) -> GatewayUnderTest:
    """The test's gateway: its own, or under ``@on_the_module_gateway`` its case of the module's
    shared one (``shared_gateway``), with creditors of its own."""
    shared = request.node.get_closest_marker("shared_gateway") is not None
    running: GatewayUnderTest = request.getfixturevalue("shared_gw" if shared else "own_gw")
    return running


@pytest.fixture
async def own_gw(tmp_path: Path) -> AsyncIterator[GatewayUnderTest]:
    """A gateway started for this test alone, on the database ``tests/conftest.py`` made."""
    async for running in start_gateway(tmp_path):
        yield running
