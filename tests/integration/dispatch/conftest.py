"""A fresh SQLite file per test, a tenant on it, a clock, and a dispatcher builder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from smsgate.carriers import CarrierAdapter
from smsgate.carriers.fleet import CarrierFleet
from smsgate.dispatch import Dispatcher, DispatchSettings, RetryPolicy
from smsgate.store import Store

from ..store_fixtures import db_path, open_more, store
from .dispatch_support import Clock, Tenant

# The fixtures of this package, the imported ones included: pytest registers both.
__all__ = ["clock", "db_path", "make_dispatcher", "open_more", "store", "tenant"]

MakeDispatcher = Callable[..., Dispatcher]


#: Deterministic "full jitter": always half of the allowed wait.
def half(bound: float) -> float:
    return bound / 2


RETRY = RetryPolicy(base=timedelta(seconds=10), cap=timedelta(minutes=5), max_attempts=3)


@pytest.fixture
async def tenant(store: Store) -> Tenant:
    return await Tenant().save(store)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_dispatcher(store: Store, clock: Clock) -> MakeDispatcher:
    """Builds a dispatcher on ``store`` reading ``clock``, with exact jitter and small retries."""

    def make(carrier: CarrierAdapter | CarrierFleet, *, owner: str = "d1", on: Store | None = None,
             **settings: Any) -> Dispatcher:  # fmt: skip
        options = {"retry": RETRY, **settings}
        return Dispatcher(
            on or store, carrier, owner=owner, settings=DispatchSettings(**options),
            clock=clock, jitter=half,
        )  # fmt: skip

    return make
