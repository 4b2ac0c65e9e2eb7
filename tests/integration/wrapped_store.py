"""A base for test stores that wrap a real ``Store`` and change only its write units.

Tests that order or abort units of work (``dispatch/paused_units.py``,
``feedback/test_reply_reruns.py``) wrap the real store; everything but
``transaction`` passes straight through, written here once.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from smsgate.store import Store, UnitOfWork


class WrappedStore:
    """``store`` itself for reads, migrating, pings and closing; subclasses give ``transaction``."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        raise NotImplementedError

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        return self._store.read()

    async def migrate(self) -> int:
        return await self._store.migrate()

    async def ping(self) -> None:
        await self._store.ping()

    async def close(self) -> None:
        await self._store.close()
