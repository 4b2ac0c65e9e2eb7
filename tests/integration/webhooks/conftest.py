"""A fresh SQLite store with two tenants, a settable clock, and a receiver on 127.0.0.1.

SQLite only for now: the ``store`` here asks for ``db_path``, which keeps
these tests off PostgreSQL (see ``tests/conftest.py``) until the PostgreSQL
store implements ``WebhookRepository``; then drop that parameter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from smsgate.store import Store, utc_now

from ..dispatch.dispatch_support import Clock, Tenant
from ..store_fixtures import OpenStore, db_path, open_more
from .receiver import Receiver

__all__ = ["acme", "bravo", "clock", "db_path", "open_more", "receiver", "store"]


@pytest.fixture
async def store(open_more: OpenStore, db_path: Path) -> Store:
    return await open_more()


@pytest.fixture
def clock() -> Clock:
    # Real time to start with: signatures carry the clock's time, and the
    # receiver checks them against the same clock.
    return Clock(utc_now().replace(microsecond=0))


@pytest.fixture
async def acme(store: Store) -> Tenant:
    return await Tenant("acme").save(store)


@pytest.fixture
async def bravo(store: Store) -> Tenant:
    return await Tenant("bravo").save(store)


@pytest.fixture
async def receiver(clock: Clock) -> AsyncIterator[Receiver]:
    server = Receiver(clock)
    await server.start()
    yield server
    await server.stop()
