"""PostgreSQL stopped and started again under load: 503s while it is away, nothing lost after.

A real ``smsgate serve`` (API only) and a real ``smsgate dispatch`` (the
``file`` carrier, one JSON line per SMS it sends) run on a PostgreSQL server
of the test's own. While keyed sends stream in, the server is shut down
(``pg_ctl stop -m fast``: open sessions are ended; and ``-m immediate``, a
crash recovered from the WAL) for ``SMSGATE_FAULT_SECONDS`` and started
again on the same folder and port.
Neither smsgate process is restarted. The promise checked:

* while the server is away every send is answered, within
  ``ANSWER_WITHIN_S``, with 503 ``store_unavailable`` (never a 500 or a
  hang); ``/readyz`` says 503 and ``/healthz`` stays 200;
* once it is back, sends are accepted again by themselves;
* every request answered 202 is in the database once, whole (ledger contact,
  audit entry, idempotency record), and a refused request retried with its
  ``Idempotency-Key`` is accepted exactly once (a replay of a key already
  accepted gives the same message);
* the dispatcher resumes on its own and no message reaches the carrier
  twice; every message it recorded as sent reached it exactly once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from .fault_support import (
    ANSWER_WITHIN_S,
    FAULT_SECONDS,
    Answer,
    Books,
    Load,
    Processes,
    assert_refusals_clean,
    keys_to_retry,
    processes,
    read_books,
    resend,
    seed,
    service_env,
    start_gateway,
    verify_audit_chain,
    wait_ready,
)
from .pg_restartable import RestartableServer, restartable_server

pytestmark = pytest.mark.postgres

DRAIN_TIMEOUT_S = 120.0
LEASE_SECONDS = "3"  # an unrecordable answer's message is looked at again this soon


@pytest.fixture
def server() -> Iterator[RestartableServer]:
    with restartable_server() as started:
        yield started


def start_dispatcher(started: Processes, url: str, sent_file: Path) -> None:
    env = service_env(
        url, SMSGATE_CARRIER="file", SMSGATE_CARRIER_FILE=str(sent_file),
        SMSGATE_DISPATCH_LEASE_SECONDS=LEASE_SECONDS, SMSGATE_SEND_TIMEOUT_SECONDS="2",
    )  # fmt: skip
    started.start("dispatch", ["dispatch", "--poll", "0.2"], env)


async def probe(base: str, seconds: float) -> list[tuple[str, int, str | None, float]]:
    """``/healthz`` and ``/readyz`` every 0.2 s for ``seconds``: (path, status, code, took)."""
    found = []
    deadline = time.monotonic() + seconds
    timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while time.monotonic() < deadline:
            for path in ("/healthz", "/readyz"):
                started = time.monotonic()
                async with session.get(base + path) as response:
                    body = await response.json(content_type=None)
                found.append((path, response.status, body.get("code"), time.monotonic() - started))
            await asyncio.sleep(0.2)
    return found


async def wait_drained(url: str, started: Processes) -> float:
    """Seconds until no message waits in the outbox or is being sent; fails after a bound."""
    began = time.monotonic()
    while True:
        started.check_alive()
        connection = await asyncpg.connect(url)
        try:
            left = await connection.fetchval(
                "SELECT (SELECT COUNT(*) FROM outbox)"
                " + (SELECT COUNT(*) FROM messages WHERE status IN ('queued', 'sending'))"
            )
        finally:
            await connection.close()
        if left == 0:
            return time.monotonic() - began
        if time.monotonic() - began > DRAIN_TIMEOUT_S:
            pytest.fail(f"{left} messages not dispatched in time:{started.logs()}")
        await asyncio.sleep(0.2)


def arrivals(sent_file: Path) -> Counter[str]:
    """How often each message id reached the carrier."""
    lines = sent_file.read_text(encoding="utf-8").splitlines() if sent_file.exists() else []
    return Counter(json.loads(line)["message_id"] for line in lines if line)


class TestPostgresStoppedMidLoad:
    """Sends and dispatch across a PostgreSQL restart: clear 503s, then nothing lost or doubled."""

    @pytest.mark.parametrize(
        "mode",
        [pytest.param("fast", id="stop-fast"), pytest.param("immediate", id="stop-immediate")],
    )
    async def test_outage_answers_503_and_loses_nothing(
        self, mode: str, server: RestartableServer, tmp_path: Path
    ) -> None:
        seeded = await seed(server.url)
        sent_file = tmp_path / "sent.jsonl"
        with processes(tmp_path) as started:
            base = start_gateway(started, server.url)
            start_dispatcher(started, server.url, sent_file)
            await wait_ready(base, started)
            load = Load(base, seeded)
            running = asyncio.create_task(load.run())
            try:
                await load.wait_for(30, 202, within=60)
                down_at = time.monotonic()
                await asyncio.to_thread(server.stop, mode)
                probes = await probe(base, FAULT_SECONDS)
                await asyncio.to_thread(server.start)
                up_at = time.monotonic()
                await load.wait_for(30, 202, within=30)
            finally:
                load.stop()
                await running
            retried = await resend(load, keys_to_retry(load))
            drained = await wait_drained(server.url, started)
            started.check_alive()
        during = [a for a in load.answers if down_at + 0.5 < a.at and a.at + a.seconds < up_at]
        self._report(load.answers, during, retried, drained, up_at - down_at)
        assert_refusals_clean(load.answers)
        assert during, "no request was answered while the server was down"
        assert {a.status for a in during} == {503}, Counter(a.status for a in during)
        self._assert_probes(probes)
        assert all(a.status == 202 for a in retried), Counter((a.status, a.code) for a in retried)
        await self._assert_books(server.url, load.answers, retried)
        self._assert_sent_once(sent_file, await read_books(server.url))
        print(verify_audit_chain(server.url))

    @staticmethod
    def _assert_probes(probes: list[tuple[str, int, str | None, float]]) -> None:
        health = Counter(status for path, status, _, _ in probes if path == "/healthz")
        ready = Counter((status, code) for path, status, code, _ in probes if path == "/readyz")
        assert set(health) == {200}, f"/healthz while down: {health}"
        assert set(ready) == {(503, "store_unavailable")}, f"/readyz while down: {ready}"
        assert max(took for *_, took in probes) < ANSWER_WITHIN_S

    @staticmethod
    async def _assert_books(url: str, answers: list[Answer], retried: list[Answer]) -> None:
        books = await read_books(url)
        books.assert_whole()
        first = {a.key: a.body["id"] for a in answers if a.status == 202}
        assert set(books.keys) == {a.key for a in answers}, "a key is missing or extra"
        assert all(books.keys[key] == message_id for key, message_id in first.items())
        assert all(books.keys[a.key] == a.body["id"] for a in retried)
        assert all(a.replayed for a in retried if a.key in first), (
            "an accepted key was not replayed"
        )

    @staticmethod
    def _assert_sent_once(sent_file: Path, books: Books) -> None:
        arrived = arrivals(sent_file)
        statuses = {mid: row[0] for mid, row in books.messages.items()}
        print(f"final {dict(Counter(statuses.values()))}; {arrived.total()} lines at the carrier")
        assert max(arrived.values()) == 1, "a message reached the carrier twice"
        assert set(arrived) <= set(statuses), "the carrier got a message the database lacks"
        assert set(statuses.values()) <= {"sent", "unknown"}, Counter(statuses.values())
        assert all(arrived[mid] == 1 for mid, status in statuses.items() if status == "sent")

    @staticmethod
    def _report(
        answers: list[Answer], during: list[Answer], retried: list[Answer], drained: float,
        outage: float,
    ) -> None:  # fmt: skip
        slowest = max(a.seconds for a in answers)
        print(
            f"\n{len(answers)} sends: {dict(Counter(a.status for a in answers))}; outage "
            f"{outage:.1f}s, {len(during)} answered in it; slowest {slowest:.2f}s; "
            f"{len(retried)} retried: {dict(Counter(a.status for a in retried))}, "
            f"{sum(a.replayed for a in retried)} of them replays; drained {drained:.1f}s after"
        )
