"""Running sqlite3 calls for a unit of work: inline on the event loop, or on a thread.

Only calls that can wait or take long run on an executor thread:
``BEGIN IMMEDIATE`` (it waits for another process's write lock, up to
``busy_timeout``), COMMIT (an fsync under ``synchronous=FULL``), migrations
and whole-table scans (:meth:`SqliteSession.call_offloaded`). Everything else runs
inline on the event loop thread: the statements of a unit of work, SAVEPOINT
and RELEASE, and a read's BEGIN and ROLLBACK (in WAL a reader never waits).
With the write lock held, or in a WAL read snapshot, they take microseconds,
while a hop to a thread and back costs far more and, behind the single
writer, caps the gateway's throughput. Measured with benchmarks/api_bench.py:
~12 hops per accepted message held it to ~170 messages/s; with statements
inline, the remaining hops (BEGIN and COMMIT per write, BEGIN and ROLLBACK
per read) to ~315/s; group commit (``group_commit``) and inline reads lifted
it to ~480-500/s, of which inline reads account for ~100-140.

A connection is never used from two threads at once. :class:`SerialConnection`
remembers the last job it sent to its executor and refuses inline calls and
new jobs until that job has finished (``RuntimeError``: a bug, not a state).
Callers wait with :meth:`SerialConnection.settled`, or, when they cannot wait
(a unit of work cancelled while its scan or BEGIN still runs on the thread),
leave their clean-up to :meth:`SerialConnection.when_idle`, which runs it on
the loop thread as soon as the job is done. Awaiting a job never cancels it:
a thread cannot be stopped half-way, so the connection stays "busy" until the
job really ends. Connections are opened with ``check_same_thread=False``
because of this hand-over between the loop thread and the executor's.

Errors are translated where sqlite3 raises them (on the executor thread for
offloaded jobs), so nothing above this module sees a sqlite3 exception.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any, TypeVar

from smsgate.store.errors import StoreError, TransactionClosed
from smsgate.store.sql.dialect import Dialect, Params, Row
from smsgate.store.sqlite.dialect import SQLITE
from smsgate.store.sqlite.translate import translate

T = TypeVar("T")


def run_translated(work: Callable[[sqlite3.Connection], T], connection: sqlite3.Connection) -> T:
    """``work(connection)`` with any sqlite3 error raised as a ``StoreError``."""
    try:
        return work(connection)
    except sqlite3.Error as error:
        raise translate(error) from error


def rollback(db: sqlite3.Connection) -> None:
    """End the open transaction, if any, discarding it."""
    if db.in_transaction:
        db.execute("ROLLBACK")


class SerialConnection:
    """A sqlite3 connection and its executor, whose calls never overlap."""

    def __init__(self, connection: sqlite3.Connection, executor: Executor) -> None:
        self.connection = connection
        self._executor = executor
        self._job: asyncio.Future[Any] | None = None

    @property
    def idle(self) -> bool:
        """Whether no job of this connection is running on the executor."""
        return self._job is None or self._job.done()

    def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` now, on the loop thread; raises ``StoreError``s."""
        self._require_idle()
        return run_translated(work, self.connection)

    def submit(self, work: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Start ``work`` on the executor; the connection is busy until it ends."""
        self._require_idle()
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(self._executor, run_translated, work, self.connection)
        self._job = job
        return job

    async def offload(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` on the executor, once any earlier job ended; raises ``StoreError``s.

        Cancelling the caller does not cancel the job (it is shielded): the
        connection stays busy until the thread is done with it.
        """
        await self.settled()
        return await asyncio.shield(self.submit(work))

    async def settled(self) -> None:
        """Return once the last job has ended, whatever its outcome."""
        if self._job is not None and not self._job.done():
            await asyncio.wait({self._job})

    def when_idle(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the loop thread now, or as soon as the running job ends."""
        if self._job is None or self._job.done():
            callback()
        else:
            self._job.add_done_callback(lambda _job: callback())

    def _require_idle(self) -> None:
        if not self.idle:
            raise RuntimeError("the connection is in use by its executor thread")


class SqliteSession:
    """One connection lent to one unit of work; refuses calls once the unit has ended.

    The ``smsgate.store.sql`` repositories' ``Session`` on SQLite: the SQL is
    already in SQLite's spelling, and ``lock`` has nothing to do, since the
    single writer serialises every write unit.
    """

    def __init__(self, line: SerialConnection) -> None:
        self._line = line
        self._open = True
        #: The error with which SQLite ended the whole transaction (disk full, I/O error).
        self.lost: StoreError | None = None

    async def call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run a short statement ``work`` inline; raises ``StoreError``s."""
        self._check_open()
        if not self._line.idle:  # only if the unit runs a scan beside it (gather)
            await self._line.settled()
        try:
            return self._line.run(work)
        except StoreError as error:
            if not self._line.connection.in_transaction:
                # SQLite ended the whole transaction (disk full, I/O error):
                # further statements would autocommit one by one, so refuse them.
                self._open = False
                self.lost = self.lost or error
            raise

    async def call_offloaded(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run long ``work`` (a whole-table scan) on the executor, off the event loop."""
        self._check_open()
        return await self._line.offload(work)

    def end(self) -> None:
        """Refuse further calls from repositories holding this session."""
        self._open = False

    def _check_open(self) -> None:
        if not self._open:
            raise TransactionClosed("this unit of work has ended; open a new one")

    @property
    def dialect(self) -> Dialect:
        return SQLITE

    async def rows(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Every row ``sql`` selects."""
        return await self.call(lambda db: db.execute(sql, params).fetchall())

    async def row(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """The first row ``sql`` selects, if any."""
        row: sqlite3.Row | None = await self.call(lambda db: db.execute(sql, params).fetchone())
        return row

    async def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row ``sql`` selects (``None`` without a row)."""
        row = await self.row(sql, params)
        return None if row is None else row[0]

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; how many rows it changed."""
        return await self.call(lambda db: db.execute(sql, params).rowcount)

    async def scan(self, sql: str, params: Params, consume: Callable[[Iterable[Row]], T]) -> T:
        """``consume`` the rows of a long read on the executor, off the event loop."""
        return await self.call_offloaded(lambda db: consume(db.execute(sql, params)))

    async def lock(self, *parts: str) -> None:
        """Nothing to take: the single writer already serialises write units."""

    async def try_lock(self, *parts: str) -> bool:
        """Always had: the single writer already serialises write units."""
        return True
