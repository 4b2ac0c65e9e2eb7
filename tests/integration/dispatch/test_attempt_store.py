"""What dispatch needs from storage: the attempt log, lease renewal, and migration step 2."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from smsgate.store import (
    AlreadyExists,
    AttemptOutcome,
    NotFound,
    SendAttempt,
    Store,
    UnknownReference,
    open_store,
)
from smsgate.store.sqlite.migrations import MIGRATIONS, apply_migrations

from .dispatch_support import T0, Tenant, at

LEASE = timedelta(minutes=5)


class TestAttemptLog:
    """Attempts are started before the carrier call and finished after it."""

    async def test_start_finish_read(self, store: Store, tenant: Tenant) -> None:
        [message] = await tenant.accept(store)
        started = SendAttempt(message.id, 1, "kannel", f"{message.id}-1", T0)
        async with store.transaction() as tx:
            await tx.attempts.start(started)
            assert await tx.attempts.of_message(message.id) == [started]
            await tx.attempts.finish(
                message.id, 1, AttemptOutcome.SENT, at(1), carrier_message_id="k-9"
            )
        async with store.read() as tx:
            [done] = await tx.attempts.of_message(message.id)
            assert await tx.attempts.by_carrier_message_id("kannel", "k-9") == done
            assert await tx.attempts.by_carrier_message_id("smpp", "k-9") is None
        assert (done.outcome, done.finished_at, done.carrier_message_id) == (
            AttemptOutcome.SENT, at(1), "k-9",
        )  # fmt: skip

    async def test_same_attempt_twice(self, store: Store, tenant: Tenant) -> None:
        [message] = await tenant.accept(store)
        attempt = SendAttempt(message.id, 1, "fake", f"{message.id}-1", T0)
        async with store.transaction() as tx:
            await tx.attempts.start(attempt)
        with pytest.raises(AlreadyExists):
            async with store.transaction() as tx:
                await tx.attempts.start(attempt)

    async def test_unknown_message(self, store: Store, tenant: Tenant) -> None:
        with pytest.raises(UnknownReference):
            async with store.transaction() as tx:
                await tx.attempts.start(SendAttempt("msg_nope", 1, "fake", "msg_nope-1", T0))

    async def test_finish_unknown_attempt(self, store: Store, tenant: Tenant) -> None:
        [message] = await tenant.accept(store)
        with pytest.raises(NotFound):
            async with store.transaction() as tx:
                await tx.attempts.finish(message.id, 1, AttemptOutcome.SENT, T0)

    def test_attempts_count_from_one(self) -> None:
        with pytest.raises(ValueError, match="from 1"):
            SendAttempt("msg_x", 0, "fake", "msg_x-0", T0)


class TestRenew:
    """Only the holder of an unexpired lease can renew it."""

    async def test_renew(self, store: Store, tenant: Tenant) -> None:
        [message] = await tenant.accept(store)
        async with store.transaction() as tx:
            await tx.outbox.claim_due(T0, "d1", LEASE, 10)
            assert not await tx.outbox.renew(message.id, "d2", at(1), LEASE)
            assert await tx.outbox.renew(message.id, "d1", at(4), LEASE)
            assert await tx.outbox.claim_due(at(6), "d2", LEASE, 10) == []
            assert not await tx.outbox.renew(message.id, "d1", at(9), LEASE)


class TestMigrationTwo:
    """A database created by the first schema gains the attempt log when opened."""

    async def test_upgrade_from_version_one(self, tmp_path: Path) -> None:
        path = tmp_path / "old.db"
        with closing(sqlite3.connect(path, isolation_level=None)) as db:
            assert apply_migrations(db, MIGRATIONS[:1]) == 1
        store = await open_store(f"sqlite:///{path}")
        try:
            await Tenant().save(store)
            async with store.read() as tx:
                assert await tx.attempts.of_message("msg_none") == []
        finally:
            await store.close()
        with closing(sqlite3.connect(path)) as db:
            versions = [row[0] for row in db.execute("SELECT version FROM schema_migrations")]
        assert versions == list(range(1, len(MIGRATIONS) + 1))
