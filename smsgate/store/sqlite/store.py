"""The SQLite store: one database file, one writer connection, a few readers.

Threading. sqlite3 blocks, but most of its calls here are too short to be
worth a thread hop (see ``session``): statements, savepoints, a read's BEGIN
and ROLLBACK run inline on the event loop; a BEGIN that must wait for
another process, COMMIT (fsync), migrations and whole-table scans run on an
executor. Write units of work take turns at the single writer connection
(its thread is its own); SQLite allows one writer at a time anyway, and
queueing in the process is cheaper than spinning in SQLite's busy handler.
Consecutive units share one transaction and one COMMIT (``group_commit``),
and each still returns only once its writes are durable. Reads use a pool
of ``query_only`` connections and may run alongside each other and the
writer (WAL readers see the last commit, never a group still open).

Serialising. Write transactions begin with ``BEGIN IMMEDIATE``, which takes
the database's write lock before the first read. A transaction that counts
today's contacts and then inserts one therefore cannot interleave with
another doing the same, whether the other runs in this process or in another
one (``smsgate serve`` next to ``smsgate dispatch``) on the same file; the
other waits up to ``BUSY_TIMEOUT_MS`` and then gets ``StoreBusy``. Within a
group each unit sees the earlier units' writes as if they had committed, so
the rule holds there too; ``GroupLimits`` bounds how long a group keeps the
file's write lock from other processes.

Durability. WAL with ``synchronous=FULL`` by default: every COMMIT syncs the
WAL to disk before it returns, so a 202 means the message survives a power
cut or kernel panic, not only a crash of smsgate (a unit of work returns only
after its group's COMMIT). ``synchronous=NORMAL``
(``?synchronous=normal`` in the URL) syncs only at checkpoints: still safe
against any crash of the application, and the file is never corrupted, but
the last transactions before a power loss or OS crash may roll back, which
breaks "a 202 means committed". It is offered for benchmarks and for
deployments whose disk cache is battery-backed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path

from smsgate.store.errors import StoreUnavailable
from smsgate.store.ports import UnitOfWork
from smsgate.store.sql.opening import started
from smsgate.store.sql.schema import MigrationOptions
from smsgate.store.sql.unit import SqlUnitOfWork
from smsgate.store.sqlite.group_commit import GroupCommit, GroupLimits
from smsgate.store.sqlite.migrations import apply_migrations
from smsgate.store.sqlite.session import SerialConnection, SqliteSession, rollback
from smsgate.store.sqlite.translate import translate

BUSY_TIMEOUT_MS = 5_000
READERS = 4


class Synchronous(StrEnum):
    """SQLite's ``synchronous`` setting as offered here; see the module docstring."""

    FULL = "full"
    NORMAL = "normal"


@dataclass(frozen=True, slots=True)
class SqliteSettings:
    """Where the database file is, how hard each commit is pushed to disk, how writes group."""

    path: Path
    synchronous: Synchronous = Synchronous.FULL
    readers: int = READERS
    group: GroupLimits = field(default_factory=GroupLimits)
    migration: MigrationOptions = field(default_factory=MigrationOptions)


async def open_sqlite_store(settings: SqliteSettings) -> SqliteStore:
    """Open (creating if needed) the database file, migrate it, and return the store.

    Raises ``StoreUnavailable`` if the file cannot be opened and
    ``SchemaTooNew`` if a newer smsgate migrated it.
    """
    writer_thread = ThreadPoolExecutor(1, thread_name_prefix="smsgate-sqlite-writer")
    reader_threads = ThreadPoolExecutor(settings.readers, thread_name_prefix="smsgate-sqlite")
    return await started(SqliteStore(settings, writer_thread, reader_threads))


class SqliteStore:
    """``Store`` on one SQLite file; build it with ``open_sqlite_store``."""

    def __init__(
        self,
        settings: SqliteSettings,
        writer_thread: ThreadPoolExecutor,
        reader_threads: ThreadPoolExecutor,
    ) -> None:
        self._settings = settings
        self._writer_thread = writer_thread
        self._reader_threads = reader_threads
        self._writer: GroupCommit | None = None
        self._readers: asyncio.Queue[SerialConnection] = asyncio.Queue()
        self._connections: list[sqlite3.Connection] = []

    @property
    def commits(self) -> int:
        """How many COMMITs the writer has sent: one per group of write units of work."""
        return self._writer.commits if self._writer is not None else 0

    async def start(self) -> None:
        """Open the writer, switch the file to WAL, migrate, then open the readers."""
        loop = asyncio.get_running_loop()
        writer = await loop.run_in_executor(self._writer_thread, self._connect, False)
        line = SerialConnection(writer, self._writer_thread)
        self._writer = GroupCommit(line, self._settings.group)
        await self.migrate()
        for _ in range(self._settings.readers):
            reader = await loop.run_in_executor(self._reader_threads, self._connect, True)
            self._readers.put_nowait(SerialConnection(reader, self._reader_threads))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._writing().unit() as session:
            yield SqlUnitOfWork(session)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        self._writing()  # refuse at once once closed, rather than wait for a reader
        reader = await self._readers.get()
        try:
            reader.run(_begin_read)  # idle: a reader is given back only once idle
        except BaseException:
            self._readers.put_nowait(reader)
            raise
        session = SqliteSession(reader)
        try:
            yield SqlUnitOfWork(session)
        finally:
            session.end()
            reader.when_idle(partial(self._give_back, reader))

    async def migrate(self) -> int:
        async with self._writing().exclusive() as line:
            options = self._settings.migration
            return await line.offload(partial(apply_migrations, options=options))

    async def ping(self) -> None:
        async with self.read() as tx:
            await tx.creditors.get("")

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            await writer.close()
        for connection in self._connections:
            connection.close()
        self._connections.clear()
        self._writer_thread.shutdown(wait=True)
        self._reader_threads.shutdown(wait=True)

    def _writing(self) -> GroupCommit:
        if self._writer is None:
            raise StoreUnavailable("the store is closed")
        return self._writer

    def _give_back(self, reader: SerialConnection) -> None:
        try:
            reader.run(rollback)
        finally:
            self._readers.put_nowait(reader)

    def _connect(self, read_only: bool) -> sqlite3.Connection:
        try:
            return self._configure(read_only)
        except sqlite3.Error as error:
            raise translate(error) from error

    def _configure(self, read_only: bool) -> sqlite3.Connection:
        path = self._settings.path
        if not path.parent.is_dir():
            raise StoreUnavailable(f"the folder of the database {path} does not exist")
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._connections.append(db)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute(f"PRAGMA synchronous = {self._settings.synchronous.upper()}")
        if read_only:
            db.execute("PRAGMA query_only = ON")
        elif db.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
            # WAL needs shared memory, which network file systems may not offer.
            raise StoreUnavailable(f"cannot put {path} in WAL mode; use a local disk")
        return db


def _begin_read(db: sqlite3.Connection) -> None:
    db.execute("BEGIN")
