"""A fresh database per test (SQLite file or PostgreSQL database), and further stores on it.

The store tests and the dispatcher tests both need a real database that
several ``Store`` objects open at once, as separate processes would, so the
fixtures live here once and each package's ``conftest`` imports them (pytest
finds fixtures that a conftest imports). Their ``tenant`` fixtures differ and
stay with each package.

``database_url`` (``tests/conftest.py``) is the test's own empty database on
its backend: every test that uses these fixtures runs on SQLite and on
PostgreSQL, except those asking for ``db_path``, which read the SQLite file
itself and run on SQLite only (``db_path`` is that file).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from smsgate.store import Store, open_store

OpenStore = Callable[[], Awaitable[Store]]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The SQLite file of a SQLite-only test."""
    return tmp_path / "smsgate.db"


@pytest.fixture
async def open_more(database_url: str) -> AsyncIterator[OpenStore]:
    """Opens further stores on the same database, as other processes would; closes them all."""
    opened: list[Store] = []

    async def open_one() -> Store:
        opened.append(await open_store(database_url))
        return opened[-1]

    yield open_one
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_more: OpenStore) -> Store:
    return await open_more()
