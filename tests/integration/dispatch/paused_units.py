"""A store whose write units stop right after one chosen repository call, to order two units.

Two units of work that lock the same rows in opposite orders deadlock only
if each takes its first lock before the other takes its second. A test makes
that happen every time by running the real code of both (the dispatcher, a
reply, a retirement) on ``PausedStore`` wrappers: each says when its unit
has made the chosen call (``reached``), and one of them waits there until
the test lets it go on (``resume``). Nothing is faked: every statement runs
on the real database, in the unit's own transaction.

``lock_waiters`` tells when the other unit is stuck behind a lock instead of
reaching its call (PostgreSQL: a backend waiting on a row or advisory lock;
SQLite: the second writer cannot begin while the first is open, so there is
nothing to ask and a short pause lets it try).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import asyncpg

from smsgate.store import Store, UnitOfWork

from ..wrapped_store import WrappedStore

#: The longest a paused unit waits to be let go, and a test for a lock waiter.
PAUSE_LIMIT_S = 10.0
POLL_S = 0.02
#: Backends of the test's server waiting for a row or advisory lock (one test runs at a time).
_LOCK_WAITERS = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"


class PausedStore(WrappedStore):
    """``store`` whose write units stop once after ``repository.call`` returns.

    ``reached`` is set when the first unit made the call; that unit then waits
    for ``resume`` (already set if ``hold`` is false: it only reports).
    """

    def __init__(self, store: Store, repository: str, call: str, *, hold: bool = True) -> None:
        super().__init__(store)
        self._where = (repository, call)
        self.reached = asyncio.Event()
        self.resume = asyncio.Event()
        if not hold:
            self.resume.set()

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self._unit()

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[UnitOfWork]:
        async with self._store.transaction() as tx:
            yield cast(UnitOfWork, _PausedUnit(tx, self))

    async def pause(self) -> None:
        """Called after the chosen call: report it (the first time) and wait to go on."""
        if self.reached.is_set():
            return
        self.reached.set()
        async with asyncio.timeout(PAUSE_LIMIT_S):
            await self.resume.wait()

    def wraps(self, repository: str, call: str) -> bool:
        return (repository, call) == self._where


class _PausedUnit:
    """A unit of work whose chosen repository pauses after its chosen call."""

    def __init__(self, tx: UnitOfWork, paused: PausedStore) -> None:
        self._tx = tx
        self._paused = paused

    def __getattr__(self, name: str) -> Any:
        return _PausedRepository(name, getattr(self._tx, name), self._paused)


class _PausedRepository:
    def __init__(self, name: str, repository: Any, paused: PausedStore) -> None:
        self._name = name
        self._repository = repository
        self._paused = paused

    def __getattr__(self, call: str) -> Any:
        method = getattr(self._repository, call)
        if not self._paused.wraps(self._name, call):
            return method
        return _paused_after(method, self._paused.pause)


def _paused_after(
    method: Callable[..., Awaitable[Any]], pause: Callable[[], Awaitable[None]]
) -> Callable[..., Awaitable[Any]]:
    async def call(*args: Any, **kwargs: Any) -> Any:
        result = await method(*args, **kwargs)
        await pause()
        return result

    return call


async def lock_waiters(database_url: str) -> None:
    """Return once another unit waits for a lock (PostgreSQL), or after a short pause (SQLite)."""
    if database_url.startswith("sqlite"):
        await asyncio.sleep(0.2)
        return
    connection = await asyncpg.connect(database_url.split("?")[0])
    try:
        for _ in range(round(PAUSE_LIMIT_S / POLL_S)):
            if await connection.fetchval(_LOCK_WAITERS):
                return
            await asyncio.sleep(POLL_S)
    finally:
        await connection.close()
    raise AssertionError(f"no unit waited for a lock within {PAUSE_LIMIT_S} s")


async def first_of(*waits: Awaitable[object]) -> None:
    """Return when the first of ``waits`` is done (raising what it raised); cancel the others."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a wait that failed fails the test
