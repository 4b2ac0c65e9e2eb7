"""What the storage fault tests share: real processes, a bounded load of keyed sends, the books.

Each test runs ``smsgate serve`` (and ``smsgate dispatch``) as subprocesses
on 127.0.0.1, exactly as deployed, and drives them with ``Load``: a bounded
stream of sends, each with its own ``Idempotency-Key`` and its own debtor
(so no contact cap interferes), at most ``WORKERS`` in flight. Every answer
is kept with how long it took, so a test can check what was answered while
the database was away, and retry the refused keys once it is back.

Durations come from the environment so ``make soak`` can run the same tests
for longer: ``SMSGATE_FAULT_SECONDS`` (how long the database stays
unavailable, default 3) and ``SMSGATE_FAULT_SENDS`` (the most sends one
test makes, default 3000).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from smsgate.commands.demo import daytime_place
from smsgate.demo_seed import seed_demo
from smsgate.store import open_store, utc_now
from smsgate.wordlists import load_scanner

from ..audit_support import AUDIT_ENVIRONMENT
from ..local import free_port, until_ready

FAULT_SECONDS = float(os.environ.get("SMSGATE_FAULT_SECONDS", "3"))
MAX_SENDS = int(os.environ.get("SMSGATE_FAULT_SENDS", "3000"))
#: How long one request may take, outage or not: an answer, never a hang.
ANSWER_WITHIN_S = 5.0
WORKERS = 8
PAUSE_S = 0.02  # between one worker's sends, so an outage's fast 503s stay countable
START_TIMEOUT_S = 60.0
SMSGATE = str(Path(sys.executable).with_name("smsgate"))


@dataclass(frozen=True)
class Seeded:
    """The demo creditor's sender key and its approved template."""

    token: str
    template_id: str


async def seed(url: str) -> Seeded:
    """Migrate the database at ``url`` and create the demo creditor, keys and templates."""
    store = await open_store(url)
    try:
        demo = await seed_demo(store, load_scanner(), utc_now())
    finally:
        await store.close()
    return Seeded(demo.sender, demo.templates["overdue-reminder"])


def service_env(url: str, **more: str) -> dict[str, str]:
    """The environment of an smsgate process on ``url``: none of the caller's ``SMSGATE_*``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMSGATE_")}
    return {
        **env, **AUDIT_ENVIRONMENT, "SMSGATE_DATABASE_URL": url, "SMSGATE_LOG_FORMAT": "json",
        **more,
    }  # fmt: skip


@dataclass
class Processes:
    """Subprocesses of one test, each logging to a file of its own."""

    folder: Path
    running: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen([SMSGATE, *argv], env=env, stdout=out, stderr=out)
        self.running.append((process, log))

    def check_alive(self) -> None:
        """Fail the test, with the logs, if a process exited."""
        for process, log in self.running:
            if process.poll() is not None:
                pytest.fail(f"{log.stem} exited ({process.returncode}):{tail(log)}")

    def log_of(self, name: str) -> str:
        """The whole log of the process started as ``name``."""
        return (self.folder / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def logs(self) -> str:
        return "".join(f"\n--- {log.stem}{tail(log)}" for _, log in self.running)

    def stop(self) -> list[int]:
        """SIGTERM each process, wait (then kill); their exit codes."""
        for process, _ in self.running:
            process.terminate()
        codes = []
        for process, _ in self.running:
            try:
                codes.append(process.wait(timeout=30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        return codes


@contextmanager
def processes(folder: Path) -> Iterator[Processes]:
    """``Processes`` stopped when the block ends, however it ends."""
    started = Processes(folder)
    try:
        yield started
    finally:
        started.stop()


def start_gateway(started: Processes, url: str) -> str:
    """Start ``smsgate serve`` (no dispatcher inside) on a free port; its base URL."""
    port = free_port()
    env = service_env(url, SMSGATE_PORT=str(port), SMSGATE_DISPATCH="0")
    started.start("serve", ["serve"], env)
    return f"http://127.0.0.1:{port}"


async def wait_ready(base: str, started: Processes) -> None:
    """Return once ``/readyz`` answers 200; fails if a process exits or it takes too long."""
    try:
        await until_ready(base, START_TIMEOUT_S, started.check_alive)
    except TimeoutError:
        pytest.fail(f"{base} did not become ready:{started.logs()}")


def tail(log: Path) -> str:
    return "\n" + log.read_text(encoding="utf-8", errors="replace")[-3000:]


@dataclass(frozen=True)
class Answer:
    """One request's answer: status, problem code or message id, when and how long it took."""

    key: str
    status: int
    body: dict[str, Any]
    at: float
    seconds: float
    replayed: bool = False

    @property
    def code(self) -> str | None:
        value = self.body.get("code")
        return value if isinstance(value, str) else None


@dataclass
class Load:
    """A bounded stream of keyed sends to one gateway; see the module docstring."""

    base: str
    seeded: Seeded
    answers: list[Answer] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _next: int = 0

    async def run(self) -> None:
        """Send until ``stop()`` or ``MAX_SENDS``; ``WORKERS`` requests at a time."""
        timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            await asyncio.gather(*(self._worker(session) for _ in range(WORKERS)))

    def stop(self) -> None:
        self._stop.set()

    def accepted(self) -> int:
        return sum(1 for answer in self.answers if answer.status == 202)

    def statuses(self) -> Counter[int]:
        return Counter(answer.status for answer in self.answers)

    async def wait_for(self, count: int, status: int, within: float) -> None:
        """Return once ``count`` answers with ``status`` arrived after this call; else fail."""
        before = sum(1 for a in self.answers if a.status == status)
        deadline = time.monotonic() + within
        while sum(1 for a in self.answers if a.status == status) - before < count:
            if time.monotonic() > deadline or len(self.answers) >= MAX_SENDS:
                pytest.fail(f"not {count} answers {status} within {within}s: {self.statuses()}")
            await asyncio.sleep(0.02)

    async def _worker(self, session: aiohttp.ClientSession) -> None:
        while not self._stop.is_set() and self._next < MAX_SENDS:
            self._next += 1
            self.answers.append(await send(session, self.base, self.seeded, self._next))
            await asyncio.sleep(PAUSE_S)


