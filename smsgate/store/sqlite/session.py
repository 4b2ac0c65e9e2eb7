"""Running sqlite3 calls for a unit of work, one connection per unit of work.

Only the calls that can wait run on an executor thread: BEGIN IMMEDIATE
(waits for another process's write lock, up to ``busy_timeout``), COMMIT
(fsync with ``synchronous=FULL``), ROLLBACK, migrations and whole-table
scans (:meth:`Session.call_offloaded`). Ordinary statements inside a unit of
work run inline on the event loop thread: with the write lock already held
(or in a WAL read snapshot) they never wait on anyone and take microseconds,
while a hop to a thread and back costs far more and, behind the single write
lock, caps the whole gateway's throughput (measured: ~12 hops per accepted
message held it to ~170 messages/s; see benchmarks/api_bench.py).

The writer connection has a one-thread executor of its own: its BEGIN,
COMMIT and ROLLBACK run strictly in submission order, so a ROLLBACK queued by
a cancelled transaction always runs before the next transaction's BEGIN, and
a unit's inline statements only run after its BEGIN returned. Connections are
opened with ``check_same_thread=False`` because of this hand-over; a unit of
work never uses its connection from two threads at once.

Errors are translated on the executor thread, right where sqlite3 raises
them, so nothing above this module sees a sqlite3 exception.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

from smsgate.store.errors import TransactionClosed
from smsgate.store.sqlite.translate import translate

T = TypeVar("T")
Params = Sequence[object]


def run_translated(work: Callable[[sqlite3.Connection], T], connection: sqlite3.Connection) -> T:
    """``work(connection)`` with any sqlite3 error raised as a ``StoreError``."""
    try:
        return work(connection)
    except sqlite3.Error as error:
        raise translate(error) from error


class Session:
    """One connection lent to one unit of work; refuses calls once the unit has ended."""

    def __init__(self, connection: sqlite3.Connection, executor: Executor) -> None:
        self._connection = connection
        self._executor = executor
        self._open = True

    async def call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run a short statement ``work`` inline; raises ``StoreError``s."""
        if not self._open:
            raise TransactionClosed("this unit of work has ended; open a new one")
        return run_translated(work, self._connection)

    async def call_offloaded(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run long ``work`` (a whole-table scan) on the executor, off the event loop."""
        if not self._open:
            raise TransactionClosed("this unit of work has ended; open a new one")
        return await self.call_anyway(work)

    async def call_anyway(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``call`` even after the unit has ended: for its own BEGIN, COMMIT and ROLLBACK."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, run_translated, work, self._connection)

    def end(self) -> None:
        """Refuse further calls from repositories holding this session."""
        self._open = False

    async def rows(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Every row ``sql`` selects."""
        return await self.call(lambda db: db.execute(sql, params).fetchall())

    async def row(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row ``sql`` selects, if any."""
        row: sqlite3.Row | None = await self.call(lambda db: db.execute(sql, params).fetchone())
        return row

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; how many rows it changed."""
        return await self.call(lambda db: db.execute(sql, params).rowcount)
