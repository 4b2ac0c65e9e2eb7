"""Auditing which wordlist version is live: at start-up and on every hot reload.

Every message and review records the wordlist version it was checked with;
the audit log must also say when each version went live, so a reviewer can
reconstruct what the gateway was enforcing on any day.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import structlog

from smsgate.store import AuditEvent, AuditQuery, Store
from smsgate.store.audit import AuditAction

ACTOR = "gateway"
log = structlog.get_logger(__name__)


async def audit_live_version(store: Store, version: str, at: datetime) -> bool:
    """Append ``wordlist.changed`` unless ``version`` is already the last one audited."""
    async with store.transaction() as tx:
        entries = await tx.audit.entries(
            AuditQuery(action=AuditAction.WORDLIST_CHANGED, limit=1_000_000)
        )
        previous = str(entries[-1].detail.get("new_version")) if entries else None
        if previous == version:
            return False
        await tx.audit.append(
            AuditEvent(at, None, ACTOR, AuditAction.WORDLIST_CHANGED, "wordlist",
                       {"old_version": previous, "new_version": version})
        )  # fmt: skip
    return True


class ReloadAuditor:
    """The ``on_change`` callback of a ``WordlistSource``: audits each new version.

    The callback is synchronous (it runs inside ``WordlistSource.current()``),
    so the audit append runs as a task; the tasks are kept so none is lost to
    garbage collection, and a failure is logged, never raised into a request.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._store: Store | None = None
        self._tasks: set[asyncio.Task[bool]] = set()

    def attach(self, store: Store) -> None:
        """Start auditing into ``store`` (the source exists before the store is open)."""
        self._store = store

    def __call__(self, old: str | None, new: str) -> None:
        if self._store is None:
            return
        task = asyncio.get_running_loop().create_task(
            audit_live_version(self._store, new, self._clock())
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("wordlist_audit_failed", error=str(task.exception()))
