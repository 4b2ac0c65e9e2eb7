"""A fresh SQLite store in a temporary folder for each test, closed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from smsgate.store import Store, open_store

from .store_support import Tenant

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


@pytest.fixture
async def tenant(store: Store) -> Tenant:
    return await Tenant().save(store)
