"""A carrier that hangs, resets connections or answers garbage, behind the real ``http`` adapter.

The fleet comes from a carriers file, as deployed: account ``flaky`` (a
``FaultyPeer`` with one fault) first on the default route, ``steady`` (a
healthy peer) second, both the ``http`` adapter over real sockets on
127.0.0.1. The dispatcher's unit tests (``tests/integration/dispatch``)
cover the same rules with fake carriers; here the point is that the
adapter's boundary classifies what real sockets do, and that the whole
chain then holds the promise "nothing is sent twice":

* a fault after which the peer may have taken the message (no answer, a
  reset after the body was read, a 200 whose body cannot be read) becomes
  ``unknown``, and is never sent to ``steady`` as well;
* a fault that proves it was not taken (connection refused, a 502 page) is
  retried on ``steady`` (failover);
* either way ``flaky``'s circuit opens after its threshold, and the rest of
  the traffic goes straight to ``steady``.

``SMSGATE_FAULT_MESSAGES`` (default 8) sets how many messages each case sends.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from smsgate.carriers.fleet import CarrierFleet, build_fleet
from smsgate.commands.demo import daytime_place
from smsgate.dispatch import Dispatcher, DispatchSettings, RetryPolicy
from smsgate.settings import Settings
from smsgate.store import Store, open_store, utc_now

from ..dispatch.dispatch_support import Tenant
from ..local import free_port
from .faulty_peer import Fault, FaultyPeer

MESSAGES = int(os.environ.get("SMSGATE_FAULT_MESSAGES", "8"))
THRESHOLD = 3  # flaky's breaker: consecutive failures before it opens
ADAPTER_TIMEOUT_S = 1
SETTLE_WITHIN_S = 60.0
FINAL = {"sent", "unknown", "failed"}
SETTINGS = DispatchSettings(
    lease=timedelta(seconds=30),
    batch_size=MESSAGES,
    concurrency=1,  # one send at a time: the breaker's count is exact
    send_timeout=timedelta(seconds=ADAPTER_TIMEOUT_S * 5),
    retry=RetryPolicy(base=timedelta(milliseconds=50), cap=timedelta(milliseconds=200)),
)

MAYBE_TAKEN = [
    pytest.param(Fault.HANG, id="times-out"),
    pytest.param(Fault.RESET_AFTER_READ, id="reset-after-read"),
    pytest.param(Fault.RESET_BEFORE_BODY, id="reset-before-body"),
    pytest.param(Fault.NOT_JSON, id="garbage-not-json"),
    pytest.param(Fault.TRUNCATED_JSON, id="garbage-truncated-json"),
    pytest.param(Fault.WRONG_SHAPE, id="garbage-wrong-shape"),
]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store(f"sqlite:///{tmp_path / 'carriers.db'}")
    yield opened
    await opened.close()


@pytest.fixture
async def steady() -> AsyncIterator[FaultyPeer]:
    peer = await FaultyPeer(Fault.NONE).start()
    yield peer
    await peer.close()


async def queue(store: Store) -> list[str]:
    tenant = await Tenant().save(store)
    place = daytime_place(utc_now())
    daytime = {"phone": place.phone(138000), "timezone": place.zone}
    # Booked now, the day they go: the cap is not judged again (nor breached anew).
    messages = [
        (await tenant.accept(store, 1, **daytime, due_at=utc_now()))[0] for _ in range(MESSAGES)
    ]
    return [message.id for message in messages]


def carriers_file(folder: Path, flaky_url: str, steady_url: str) -> Path:
    path = folder / "carriers.toml"
    path.write_text(
        f'[carriers.flaky]\nkind = "http"\nurl = "{flaky_url}"\n'
        f"timeout_seconds = {ADAPTER_TIMEOUT_S}\n"
        f"breaker = {{ failures = {THRESHOLD}, cooldown_seconds = 300 }}\n"
        f'[carriers.steady]\nkind = "http"\nurl = "{steady_url}"\n'
        f"timeout_seconds = {ADAPTER_TIMEOUT_S}\n"
        '[routes]\ndefault = ["flaky", "steady"]\n',
        encoding="utf-8",
    )
    return path


def fleet_from(path: Path) -> CarrierFleet:
    """The fleet ``smsgate dispatch`` would build from this carriers file."""
    env = {
        "SMSGATE_CARRIERS": str(path),
        "SMSGATE_CARRIER_FLAKY_SECRET": "flaky-signing-secret",
        "SMSGATE_CARRIER_STEADY_SECRET": "steady-signing-secret",
    }
    return build_fleet(Settings.from_env(env))


async def dispatch_until_settled(
    store: Store, fleet: CarrierFleet, ids: list[str]
) -> dict[str, str]:
    """Run dispatch rounds until every message is final; their statuses."""
    dispatcher = Dispatcher(store, fleet, owner="faults", settings=SETTINGS)
    deadline = time.monotonic() + SETTLE_WITHIN_S
    while True:
        await dispatcher.run_once()
        statuses = await statuses_of(store, ids)
        if set(statuses.values()) <= FINAL:
            return statuses
        if time.monotonic() > deadline:
            pytest.fail(f"not settled within {SETTLE_WITHIN_S}s: {Counter(statuses.values())}")
        await asyncio.sleep(0.05)


async def statuses_of(store: Store, ids: list[str]) -> dict[str, str]:
    async with store.read() as tx:
        found = {mid: await tx.messages.get(mid, creditor_id=None) for mid in ids}
    return {mid: message.status.value for mid, message in found.items() if message is not None}


async def run_case(
    store: Store, tmp_path: Path, flaky_url: str, steady: FaultyPeer
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    ids = await queue(store)
    fleet = fleet_from(carriers_file(tmp_path, flaky_url, steady.url))
    try:
        with capture_logs() as logs:
            statuses = await dispatch_until_settled(store, fleet, ids)
    finally:
        await fleet.aclose()
    return statuses, logs


def assert_circuit_opened(logs: list[dict[str, Any]]) -> None:
    opened = [(e["carrier"], e["failures"]) for e in logs if e["event"] == "circuit_opened"]
    assert opened == [("flaky", THRESHOLD)], opened
    chosen = [e["carrier"] for e in logs if e["event"] == "carrier_chosen"]
    assert chosen == ["flaky"] * THRESHOLD + ["steady"] * (MESSAGES - THRESHOLD), chosen


class TestOutcomeUnknownIsNotResent:
    """A fault after which the peer may hold the message: ``unknown``, never sent elsewhere."""

    @pytest.mark.parametrize("fault", MAYBE_TAKEN)
    async def test_unknown_then_circuit_opens(
        self, fault: Fault, store: Store, steady: FaultyPeer, tmp_path: Path
    ) -> None:
        flaky = await FaultyPeer(fault).start()
        try:
            statuses, logs = await run_case(store, tmp_path, flaky.url, steady)
        finally:
            await flaky.close()
        both = flaky.taken + steady.taken
        unknown = {mid for mid, status in statuses.items() if status == "unknown"}
        print(f"\n{fault}: {dict(Counter(statuses.values()))}; flaky took {len(flaky.taken)}")
        assert max(both.values()) == 1, f"a message reached the carriers twice: {both}"
        assert len(unknown) == THRESHOLD, Counter(statuses.values())
        assert not unknown & set(steady.taken), "an unknown outcome was sent again elsewhere"
        assert {mid for mid, s in statuses.items() if s == "sent"} == set(steady.taken)
        assert_circuit_opened(logs)
        expected_taken = set() if fault is Fault.RESET_BEFORE_BODY else unknown
        assert set(flaky.taken) == expected_taken


class TestNotTakenFailsOver:
    """A fault proving the peer did not take the message: retried on the next account."""

    @pytest.mark.parametrize(
        "fault",
        [
            pytest.param(None, id="connection-refused"),
            pytest.param(Fault.HTML_502, id="html-502-page"),
        ],
    )
    async def test_failover_then_circuit_opens(
        self, fault: Fault | None, store: Store, steady: FaultyPeer, tmp_path: Path
    ) -> None:
        flaky = await FaultyPeer(fault).start() if fault is not None else None
        url = flaky.url if flaky is not None else f"http://127.0.0.1:{free_port()}/sms"
        try:
            statuses, logs = await run_case(store, tmp_path, url, steady)
        finally:
            if flaky is not None:
                await flaky.close()
        assert set(statuses.values()) == {"sent"}, Counter(statuses.values())
        assert sorted(steady.taken) == sorted(statuses), "not every message reached steady once"
        assert max(steady.taken.values()) == 1
        assert flaky is None or (not flaky.taken and len(flaky.refused) == THRESHOLD)
        assert_circuit_opened(logs)
        failovers = [
            (e["failed_on"], e["carrier"]) for e in logs if e["event"] == "carrier_failover"
        ]
        assert failovers == [("flaky", "steady")] * THRESHOLD, failovers
