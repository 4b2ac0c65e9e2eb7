"""API keys in both stores: scheduled revocations, and last use that never goes backwards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from smsgate.store import Role, Store
from smsgate.store.sqlite.migrations import MIGRATIONS, apply_migrations

from .store_support import Tenant, api_key, at, creditor


class TestScheduledRevocation:
    """A future ``revoked_at`` may be brought forward, never pushed back."""

    async def test_schedule_then_bring_forward(self, store: Store, tenant: Tenant) -> None:
        key_id = tenant.author.id
        async with store.transaction() as tx:
            assert await tx.api_keys.revoke(key_id, at(60))  # scheduled
            assert not await tx.api_keys.revoke(key_id, at(90))  # later: refused
            assert await tx.api_keys.revoke(key_id, at(10))  # sooner: taken
            assert not await tx.api_keys.revoke(key_id, at(10))  # the same instant: nothing new
        async with store.read() as tx:
            key = await tx.api_keys.get(key_id)
        assert key is not None
        assert key.revoked_at == at(10)
        assert key.may(Role.AUTHOR, at(9))
        assert not key.may(Role.AUTHOR, at(10))


class TestLastUse:
    """``mark_used`` records the latest use only."""

    async def test_never_goes_backwards(self, store: Store, tenant: Tenant) -> None:
        key_id = tenant.reviewer.id
        async with store.transaction() as tx:
            await tx.api_keys.mark_used(key_id, at(5))
            await tx.api_keys.mark_used(key_id, at(3))
        async with store.read() as tx:
            key = await tx.api_keys.get(key_id)
            other = await tx.api_keys.get(tenant.author.id)
        assert key is not None
        assert other is not None
        assert (key.last_used_at, other.last_used_at) == (at(5), None)


class TestStepFive:
    """Migration 5 adds ``last_used_at`` to a database holding keys, which keep their rows."""

    def test_upgrade_keeps_keys(self, tmp_path: Path) -> None:
        path = tmp_path / "old.db"
        db = sqlite3.connect(path, isolation_level=None)
        try:
            assert apply_migrations(db, MIGRATIONS[:4]) == 4
            db.execute(
                "INSERT INTO creditors VALUES (?, 'A', 'A', 'cn-shenzhen', '{}', ?)",
                (creditor().id, "2024-05-01T02:00:00.000000Z"),
            )
            key = api_key("acme", Role.ADMIN)
            db.execute(
                "INSERT INTO api_keys VALUES (?, 'acme', '[\"admin\"]', ?, '', ?, NULL)",
                (key.id, key.secret_hash, "2024-05-01T02:00:00.000000Z"),
            )
            assert apply_migrations(db, MIGRATIONS) == len(MIGRATIONS)
            row = db.execute("SELECT id, last_used_at FROM api_keys").fetchone()
        finally:
            db.close()
        assert row == (key.id, None)
