"""A fresh SQLite file per test, a tenant on it, a clock, and a dispatcher builder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from smsgate.carriers import CarrierAdapter
from smsgate.dispatch import Dispatcher, DispatchSettings, RetryPolicy
from smsgate.store import Store, open_store

from .dispatch_support import Clock, Tenant

OpenStore = Callable[[], Awaitable[Store]]
MakeDispatcher = Callable[..., Dispatcher]


#: Deterministic "full jitter": always half of the allowed wait.
def half(bound: float) -> float:
    return bound / 2


RETRY = RetryPolicy(base=timedelta(seconds=10), cap=timedelta(minutes=5), max_attempts=3)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
async def open_more(db_path: Path) -> AsyncIterator[OpenStore]:
    """Opens stores on the same file, as separate processes would; closes them all."""
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


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_dispatcher(store: Store, clock: Clock) -> MakeDispatcher:
    """Builds a dispatcher on ``store`` reading ``clock``, with exact jitter and small retries."""

    def make(carrier: CarrierAdapter, *, owner: str = "d1", on: Store | None = None,
             **settings: Any) -> Dispatcher:  # fmt: skip
        options = {"retry": RETRY, **settings}
        return Dispatcher(
            on or store, carrier, owner=owner, settings=DispatchSettings(**options),
            clock=clock, jitter=half,
        )  # fmt: skip

    return make
