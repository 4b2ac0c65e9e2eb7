"""Group commit: concurrent write units share COMMITs, yet each returns only once durable."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import closing
from pathlib import Path

import pytest

from smsgate.store import (
    AlreadyExists,
    OutboxItem,
    Store,
    StoreError,
    TransactionClosed,
    UnknownReference,
)
from smsgate.store.sqlite import SqliteSettings, SqliteStore, open_sqlite_store
from smsgate.store.sqlite.group_commit import GroupLimits

from ..store_fixtures import OpenStore
from .store_support import T0, Tenant, creditor
from .test_transactions import CAP, Boom, accept_if_under_cap

#: Group commit is the SQLite store's own machinery (see ``tests/conftest.py``).
SQLITE_ONLY = True


def durable_creditors(db_path: Path) -> set[str]:
    """Creditor ids a fresh connection sees: what is committed to the file."""
    with closing(sqlite3.connect(db_path)) as db:
        return {row[0] for row in db.execute("SELECT id FROM creditors")}


def commits(store: Store) -> int:
    assert isinstance(store, SqliteStore)
    return store.commits


async def let_others_queue() -> None:
    """Give freshly created tasks a few loop turns to reach the writer's queue."""
    for _ in range(5):
        await asyncio.sleep(0)


Spawn = Callable[[Coroutine[object, object, None]], "asyncio.Task[None]"]


