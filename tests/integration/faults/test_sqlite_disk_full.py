"""SQLite on a disk that fills up mid-load: 503s, nothing half-written, recovery by itself.

The database lives on a small tmpfs (see ``small_disk`` for why not a file
size limit); a filler file takes every free byte and is deleted again later.

* Group commit: units of work of one group share one COMMIT. When the disk
  fills, every unit either returns and its rows are there, or raises
  ``StoreUnavailable`` and its rows are not: none is told "saved" for a
  write that did not land, and the writer goes on once there is room.
* The API: a real ``smsgate serve`` answers sends with 503
  ``store_unavailable`` while the disk is full (reads keep answering),
  accepts again once the filler is gone, and every message is whole.
* The dispatcher: a real ``smsgate dispatch`` whose status writes fail
  mid-batch sends nothing twice; a send whose result could not be recorded
  is settled as ``unknown`` (by the interrupted-attempt rule), never resent.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import aiohttp
import pytest

from smsgate.commands.demo import daytime_place
from smsgate.store import Message, Store, StoreUnavailable, open_store, utc_now

from ..dispatch.dispatch_support import Tenant
from ..local import load_http_sink
from .fault_support import (
    ANSWER_WITHIN_S,
    FAULT_SECONDS,
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
from .small_disk import Filler, mounted_tmpfs, truncate_wal

UNITS = 48  # concurrent write units per round in the group-commit test
MESSAGES = 200  # queued for the dispatcher test
SINK_SECRET = "disk-full-sink-secret"
DRAIN_TIMEOUT_S = 120.0
SPILL_BYTES = 3_000_000  # more than SQLite's default page cache (2 MB)
SPILL_ROOM = 1_000_000


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with mounted_tmpfs(tmp_path / "disk") as folder:
        yield folder


@pytest.fixture
def filler(tmp_path: Path, disk: Path) -> Iterator[Filler]:
    made = Filler(disk / "filler")
    yield made
    made.free()


def daytime_recipient() -> dict[str, str]:
    """A phone and its zone where it is daytime now, so the dispatcher may send at once."""
    place = daytime_place(utc_now())
    return {"phone": place.phone(138000), "timezone": place.zone}


def rows_of(db_path: Path, message_ids: list[str]) -> set[str]:
    with closing(sqlite3.connect(db_path)) as db:
        found = db.execute("SELECT id FROM messages").fetchall()
    return {row[0] for row in found} & set(message_ids)


async def accept_concurrently(
    store: Store, tenant: Tenant, daytime: dict[str, str]
) -> list[Message | BaseException]:
    """``UNITS`` write units at once, one message each: each unit's message, or its error."""

    async def one() -> Message:
        return (await tenant.accept(store, 1, **daytime))[0]

    return await asyncio.gather(*(one() for _ in range(UNITS)), return_exceptions=True)


