"""Two gateways and two dispatchers on one PostgreSQL database: caps exact, each message once.

Real processes, as deployed: two ``smsgate serve`` (``SMSGATE_DISPATCH=0``)
and two ``smsgate dispatch``, each dispatcher with the ``file`` carrier
writing its own JSON-lines file. 500 sends race over 100 debtors, five
attempts each, spread over both gateways in a shuffled order, against the
default cap of three contacts a debtor a day: every debtor must get exactly
three, nothing may fail with a 5xx, and once the outbox is empty every
accepted message must appear exactly once across the two dispatchers' files.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from smsgate.commands.demo import DemoPlace, daytime_place
from smsgate.demo_seed import seed_demo
from smsgate.store import Store, open_store, utc_now
from smsgate.wordlists import load_scanner

from .audit_support import AUDIT_ENVIRONMENT
from .local import free_port, until_ready
from .pg_server import PostgresServer

pytestmark = pytest.mark.postgres

DEBTORS = 100
ATTEMPTS_EACH = 5
CAP = 3  # cn-shenzhen: three contacts a debtor a local day
IN_FLIGHT = 40
START_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 120.0
SMSGATE = str(Path(sys.executable).with_name("smsgate"))


@dataclass(frozen=True)
class Fleet:
    """The running processes: the gateways' base URLs and the dispatchers' carrier files."""

    gateways: tuple[str, ...]
    sent_files: tuple[Path, ...]


@dataclass(frozen=True)
class Seeded:
    """What the demo seed gave: a sender key and the approved overdue template."""

    token: str
    template_id: str


@pytest.fixture
def database_url_pg(postgres_server: PostgresServer) -> Iterator[str]:
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture
async def store(database_url_pg: str) -> AsyncIterator[Store]:
    opened = await open_store(database_url_pg)
    yield opened
    await opened.close()


@pytest.fixture
async def seeded(store: Store) -> Seeded:
    demo = await seed_demo(store, load_scanner(), utc_now())
    return Seeded(demo.sender, demo.templates["overdue-reminder"])


@pytest.fixture
def fleet(database_url_pg: str, seeded: Seeded, tmp_path: Path) -> Iterator[Fleet]:
    base = {
        **os.environ, **AUDIT_ENVIRONMENT, "SMSGATE_DATABASE_URL": database_url_pg,
        "SMSGATE_LOG_FORMAT": "json",
    }  # fmt: skip
    ports = (free_port(), free_port())
    files = (tmp_path / "sent-1.jsonl", tmp_path / "sent-2.jsonl")
    commands = [
        ([SMSGATE, "serve"], {"SMSGATE_PORT": str(port), "SMSGATE_DISPATCH": "0"})
        for port in ports
    ] + [
        ([SMSGATE, "dispatch", "--poll", "0.2"],
         {"SMSGATE_CARRIER": "file", "SMSGATE_CARRIER_FILE": str(path)})
        for path in files
    ]  # fmt: skip
    processes = []
    try:
        for number, (command, env) in enumerate(commands):
            log = (tmp_path / f"process-{number}.log").open("wb")
            processes.append(
                subprocess.Popen(command, env={**base, **env}, stdout=log, stderr=subprocess.STDOUT)
            )
            log.close()  # the child keeps its own descriptor
        gateways = tuple(f"http://127.0.0.1:{port}" for port in ports)
        asyncio.run(_wait_ready(gateways, processes))
        yield Fleet(gateways, files)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _wait_ready(gateways: tuple[str, ...], processes: list[subprocess.Popen[bytes]]) -> None:
    def alive() -> None:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a gateway or dispatcher process exited during start-up")

    for gateway in gateways:
        await until_ready(gateway, START_TIMEOUT_S, alive)


def send_body(template_id: str, debtor: int, place: DemoPlace) -> dict[str, Any]:
    return {
        "template_id": template_id,
        "variables": {"name": "张三", "amount": "1234.50", "days": 5, "hotline": "4008001234"},
        "recipient": {
            "phone": place.phone(debtor),
            "debtor_id": f"D-{debtor}",
            "role": "debtor",
            "timezone": place.zone,
        },
        "on_quiet_hours": "reject",
    }


async def send_all(fleet: Fleet, seeded: Seeded) -> list[tuple[int, int, dict[str, Any]]]:
    """Every attempt, shuffled, alternating gateways; (debtor, status, body) for each."""
    place = daytime_place(utc_now())
    attempts = [debtor for debtor in range(DEBTORS) for _ in range(ATTEMPTS_EACH)]
    random.Random(7).shuffle(attempts)
    slots = asyncio.Semaphore(IN_FLIGHT)
    headers = {"Authorization": f"Bearer {seeded.token}"}

    async def send(number: int, debtor: int) -> tuple[int, int, dict[str, Any]]:
        url = f"{fleet.gateways[number % len(fleet.gateways)]}/v1/messages"
        async with (
            slots,
            session.post(
                url, json=send_body(seeded.template_id, debtor, place), headers=headers
            ) as response,
        ):
            return debtor, response.status, await response.json(content_type=None)

    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        return await asyncio.gather(*(send(n, debtor) for n, debtor in enumerate(attempts)))


async def wait_until_dispatched(store: Store) -> float:
    """Seconds until the outbox is empty; raises after ``DRAIN_TIMEOUT_S``."""
    started = time.monotonic()
    while True:
        async with store.read() as tx:
            if await tx.outbox.depth() == 0:
                return time.monotonic() - started
        if time.monotonic() - started > DRAIN_TIMEOUT_S:
            raise AssertionError("the outbox did not drain in time")
        await asyncio.sleep(0.2)


def sent_ids(files: tuple[Path, ...]) -> list[list[str]]:
    """The message ids each dispatcher's carrier file holds, in order."""
    return [
        [json.loads(line)["message_id"] for line in path.read_text().splitlines() if line]
        if path.exists()
        else []
        for path in files
    ]


class TestScaleOut:
    """Caps stay exact and each accepted message is sent once, across instances."""

    async def test_caps_exact_and_each_message_once(
        self, fleet: Fleet, seeded: Seeded, store: Store
    ) -> None:
        results = await send_all(fleet, seeded)
        statuses = Counter(status for _, status, _ in results)
        accepted = Counter(debtor for debtor, status, _ in results if status == 202)
        accepted_ids = [body["id"] for _, status, body in results if status == 202]
        drained_in = await wait_until_dispatched(store)
        per_dispatcher = sent_ids(fleet.sent_files)
        sent = Counter(message_id for ids in per_dispatcher for message_id in ids)
        print(
            f"\nscale-out: {len(results)} sends over {DEBTORS} debtors: statuses {dict(statuses)};"
            f" accepted {len(accepted_ids)} (expected {DEBTORS * min(CAP, ATTEMPTS_EACH)});"
            f" dispatched {[len(ids) for ids in per_dispatcher]} per dispatcher,"
            f" outbox drained {drained_in:.1f}s after the last answer"
        )
        assert set(statuses) <= {202, 429}, statuses
        assert accepted == dict.fromkeys(range(DEBTORS), min(CAP, ATTEMPTS_EACH))
        assert sent == dict.fromkeys(accepted_ids, 1)
        assert all(per_dispatcher), "both dispatchers should have sent some"