@pytest.fixture
async def spawn(store: Store) -> AsyncIterator[Spawn]:
    """Starts tasks; cancels any a failed test left behind before the store closes."""
    tasks: list[asyncio.Task[None]] = []

    def start(work: Coroutine[object, object, None]) -> asyncio.Task[None]:
        tasks.append(asyncio.create_task(work))
        return tasks[-1]

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class Gate:
    """A hold for a unit's block: reports that the block got there, then waits to be opened."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()

    async def __call__(self) -> None:
        self.reached.set()
        await self.opened.wait()


async def add_creditor(
    store: Store, creditor_id: str, hold: Callable[[], Awaitable[object]] | None = None
) -> None:
    async with store.transaction() as tx:
        await tx.creditors.add(creditor(creditor_id))
        if hold is not None:
            await hold()


class TestGrouping:
    """Concurrent writers end up in fewer COMMITs than units, each durable when it returns."""

    async def test_fewer_commits_than_units(self, store: Store, db_path: Path) -> None:
        durable_at_return: dict[str, bool] = {}

        async def write(creditor_id: str) -> None:
            await add_creditor(store, creditor_id, hold=let_others_queue)
            durable_at_return[creditor_id] = creditor_id in durable_creditors(db_path)

        before = commits(store)
        ids = [f"c{i}" for i in range(30)]
        await asyncio.gather(*(write(creditor_id) for creditor_id in ids))
        assert durable_at_return == dict.fromkeys(ids, True)
        assert 1 <= commits(store) - before < len(ids)

    async def test_one_commit_for_a_burst(self, db_path: Path) -> None:
        # Without the age bound, a burst queued behind the first unit is one group.
        store = await open_sqlite_store(SqliteSettings(db_path, group=GroupLimits(max_age=60)))
        try:
            before = store.commits
            ids = [f"c{i}" for i in range(30)]
            await asyncio.gather(*(add_creditor(store, i, hold=let_others_queue) for i in ids))
            assert store.commits - before == 1
            assert durable_creditors(db_path) == set(ids)
        finally:
            await store.close()

    async def test_unit_waits_for_its_group(
        self, store: Store, db_path: Path, spawn: Spawn
    ) -> None:
        gate = Gate()
        first = spawn(add_creditor(store, "first", hold=let_others_queue))
        second = spawn(add_creditor(store, "second", hold=gate))
        await gate.reached.wait()
        await let_others_queue()
        # "first" ended its block but shares an open transaction with "second".
        assert not first.done()
        assert durable_creditors(db_path) == set()
        before = commits(store)
        gate.opened.set()
        await asyncio.gather(first, second)
        assert durable_creditors(db_path) == {"first", "second"}
        assert commits(store) - before == 1

    async def test_later_units_see_earlier_ones(self, store: Store, tenant: Tenant) -> None:
        # Serialised as before: the cap holds although all 50 share transactions.
        before = commits(store)
        results = await asyncio.gather(*(accept_if_under_cap(store, tenant) for _ in range(50)))
        assert results.count(True) == CAP
        assert commits(store) - before < 50

    async def test_readers_see_a_group_only_once_committed(
        self, store: Store, db_path: Path, spawn: Spawn
    ) -> None:
        gate = Gate()
        first = spawn(add_creditor(store, "first", hold=let_others_queue))
        second = spawn(add_creditor(store, "second", hold=gate))
        await gate.reached.wait()
        async with store.read() as tx:
            assert await tx.creditors.get("first") is None
        gate.opened.set()
        await asyncio.gather(first, second)
        async with store.read() as tx:
            assert await tx.creditors.get("first") is not None


class TestLimits:
    """A group commits at its size or age bound even while writers keep coming."""

    @pytest.mark.parametrize(
        ("limits", "fewest"),
        [
            pytest.param(GroupLimits(max_units=4), 5, id="four-units"),
            pytest.param(GroupLimits(max_age=0), 20, id="no-waiting"),
        ],
    )
    async def test_bound(self, db_path: Path, limits: GroupLimits, fewest: int) -> None:
        store = await open_sqlite_store(SqliteSettings(db_path, group=limits))
        try:
            before = store.commits
            ids = [f"c{i}" for i in range(20)]
            await asyncio.gather(*(add_creditor(store, i, hold=let_others_queue) for i in ids))
            assert store.commits - before >= fewest
            assert durable_creditors(db_path) == set(ids)
        finally:
            await store.close()

    def test_nonsense_refused(self) -> None:
        with pytest.raises(ValueError, match="max_units"):
            GroupLimits(max_units=0)


class TestFailures:
    """A unit's exception undoes only that unit; a failed COMMIT fails every unit of the group."""

    async def test_exception_undoes_only_its_unit(
        self, store: Store, db_path: Path, spawn: Spawn
    ) -> None:
        go = asyncio.Event()

        async def add_then_fail() -> None:
            async with store.transaction() as tx:
                await tx.creditors.add(creditor("failing"))
                raise Boom

        before = commits(store)
        first = spawn(add_creditor(store, "first", hold=go.wait))
        failing = spawn(add_then_fail())
        last = spawn(add_creditor(store, "last"))
        await let_others_queue()
        go.set()
        await asyncio.gather(first, last)
        with pytest.raises(Boom):
            await failing
        assert durable_creditors(db_path) == {"first", "last"}
        assert commits(store) - before == 1

    async def test_failed_commit_fails_every_unit(
        self, store: Store, db_path: Path, spawn: Spawn
    ) -> None:
        go = asyncio.Event()

        async def break_at_commit() -> None:
            async with store.transaction() as tx:
                await tx.creditors.add(creditor("breaking"))
                # The reference is checked only at COMMIT: the whole group's COMMIT fails.
                await tx._session.execute("PRAGMA defer_foreign_keys = ON")  # type: ignore[attr-defined]
                await tx.outbox.add(OutboxItem("msg_missing", T0))

        async def fail_after_seeing_it() -> None:
            async with store.transaction() as tx:
                assert await tx.creditors.get("breaking") is not None
                raise Boom  # decided on data that will never be durable

        tasks = [
            spawn(add_creditor(store, "first", hold=go.wait)),
            spawn(break_at_commit()),
            spawn(fail_after_seeing_it()),
            spawn(add_creditor(store, "last")),
        ]
        await let_others_queue()
        go.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert [type(result) for result in results] == [UnknownReference] * 4
        assert isinstance(results[2].__context__, Boom)
        assert durable_creditors(db_path) == set()
        await add_creditor(store, "after")  # the writer recovered
        assert durable_creditors(db_path) == {"after"}

    async def test_lost_transaction_fails_its_group(
        self, store: Store, db_path: Path, spawn: Spawn
    ) -> None:
        go = asyncio.Event()

        async def roll_everything_back() -> None:
            async with store.transaction() as tx:
                # OR ROLLBACK ends the whole transaction, the earlier unit's writes with it.
                with pytest.raises(AlreadyExists):
                    await tx._session.execute(  # type: ignore[attr-defined]
                        "INSERT OR ROLLBACK INTO creditors SELECT * FROM creditors"
                    )
                with pytest.raises(TransactionClosed):  # rather than autocommit from here on
                    await tx.creditors.add(creditor("autocommitted"))

        first = spawn(add_creditor(store, "first", hold=go.wait))
        rolling = spawn(roll_everything_back())
        await let_others_queue()
        after = spawn(add_creditor(store, "after"))
        go.set()
        results = await asyncio.gather(first, rolling, after, return_exceptions=True)
        assert [type(result) for result in results] == [StoreError, StoreError, type(None)]
        assert durable_creditors(db_path) == {"after"}


