"""kill -9 a real ``smsgate dispatch`` mid-batch, start another: nothing reaches the carrier twice.

The dispatcher records an attempt (durably) before it calls the carrier, so
a dispatcher killed mid-send leaves unfinished attempts behind; the next one
must treat those as ``unknown`` (they may have arrived) and send everything
else exactly once. The carrier is the generic ``http`` adapter posting to
``benchmarks/http_sink.py``, which answers slowly so the kill lands while
sends are in flight, and counts every arrival by reference.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from asyncio.subprocess import Process
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from smsgate.commands.demo import daytime_place
from smsgate.store import open_store, utc_now

from ..local import load_http_sink
from .dispatch_support import Tenant

MESSAGES = 200
KILL_AFTER = 40  # arrivals at the sink before the kill
SECRET = "crash-test-signing-secret"


async def seed(db_path: Path) -> list[str]:
    """``MESSAGES`` queued messages to a recipient for whom it is daytime now."""
    store = await open_store(f"sqlite:///{db_path}")
    try:
        tenant = await Tenant().save(store)
        place = daytime_place(utc_now())
        # Booked now, the day they go: the cap is not judged again (nor breached anew).
        messages = await tenant.accept(
            store, MESSAGES, phone=place.phone(138000), timezone=place.zone, due_at=utc_now()
        )
    finally:
        await store.close()
    return [message.id for message in messages]


def dispatcher_env(tmp_path: Path, db_path: Path, sink_url: str) -> dict[str, str]:
    """The environment of a dispatcher sending through the sink as carrier account ``sink``."""
    carriers = tmp_path / "carriers.toml"
    carriers.write_text(
        f'[carriers.sink]\nkind = "http"\nurl = "{sink_url}/sms"\ntimeout_seconds = 5\n'
        '[routes]\ndefault = ["sink"]\n',
        encoding="utf-8",
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMSGATE_")}
    return {
        **env,
        "SMSGATE_DATABASE_URL": f"sqlite:///{db_path}",
        "SMSGATE_CARRIERS": str(carriers),
        "SMSGATE_CARRIER_SINK_SECRET": SECRET,
        "SMSGATE_DISPATCH_LEASE_SECONDS": "3",
        "SMSGATE_SEND_TIMEOUT_SECONDS": "2",
        "SMSGATE_DISPATCH_CONCURRENCY": "8",
        "SMSGATE_DISPATCH_BATCH_SIZE": "20",
        "SMSGATE_LOG_FORMAT": "json",
    }


async def start_dispatcher(env: dict[str, str], log: Path) -> Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "smsgate.cli", "dispatch", "--poll", "0.1",
            env=env, stdout=out, stderr=out,
        )  # fmt: skip


async def wait_for(
    condition: Callable[[], bool], what: str, process: Process, log: Path, seconds: float
) -> None:
    """Poll ``condition()`` until true; fail naming ``what`` (with the log) on timeout or exit."""
    deadline = time.monotonic() + seconds
    while not condition():
        if process.returncode is not None:
            pytest.fail(f"dispatcher exited ({process.returncode}) before {what}:{tail(log)}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds}s; the dispatchers' log:{tail(log)}")
        await asyncio.sleep(0.05)


def tail(log: Path) -> str:
    return "\n" + log.read_text(encoding="utf-8", errors="replace")[-4000:]


def outbox_depth(db_path: Path) -> int:
    with closing(sqlite3.connect(db_path)) as db:
        return int(db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def final_statuses(db_path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(db_path)) as db:
        return dict(db.execute("SELECT id, status FROM messages").fetchall())


class TestKillNine:
    """A dispatcher killed with SIGKILL mid-batch loses nothing and sends nothing twice."""

    async def test_every_message_reaches_the_sink_at_most_once(self, tmp_path: Path) -> None:
        http_sink = load_http_sink()
        db_path = tmp_path / "crash.db"
        ids = await seed(db_path)
        sink = http_sink.HttpSink(http_sink.Behaviour((50.0, 200.0), secret=SECRET.encode()))
        runner, url = await http_sink.start_sink(sink)
        env, log = dispatcher_env(tmp_path, db_path, url), tmp_path / "dispatch.log"
        try:
            first = await start_dispatcher(env, log)
            await wait_for(lambda: sink.received.total() >= KILL_AFTER, "arrivals", first, log, 60)
            first.kill()
            await first.wait()
            at_kill = sink.received.total()
            second = await start_dispatcher(env, log)
            await wait_for(lambda: outbox_depth(db_path) == 0, "empty outbox", second, log, 120)
            second.terminate()
            assert await asyncio.wait_for(second.wait(), 15) == 0
        finally:
            await runner.cleanup()
        statuses, arrivals = final_statuses(db_path), sink.by_message()
        outcome = Counter(statuses.values())
        unknown_arrived = sum(1 for i in ids if statuses[i] == "unknown" and arrivals[i])
        print(
            f"\n{MESSAGES} messages; {at_kill} arrived before kill -9, {sink.received.total()} "
            f"in all; final: {dict(outcome)}; unknown that had arrived: {unknown_arrived}; "
            f"refused by the sink: {sink.refused}"
        )
        assert sink.refused == 0, "the sink refused requests (signature or contract)"
        assert at_kill < MESSAGES, "the kill came after the batch: nothing was interrupted"
        assert max(arrivals.values()) == 1, "a message reached the carrier twice"
        assert set(statuses.values()) <= {"sent", "unknown"}
        assert outcome["unknown"] > 0, "no send was in flight at the kill"
        assert all(arrivals[i] == 1 for i in ids if statuses[i] == "sent")
