"""Migrations are versioned, applied once, atomically, and opening a store runs them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from smsgate.store import SchemaTooNew, Store, StoreUnavailable, open_store
from smsgate.store.sqlite.migrations import MIGRATIONS, Migration, apply_migrations, statements

#: These are SQLite's migrations, read from the file; ``test_postgres`` has PostgreSQL's.
SQLITE_ONLY = True
CURRENT = [step.version for step in MIGRATIONS]
NEXT = len(MIGRATIONS) + 1
EXTRA = Migration(NEXT, "add carrier column", "ALTER TABLE messages ADD COLUMN carrier TEXT;")


def versions(db_path: Path) -> list[int]:
    with sqlite3.connect(db_path) as db:
        rows = db.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    db.close()
    return [row[0] for row in rows]


def migrate_raw(db_path: Path, migrations: tuple[Migration, ...]) -> int:
    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        return apply_migrations(db, migrations)
    finally:
        db.close()


class TestVersions:
    """The store records each applied version once and refuses schemas it does not know."""

    async def test_open_migrates(self, store: Store, db_path: Path) -> None:
        assert versions(db_path) == [step.version for step in MIGRATIONS]

    async def test_idempotent(self, store: Store, db_path: Path) -> None:
        assert await store.migrate() == len(MIGRATIONS)
        assert await store.migrate() == len(MIGRATIONS)
        assert versions(db_path) == CURRENT

    async def test_reopen(self, store: Store, db_path: Path) -> None:
        await store.close()
        reopened = await open_store(f"sqlite:///{db_path}")
        await reopened.close()
        assert versions(db_path) == CURRENT

    async def test_new_step_applied_in_order(self, store: Store, db_path: Path) -> None:
        assert migrate_raw(db_path, (*MIGRATIONS, EXTRA)) == NEXT
        assert migrate_raw(db_path, (*MIGRATIONS, EXTRA)) == NEXT
        assert versions(db_path) == [*CURRENT, NEXT]

    async def test_schema_too_new(self, store: Store, db_path: Path) -> None:
        migrate_raw(db_path, (*MIGRATIONS, EXTRA))
        with pytest.raises(SchemaTooNew):
            await store.migrate()

    async def test_failed_step_changes_nothing(self, store: Store, db_path: Path) -> None:
        broken = Migration(NEXT, "broken", "CREATE TABLE t (x INTEGER);\nSELECT * FROM missing;")
        with pytest.raises(sqlite3.OperationalError):
            migrate_raw(db_path, (*MIGRATIONS, broken))
        assert versions(db_path) == CURRENT
        with sqlite3.connect(db_path) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        db.close()
        assert "t" not in tables

    def test_steps_numbered_in_order(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="numbered"):
            migrate_raw(tmp_path / "x.db", (EXTRA,))


class TestStatements:
    """Migration SQL is split into whole statements, trigger bodies kept whole."""

    def test_trigger_kept_whole(self) -> None:
        sql = "CREATE TABLE a (x);\nCREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n  SELECT 1;\nEND;\n"
        assert list(statements(sql)) == [
            "CREATE TABLE a (x);",
            "CREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n  SELECT 1;\nEND;",
        ]

    def test_incomplete_statement(self) -> None:
        with pytest.raises(ValueError, match="incomplete"):
            list(statements("CREATE TABLE a (x)"))


class TestConnectionSettings:
    """The file is in WAL mode with FULL sync unless the URL relaxes it."""

    async def test_wal_mode(self, store: Store, db_path: Path) -> None:
        with sqlite3.connect(db_path) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.close()

    async def test_missing_folder(self, tmp_path: Path) -> None:
        with pytest.raises(StoreUnavailable, match="does not exist"):
            await open_store(f"sqlite:///{tmp_path}/missing/smsgate.db")

    async def test_synchronous_normal(self, tmp_path: Path) -> None:
        store = await open_store(f"sqlite:///{tmp_path}/x.db?synchronous=normal")
        try:
            async with store.transaction() as tx:
                assert await tx.creditors.all() == []
        finally:
            await store.close()