class TestGroupCommitOnAFullDisk:
    """Every unit of a failed group raises; every unit that returned is on disk."""

    async def test_no_unit_is_told_saved_for_a_write_that_did_not_land(
        self, disk: Path, filler: Filler
    ) -> None:
        db_path, daytime = disk / "group.db", daytime_recipient()
        store = await open_store(f"sqlite:///{db_path}")
        try:
            tenant = await Tenant().save(store)
            await store.close()
            truncate_wal(db_path)
            store = await open_store(f"sqlite:///{db_path}")
            before = await accept_concurrently(store, tenant, daytime)
            filler.fill()
            during = [
                r for _ in range(5) for r in await accept_concurrently(store, tenant, daytime)
            ]
            filler.free()
            after = await accept_concurrently(store, tenant, daytime)
        finally:
            await store.close()
        saved = [r for r in before + during + after if isinstance(r, Message)]
        failed = [r for r in during if not isinstance(r, Message)]
        print(f"\n{len(saved)} units saved, {len(failed)} refused while full; commits ok")
        assert all(isinstance(r, Message) for r in before + after), "a unit failed with room"
        assert failed, "the full disk refused no write"
        assert all(isinstance(r, StoreUnavailable) for r in failed), Counter(map(type, failed))
        ids = [m.id for m in saved]
        assert rows_of(db_path, ids) == set(ids), "a unit returned but its message is not there"

    async def test_a_unit_spilling_onto_a_full_disk_fails_its_group_as_unavailable(
        self, disk: Path, filler: Filler
    ) -> None:
        # A unit bigger than the page cache writes to the WAL before COMMIT, so
        # the disk-full error strikes inside the unit and SQLite ends the
        # transaction early: the group's units must still raise StoreUnavailable.
        db_path, daytime = disk / "spill.db", daytime_recipient()
        store = await open_store(f"sqlite:///{db_path}")
        try:
            tenant = await Tenant().save(store)
            filler.fill(leave=SPILL_ROOM)
            ids = [f"msg_spill_{n}" for n in range(4)]
            texts = ["x" * SPILL_BYTES if n == 1 else "短信" for n in range(4)]
            results = await asyncio.gather(
                *(
                    tenant.accept(store, 1, id=i, text=t, **daytime)
                    for i, t in zip(ids, texts, strict=True)
                ),
                return_exceptions=True,
            )
            filler.free()
            later = await tenant.accept(store, 1, **daytime)
        finally:
            await store.close()
        kinds = [type(r).__name__ for r in results]
        saved = [i for i, r in zip(ids, results, strict=True) if not isinstance(r, BaseException)]
        assert kinds[1] == "StoreUnavailable", kinds
        assert all(k in ("list", "StoreUnavailable") for k in kinds), kinds
        assert rows_of(db_path, [*ids, later[0].id]) == {*saved, later[0].id}


class TestApiOnAFullDisk:
    """``smsgate serve`` refuses writes with 503 while the disk is full and recovers alone."""

    async def test_sends_503_then_accepted_and_whole(
        self, disk: Path, filler: Filler, tmp_path: Path
    ) -> None:
        url = f"sqlite:///{disk / 'smsgate.db'}"
        seeded = await seed(url)
        truncate_wal(disk / "smsgate.db")
        with processes(tmp_path) as started:
            base = start_gateway(started, url)
            await wait_ready(base, started)
            load = Load(base, seeded)
            running = asyncio.create_task(load.run())
            try:
                await load.wait_for(30, 202, within=60)
                filled_at, _ = time.monotonic(), filler.fill()
                await load.wait_for(20, 503, within=30)
                reads = await read_while_full(base, seeded.token, load)
                await asyncio.sleep(FAULT_SECONDS)
                freed_at, _ = time.monotonic(), filler.free()
                await load.wait_for(30, 202, within=30)
            finally:
                load.stop()
                await running
            retried = await resend(load, keys_to_retry(load))
            started.check_alive()
        full = [a for a in load.answers if filled_at < a.at and a.at + a.seconds < freed_at]
        print(
            f"\n{len(load.answers)} sends: {dict(load.statuses())}; while full: "
            f"{dict(Counter(a.status for a in full))}; reads while full: {reads}; "
            f"retried {len(retried)}: {dict(Counter(a.status for a in retried))}"
        )
        assert_refusals_clean(load.answers)
        assert all(a.status == 202 for a in retried), Counter((a.status, a.code) for a in retried)
        assert set(reads) <= {200, 503}, reads
        books = await read_books(url)
        books.assert_whole()
        books.assert_all_in_outbox()
        assert set(books.keys) == {a.key for a in load.answers}, "a key is missing or extra"
        print(verify_audit_chain(url))


async def read_while_full(base: str, token: str, load: Load) -> Counter[int]:
    """GET a few accepted messages and ``/readyz`` while the disk is full: their statuses."""
    ids = [a.body["id"] for a in load.answers if a.status == 202][:5]
    statuses: Counter[int] = Counter()
    timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN_S)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        for path in [*(f"/v1/messages/{mid}" for mid in ids), "/readyz", "/healthz"]:
            async with session.get(base + path) as response:
                statuses[response.status] += 1
    return statuses


