"""Opening a store the same way on both databases: started, or nothing left open.

A store's ``start`` opens connections (and threads, on SQLite) before it
migrates; if migrating fails (``SchemaTooNew``, a server that went away) or the
caller is cancelled, what was opened must be closed again, or a failed
``open_store`` would leak a pool or a writer thread per attempt.
"""

from __future__ import annotations

from typing import Protocol, TypeVar


class Startable(Protocol):
    """A store that is built closed, then started; ``close`` undoes any part of ``start``."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


S = TypeVar("S", bound=Startable)


async def started(store: S) -> S:
    """``store`` once ``start`` succeeded; closed again, and the error raised, if it failed."""
    try:
        await store.start()
    except BaseException:
        await store.close()
        raise
    return store
