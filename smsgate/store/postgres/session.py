"""One pooled connection lent to one unit of work, with the driver's errors translated.

Every statement of a unit goes through a :class:`PostgresSession` (the
``smsgate.store.sql`` repositories' ``Session`` on PostgreSQL), which spells
SQLite's placeholders as ``$N`` (``dialect.numbered``), refuses calls once the
unit has ended (``TransactionClosed``) and turns asyncpg's exceptions into the
store's at this one boundary.

A failed statement aborts a PostgreSQL transaction: the server refuses every
later statement until ROLLBACK. SQLite instead undoes just the statement. We
do not hide the difference behind a SAVEPOINT per statement (two extra round
trips for each write, on the hot send path); the session remembers the
failure, refuses further statements with a ``StoreError`` that says why, and
the unit rolls back when its block ends, raising if the block swallowed the
error (nothing of it was committed). Callers already leave a unit by raising
after a store error.

Serialising locks (see the package docstring) are transaction-level advisory
locks: ``lock(...)`` takes one for a key built from the domain's words (which
creditor, which debtor), only in write units, once per key per unit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeAlias, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from smsgate.store.errors import StoreError, TransactionClosed
from smsgate.store.postgres.dialect import POSTGRES, numbered
from smsgate.store.postgres.translate import DRIVER_ERRORS, translate
from smsgate.store.sql.dialect import Dialect, Params, Row

T = TypeVar("T")
#: A connection lent by the pool (generic for type checkers only).
Connection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"


def advisory_key(*parts: str) -> int:
    """The signed 64-bit advisory lock key of ``parts`` (a collision only costs a wait)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresSession:
    """The statements of one unit of work on one connection."""

    def __init__(self, connection: Connection, *, writing: bool) -> None:
        self.writing = writing
        self._connection = connection
        self._open = True
        self._failure: StoreError | None = None
        self._locked: set[int] = set()

    @property
    def failure(self) -> StoreError | None:
        """The store error that aborted the transaction, if one did."""
        return self._failure

    @property
    def dialect(self) -> Dialect:
        return POSTGRES

    async def rows(self, sql: str, params: Params = ()) -> list[asyncpg.Record]:
        """Every row ``sql`` selects."""
        return await self._call(lambda: self._connection.fetch(numbered(sql), *params))

    async def row(self, sql: str, params: Params = ()) -> asyncpg.Record | None:
        """The first row ``sql`` selects, if any."""
        return await self._call(lambda: self._connection.fetchrow(numbered(sql), *params))

    async def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row ``sql`` selects."""
        return await self._call(lambda: self._connection.fetchval(numbered(sql), *params))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; how many rows it changed (or returned)."""
        status = await self._call(lambda: self._connection.execute(numbered(sql), *params))
        return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0

    async def scan(self, sql: str, params: Params, consume: Callable[[Iterable[Row]], T]) -> T:
        """``consume`` the rows of a long read (asyncpg decodes them on the loop anyway)."""
        return consume(await self.rows(sql, params))

    async def lock(self, *parts: str) -> None:
        """In a write unit, wait for the advisory lock of ``parts`` and hold it until the end."""
        key = advisory_key(*parts)
        if self.writing and key not in self._locked:
            await self.value("SELECT pg_advisory_xact_lock(?)", (key,))
            self._locked.add(key)

    async def try_lock(self, *parts: str) -> bool:
        """In a write unit, take the advisory lock of ``parts`` if free (held to the end)."""
        key = advisory_key(*parts)
        if not self.writing:
            return False
        if key not in self._locked:
            if not await self.value("SELECT pg_try_advisory_xact_lock(?)", (key,)):
                return False
            self._locked.add(key)
        return True

    async def run(self, sql: str) -> None:
        """Run transaction control (BEGIN, COMMIT, ROLLBACK) even after ``end``."""
        try:
            await self._connection.execute(sql)
        except DRIVER_ERRORS as error:
            raise translate(error) from error

    def end(self) -> None:
        """Refuse further calls from repositories holding this session."""
        self._open = False

    async def _call(self, work: Callable[[], Awaitable[T]]) -> T:
        if not self._open:
            raise TransactionClosed("this unit of work has ended; open a new one")
        if self._failure is not None:
            raise StoreError(f"this unit of work was aborted by an earlier error: {self._failure}")
        try:
            return await work()
        except DRIVER_ERRORS as error:
            self._failure = translate(error)
            raise self._failure from error
