"""A fresh SQLite store file per test, and further stores on it, all closed afterwards.

The store tests and the dispatcher tests both need a real file that several
``Store`` objects open at once, as separate processes would, so the fixtures
live here once and each package's ``conftest`` imports them (pytest finds
fixtures that a conftest imports). Their ``tenant`` fixtures differ and stay
with each package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from smsgate.store import Store, open_store

OpenStore = Callable[[], Awaitable[Store]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "smsgate.db"


@pytest.fixture
async def open_more(db_path: Path) -> AsyncIterator[OpenStore]:
    """Opens further stores on the same file, as other processes would; closes them all."""
    opened: list[Store] = []

    async def open_one() -> Store:
        opened.append(await open_store(f"sqlite:///{db_path}"))
        return opened[-1]

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_more: OpenStore) -> Store:
    return await open_more()
