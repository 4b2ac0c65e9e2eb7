"""A fresh peer SMSC per test, a recording sink, and a builder for adapters bound to the peer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from smsgate.carriers.smpp import SmppCarrier, account_from_config

from .peer_support import PASSWORD, SYSTEM_ID, Peer, RecordingSink

MakeCarrier = Callable[..., SmppCarrier]


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    started = await Peer.start()
    yield started
    await started.stop()


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def make_carrier(peer: Peer, sink: RecordingSink) -> AsyncIterator[MakeCarrier]:
    """Builds adapters for the peer with the sink attached; closes them after the test."""
    made: list[SmppCarrier] = []

    def make(*, attach: bool = True, **settings: Any) -> SmppCarrier:
        config = {
            "name": "smpp-test", "host": "127.0.0.1", "port": peer.port,
            "system_id": SYSTEM_ID, "password": PASSWORD, "source_addr": "10690001",
            "timeout_seconds": 2, **settings,
        }  # fmt: skip
        carrier = SmppCarrier(account_from_config(config))
        if attach:
            carrier.attach(sink)
        made.append(carrier)
        return carrier

    yield make
    for carrier in made:
        await carrier.aclose()