def start_dispatcher(started: Processes, url: str, sink_url: str, folder: Path) -> None:
    carriers = folder / "carriers.toml"
    carriers.write_text(
        f'[carriers.sink]\nkind = "http"\nurl = "{sink_url}/sms"\ntimeout_seconds = 5\n'
        '[routes]\ndefault = ["sink"]\n',
        encoding="utf-8",
    )
    env = service_env(
        url, SMSGATE_CARRIERS=str(carriers), SMSGATE_CARRIER_SINK_SECRET=SINK_SECRET,
        SMSGATE_DISPATCH_LEASE_SECONDS="3", SMSGATE_SEND_TIMEOUT_SECONDS="2",
        SMSGATE_DISPATCH_CONCURRENCY="8", SMSGATE_DISPATCH_BATCH_SIZE="20",
    )  # fmt: skip
    started.start("dispatch", ["dispatch", "--poll", "0.1"], env)


def settled(db_path: Path) -> dict[str, str] | None:
    """Every message's status once none waits or is being sent; ``None`` before."""
    with closing(sqlite3.connect(db_path)) as db:
        waiting = db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        statuses = dict(db.execute("SELECT id, status FROM messages").fetchall())
    busy = waiting or any(s in ("queued", "sending") for s in statuses.values())
    return None if busy else statuses


class TestDispatcherOnAFullDisk:
    """Status writes failing mid-batch: nothing is sent twice, nothing is left in flight."""

    async def test_unrecordable_sends_are_not_resent(
        self, disk: Path, filler: Filler, tmp_path: Path
    ) -> None:
        db_path = disk / "dispatch.db"
        store = await open_store(f"sqlite:///{db_path}")
        try:
            tenant = await Tenant().save(store)
            # Booked now, the day they go: the cap is not judged again (nor breached anew).
            accepted = await tenant.accept(store, MESSAGES, **daytime_recipient(), due_at=utc_now())
            ids = [m.id for m in accepted]
        finally:
            await store.close()
        truncate_wal(db_path)
        http_sink = load_http_sink()
        sink = http_sink.HttpSink(http_sink.Behaviour((30.0, 120.0), secret=SINK_SECRET.encode()))
        runner, sink_url = await http_sink.start_sink(sink)
        try:
            with processes(tmp_path) as started:
                start_dispatcher(started, f"sqlite:///{db_path}", sink_url, tmp_path)
                await wait_until(lambda: sink.received.total() >= 30, started, 60)
                filler.fill()
                at_fill = sink.received.total()
                await asyncio.sleep(FAULT_SECONDS)
                started.check_alive()
                at_free = sink.received.total()
                filler.free()
                statuses = await wait_settled(db_path, started)
                log = started.log_of("dispatch")
        finally:
            await runner.cleanup()
        arrivals = sink.by_message()
        outcome = Counter(statuses.values())
        print(
            f"\n{MESSAGES} messages; arrivals {at_fill} at the fill, {at_free} when freed, "
            f"{sink.received.total()} in all; final {dict(outcome)}"
        )
        assert "disk is full" in log, "the full disk never hit the dispatcher"
        assert sink.refused == 0
        assert max(arrivals.values()) == 1, "a message reached the carrier twice"
        assert set(statuses.values()) <= {"sent", "unknown"}
        # A failed COMMIT in SQLite is definite (rolled back), so no attempt is
        # recorded without its send going out: each message arrived exactly
        # once, and those whose answer could not be recorded wait as unknown.
        assert all(arrivals[i] == 1 for i in ids), "a message never reached the carrier"
        assert outcome["unknown"] > 0, "no answer went unrecorded: the fault missed the sends"


async def wait_until(condition: object, started: Processes, seconds: float) -> None:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        started.check_alive()
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds}s:{started.logs()}")
        await asyncio.sleep(0.05)


async def wait_settled(db_path: Path, started: Processes) -> dict[str, str]:
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while (statuses := settled(db_path)) is None:
        started.check_alive()
        if time.monotonic() > deadline:
            pytest.fail(f"messages still waiting after {DRAIN_TIMEOUT_S}s:{started.logs()}")
        await asyncio.sleep(0.2)
    return statuses