class TestCancellation:
    """Cancelling one unit never loses, blocks or corrupts the others of its group."""

    async def test_cancelled_while_waiting_for_commit(
        self, store: Store, db_path: Path, spawn: Spawn
    ) -> None:
        gate = Gate()
        first = spawn(add_creditor(store, "first", hold=let_others_queue))
        second = spawn(add_creditor(store, "second", hold=gate))
        await gate.reached.wait()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        gate.opened.set()
        await second
        # The group was not disturbed: "first" had ended its block, so it is saved.
        assert durable_creditors(db_path) == {"first", "second"}

    async def test_cancelled_while_waiting_for_turn(
        self, store: Store, db_path: Path, spawn: Spawn
    ) -> None:
        go = asyncio.Event()
        first = spawn(add_creditor(store, "first", hold=go.wait))
        waiting = spawn(add_creditor(store, "waiting"))
        last = spawn(add_creditor(store, "last"))
        await let_others_queue()
        waiting.cancel()
        go.set()
        await asyncio.gather(first, last)
        assert waiting.cancelled()
        assert durable_creditors(db_path) == {"first", "last"}

    async def test_cancelled_as_the_turn_reaches_it(
        self, store: Store, db_path: Path, spawn: Spawn
    ) -> None:
        go = asyncio.Event()

        async def cancel_next_then_leave() -> None:
            await go.wait()
            # Runs after this block hands the turn to "next", before "next" resumes.
            asyncio.get_running_loop().call_soon(handed.cancel)

        before = commits(store)
        first = spawn(add_creditor(store, "first", hold=cancel_next_then_leave))
        handed = spawn(add_creditor(store, "next"))
        last = spawn(add_creditor(store, "last"))
        await let_others_queue()
        go.set()
        # Were the turn lost with "next", "last" would wait forever.
        await asyncio.wait_for(asyncio.gather(first, last), timeout=5)
        assert handed.cancelled()
        assert durable_creditors(db_path) == {"first", "last"}
        assert commits(store) - before == 1

    async def test_cancelled_in_its_block(self, store: Store, db_path: Path, spawn: Spawn) -> None:
        blocked = asyncio.Event()

        async def block_forever() -> None:
            blocked.set()
            await asyncio.Event().wait()

        first = spawn(add_creditor(store, "first", hold=let_others_queue))
        stuck = spawn(add_creditor(store, "stuck", hold=block_forever))
        await blocked.wait()
        stuck.cancel()
        await first
        with pytest.raises(asyncio.CancelledError):
            await stuck
        assert durable_creditors(db_path) == {"first"}


class TestOtherWriters:
    """Another store (as another process would) waits for the group's lock, then writes."""

    async def test_waits_for_other_connection(
        self, store: Store, open_more: OpenStore, db_path: Path, spawn: Spawn
    ) -> None:
        other = await open_more()
        gate = Gate()
        holding = spawn(add_creditor(other, "other", hold=gate))
        await gate.reached.wait()  # "other" holds the file's write lock
        waiting = spawn(add_creditor(store, "mine"))
        await asyncio.sleep(0.05)  # its BEGIN IMMEDIATE now waits on a thread
        assert not waiting.done()
        gate.opened.set()
        await asyncio.gather(holding, waiting)
        assert durable_creditors(db_path) == {"other", "mine"}
