"""Running blocking sqlite3 calls off the event loop, one connection per unit of work.

sqlite3 blocks, so every call runs on an executor thread and the event loop
only awaits it. The writer connection has a one-thread executor of its own:
its statements run strictly in submission order, so a ROLLBACK queued by a
cancelled transaction always runs before the next transaction's BEGIN.
Reader connections share a small pool of threads; each is used by one read
transaction at a time, which is why connections are opened with
``check_same_thread=False``.

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
        """Run ``work`` with the connection on the executor; raises ``StoreError``s."""
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
