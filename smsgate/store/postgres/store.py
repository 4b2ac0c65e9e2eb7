"""The PostgreSQL store: a pool of asyncpg connections, one per unit of work.

Units of work. ``transaction()`` borrows a connection and runs ``BEGIN``
(READ COMMITTED); ``read()`` runs ``BEGIN ISOLATION LEVEL REPEATABLE READ
READ ONLY``, one snapshot for the whole unit, and a write in it fails with
``ReadOnlyTransaction``. The block's normal end commits (a write unit) and
any exception rolls back; only then does the connection go back to the pool.
Write units are *not* serialised globally as SQLite's are: they run side by
side, and the few read-then-write rules that need it serialise on advisory
locks of their own keys (see the package docstring). Reads never wait.

Durability: PostgreSQL's defaults (``synchronous_commit = on``, ``fsync =
on``) flush the WAL before COMMIT returns, so a 202 still means the message
survives a power cut; concurrent commits share flushes (PostgreSQL's own
group commit).

Settings sent with every connection: ``lock_timeout`` (a wait for a row or
advisory lock longer than that fails with ``StoreBusy``, as SQLite's busy
timeout does), ``TimeZone = UTC`` and an ``application_name`` for
``pg_stat_activity``. The pool's reset hook only rolls back a connection
left in a transaction instead of asyncpg's default reset query, which would
cost a round trip per unit of work: a unit always ends its transaction, and
its advisory locks end with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg

from smsgate.store.errors import StoreBusy, StoreError, StoreUnavailable
from smsgate.store.ports import UnitOfWork
from smsgate.store.postgres.migrations import apply_migrations
from smsgate.store.postgres.session import Connection, PostgresSession
from smsgate.store.postgres.translate import DRIVER_ERRORS, translate
from smsgate.store.sql.opening import started
from smsgate.store.sql.schema import MigrationOptions
from smsgate.store.sql.unit import SqlUnitOfWork

POOL_SIZE = 10
LOCK_TIMEOUT_MS = 5_000
CONNECT_TIMEOUT_S = 10.0
#: The longest a unit of work waits for a pooled connection: when every
#: connection is stuck (a frozen server), callers get a 503 instead of waiting forever.
ACQUIRE_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 10.0
_BEGIN_WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
_BEGIN_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


@dataclass(frozen=True, slots=True)
class PostgresSettings:
    """Which server and database (a libpq-style URL asyncpg reads) and how many connections."""

    dsn: str
    pool_size: int = POOL_SIZE
    lock_timeout_ms: int = LOCK_TIMEOUT_MS
    migration: MigrationOptions = field(default_factory=MigrationOptions)

    def __post_init__(self) -> None:
        if self.pool_size < 1 or self.lock_timeout_ms < 1:
            raise ValueError("a PostgreSQL store needs pool_size >= 1 and lock_timeout_ms >= 1")


async def open_postgres_store(settings: PostgresSettings) -> PostgresStore:
    """Connect, migrate (under an advisory lock) and return the store.

    Raises ``StoreUnavailable`` if the server cannot be reached or refuses
    us, and ``SchemaTooNew`` if a newer smsgate migrated the database.
    """
    return await started(PostgresStore(settings))


class PostgresStore:
    """``Store`` on one PostgreSQL database; build it with ``open_postgres_store``."""

    def __init__(self, settings: PostgresSettings) -> None:
        self._settings = settings
        self._pool: asyncpg.Pool[asyncpg.Record] | None = None

    async def start(self) -> None:
        """Open the pool (one connection at first, up to ``pool_size``) and migrate."""
        server_settings = {
            "application_name": "smsgate",
            "lock_timeout": str(self._settings.lock_timeout_ms),
            "TimeZone": "UTC",
        }
        try:
            self._pool = await asyncpg.create_pool(
                self._settings.dsn,
                min_size=1,
                max_size=self._settings.pool_size,
                timeout=CONNECT_TIMEOUT_S,
                server_settings=server_settings,
                reset=_end_transaction,
            )
        except (*DRIVER_ERRORS, ValueError) as error:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {error}") from error
        await self.migrate()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        async with self._unit(_BEGIN_WRITE, writing=True) as unit:
            yield unit

    @asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        async with self._unit(_BEGIN_READ, writing=False) as unit:
            yield unit

    async def migrate(self) -> int:
        async with self._connection() as connection:
            try:
                return await apply_migrations(connection, options=self._settings.migration)
            except DRIVER_ERRORS as error:
                raise translate(error) from error

    async def ping(self) -> None:
        async with self._connection() as connection:
            try:
                await connection.fetchval("SELECT 1")
            except DRIVER_ERRORS as error:
                raise translate(error) from error

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), CLOSE_TIMEOUT_S)
        except (TimeoutError, *DRIVER_ERRORS):
            pool.terminate()

    @asynccontextmanager
    async def _unit(self, begin: str, *, writing: bool) -> AsyncIterator[UnitOfWork]:
        async with self._connection() as connection:
            session = PostgresSession(connection, writing=writing)
            try:
                await session.run(begin)
                yield SqlUnitOfWork(session)
            except BaseException:
                session.end()
                await _roll_back(connection)
                raise
            session.end()
            await _finish(session, connection, writing=writing)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        if self._pool is None:
            raise StoreUnavailable("the store is closed")
        pool = self._pool
        try:
            connection = await pool.acquire(timeout=ACQUIRE_TIMEOUT_S)
        except TimeoutError:
            raise StoreBusy(f"no database connection free within {ACQUIRE_TIMEOUT_S:g} s") from None
        except DRIVER_ERRORS as error:
            raise translate(error) from error
        try:
            yield connection
        finally:
            await pool.release(connection)


async def _finish(session: PostgresSession, connection: Connection, *, writing: bool) -> None:
    """Commit a write unit, roll back a read; raise if a store error aborted a write unit."""
    if not writing:
        await session.run("ROLLBACK")
    elif session.failure is None:
        await session.run("COMMIT")
    else:
        await _roll_back(connection)
        raise StoreError(
            "the unit of work ended normally after a store error aborted it; nothing of it "
            f"was committed ({session.failure})"
        )


async def _roll_back(connection: Connection) -> None:
    """End the transaction, discarding it; a connection that cannot is closed instead."""
    try:
        await connection.execute("ROLLBACK")
    except (*DRIVER_ERRORS, asyncio.CancelledError):
        # A connection the server killed may already have been handed back to
        # the pool by asyncpg, which then refuses terminate(): it is gone anyway.
        with contextlib.suppress(asyncpg.InterfaceError):
            connection.terminate()


async def _end_transaction(connection: asyncpg.Connection[asyncpg.Record]) -> None:
    # The pool's reset hook: see the module docstring.
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")