async def send(session: aiohttp.ClientSession, base: str, seeded: Seeded, number: int) -> Answer:
    """POST /v1/messages for debtor ``number`` with the key ``fault-<number>``."""
    key = f"fault-{number}"
    headers = {"Authorization": f"Bearer {seeded.token}", "Idempotency-Key": key}
    started = time.monotonic()
    try:
        async with session.post(
            f"{base}/v1/messages", json=send_body(seeded, number), headers=headers
        ) as response:
            body = await response.json(content_type=None)
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            status = response.status
    except TimeoutError:
        status, body, replayed = 0, {"code": "client_timeout"}, False
    return Answer(key, status, body, started, time.monotonic() - started, replayed)


def send_body(seeded: Seeded, number: int) -> dict[str, Any]:
    place = daytime_place(utc_now())
    return {
        "template_id": seeded.template_id,
        "variables": {"name": "张三", "amount": "1234.50", "days": 5, "hotline": "4008001234"},
        "recipient": {
            "phone": place.phone(number),
            "debtor_id": f"F-{number}",
            "role": "debtor",
            "timezone": place.zone,
        },
        "on_quiet_hours": "reject",
    }


def keys_to_retry(load: Load, replays: int = 10) -> list[str]:
    """Every key not answered 202, and every ``replays``-th key that was (to check replays)."""
    accepted = sorted({a.key for a in load.answers if a.status == 202})
    refused = {a.key for a in load.answers} - set(accepted)
    return sorted(refused) + accepted[::replays]


async def resend(load: Load, keys: Sequence[str]) -> list[Answer]:
    """Send each of ``keys`` again, once, with the same key and body."""
    timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN_S * 4)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        slots = asyncio.Semaphore(WORKERS)

        async def again(key: str) -> Answer:
            async with slots:
                return await send(session, load.base, load.seeded, int(key.split("-")[1]))

        return await asyncio.gather(*(again(key) for key in keys))


def assert_refusals_clean(answers: Sequence[Answer]) -> None:
    """Every answer is a 202 or a 503 ``store_unavailable``, each within ``ANSWER_WITHIN_S``."""
    other = Counter((a.status, a.code) for a in answers if a.status not in (202, 503))
    assert not other, f"answers other than 202/503: {other}"
    codes = Counter(a.code for a in answers if a.status == 503)
    assert set(codes) <= {"store_unavailable"}, f"503s without the store_unavailable code: {codes}"
    slowest = max(a.seconds for a in answers)
    assert slowest < ANSWER_WITHIN_S, f"a request took {slowest:.1f}s"


# -- the books, read straight from the database ----------------------------------------------

BOOKS_SQL = """
SELECT m.id, m.status,
    (SELECT COUNT(*) FROM outbox o WHERE o.message_id = m.id),
    (SELECT COUNT(*) FROM contacts c WHERE c.message_id = m.id),
    (SELECT COUNT(*) FROM audit_log a WHERE a.subject = m.id AND a.action = 'message.accepted'),
    (SELECT COUNT(*) FROM message_attempts t WHERE t.message_id = m.id)
FROM messages m
"""
KEYS_SQL = "SELECT key, response_status, response_body FROM idempotency_keys"


@dataclass(frozen=True)
class Books:
    """Per message: status and its outbox, ledger, audit and attempt rows; keys to ids."""

    messages: dict[str, tuple[str, int, int, int, int]]
    keys: dict[str, str]  # Idempotency-Key -> message id, of the 202 answers stored

    def assert_whole(self) -> None:
        """Each message has exactly one ledger contact, one audit entry and one key."""
        broken = {mid: row for mid, row in self.messages.items() if row[2] != 1 or row[3] != 1}
        assert not broken, f"half-written (status, outbox, contacts, audits, attempts): {broken}"
        assert sorted(self.keys.values()) == sorted(self.messages), "keys and messages differ"

    def assert_all_in_outbox(self) -> None:
        """With no dispatcher running, every message still waits in the outbox, once."""
        missing = {mid: row for mid, row in self.messages.items() if row[1] != 1}
        assert not missing, f"messages without their outbox row: {missing}"


async def read_books(url: str) -> Books:
    """The books of the database at ``url`` (sqlite:/// or postgresql://)."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            rows, keys = db.execute(BOOKS_SQL).fetchall(), db.execute(KEYS_SQL).fetchall()
    else:
        connection = await asyncpg.connect(url)
        try:
            rows, keys = await connection.fetch(BOOKS_SQL), await connection.fetch(KEYS_SQL)
        finally:
            await connection.close()
    return Books(
        {row[0]: (row[1], int(row[2]), int(row[3]), int(row[4]), int(row[5])) for row in rows},
        {key: json.loads(body)["id"] for key, status, body in keys if status == 202},
    )


def verify_audit_chain(url: str) -> str:
    """Run ``smsgate audit verify`` on ``url``; its output, or fail with it."""
    done = subprocess.run(
        [SMSGATE, "audit", "verify"], env=service_env(url), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"audit verify failed: {done.stdout}{done.stderr}"
    return done.stdout.strip()
