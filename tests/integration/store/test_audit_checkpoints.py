"""Audit verification continues from a checkpoint; a full run reads the entries before it."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime

import asyncpg
import pytest

from smsgate.service.audit_checks import run_audit_verification, verify_audit_chain
from smsgate.store import AuditEntry, AuditEvent, AuditQuery, ChainFault, Store
from smsgate.store.sql.audit import SqlAuditLog

from .store_support import at

VERIFIED_AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def clock() -> datetime:
    return VERIFIED_AT


async def append(store: Store, count: int) -> None:
    async with store.transaction() as tx:
        for n in range(count):
            await tx.audit.append(AuditEvent(at(n), "acme", "key_author", "a.b", f"s{n}"))


async def tamper(database_url: str, seq: int) -> None:
    """Edit one entry behind the store's back, as someone with database access could."""
    sql = "UPDATE audit_log SET actor = 'mallory' WHERE seq = {}"
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            db.execute("DROP TRIGGER audit_log_no_update")
            db.execute(sql.format("?"), (seq,))
        db.close()
        return
    base, schema = database_url.split("?search_path=")
    connection = await asyncpg.connect(base, server_settings={"search_path": schema})
    try:
        await connection.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        await connection.execute(sql.format("$1"), seq)
    finally:
        await connection.close()


@pytest.fixture
def entries_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many entries each ``AuditLog.entries`` call returned, on either store."""
    counts: list[int] = []
    real = SqlAuditLog.entries  # one class serves both stores

    async def counted(self: SqlAuditLog, query: AuditQuery) -> list[AuditEntry]:
        found = await real(self, query)
        counts.append(len(found))
        return found

    monkeypatch.setattr(SqlAuditLog, "entries", counted)
    return counts


class TestIncremental:
    """A run reads only the entries after the checkpoint, in bounded chunks, and moves it."""

    async def test_second_run_reads_only_new_entries(
        self, store: Store, entries_read: list[int]
    ) -> None:
        await append(store, 25)
        first = await verify_audit_chain(store, clock, chunk=10)
        assert (first.ok, first.seq, first.checked) == (True, 25, 25)
        assert max(entries_read) <= 10
        await append(store, 3)
        entries_read.clear()
        second = await verify_audit_chain(store, clock, chunk=10)
        assert (second.ok, second.seq, second.checked) == (True, 28, 3)
        assert sum(entries_read) == 1 + 3  # the checkpoint entry again, then the new ones
        async with store.read() as tx:
            assert await tx.audit.checkpoint() == second
        assert second.verified_at == VERIFIED_AT

    async def test_empty_log(self, store: Store) -> None:
        result = await verify_audit_chain(store, clock)
        assert (result.ok, result.seq, result.checked) == (True, 0, 0)


class TestTampering:
    """An edit after the checkpoint is found by the next run; one before it by a full run."""

    async def test_edit_after_the_checkpoint(self, store: Store, database_url: str) -> None:
        await append(store, 5)
        await verify_audit_chain(store, clock)
        await append(store, 5)
        await tamper(database_url, 8)
        result = await verify_audit_chain(store, clock, chunk=2)
        assert (result.ok, result.bad_seq, result.fault) == (False, 8, ChainFault.HASH_MISMATCH)
        assert result.seq == 7  # the last good entry

    async def test_edit_before_the_checkpoint_needs_a_full_run(
        self, store: Store, database_url: str
    ) -> None:
        await append(store, 10)
        await verify_audit_chain(store, clock)
        await tamper(database_url, 3)
        assert (await verify_audit_chain(store, clock)).ok  # the documented blind spot
        full = await verify_audit_chain(store, clock, full=True, chunk=4)
        assert (full.ok, full.bad_seq, full.full) == (False, 3, True)
        # The fault stays: an incremental run never saves "ok" over it.
        again = await verify_audit_chain(store, clock)
        assert (again.ok, again.bad_seq) == (False, 3)
        async with store.read() as tx:
            saved = await tx.audit.checkpoint()
        assert saved is not None
        assert (saved.ok, saved.bad_seq) == (False, 3)

    async def test_edit_of_the_checkpoint_entry(self, store: Store, database_url: str) -> None:
        await append(store, 4)
        await verify_audit_chain(store, clock)
        await tamper(database_url, 4)
        result = await verify_audit_chain(store, clock)
        assert (result.ok, result.bad_seq) == (False, 4)


class TestBackgroundJob:
    """``serve``'s job verifies new entries each interval and stops when told."""

    async def test_runs_until_stopped(self, store: Store) -> None:
        await append(store, 3)
        stop = asyncio.Event()
        job = asyncio.create_task(
            run_audit_verification(store, clock, stop_event=stop, interval=0.05)
        )
        for _ in range(200):
            async with store.read() as tx:
                saved = await tx.audit.checkpoint()
            if saved is not None and saved.seq == 3:
                break
            await asyncio.sleep(0.02)
        await append(store, 2)
        for _ in range(200):
            async with store.read() as tx:
                saved = await tx.audit.checkpoint()
            if saved is not None and saved.seq == 5:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(job, timeout=5)
        assert saved is not None
        assert (saved.ok, saved.seq) == (True, 5)
