"""Schema step 11: the old hash chain is verified once and its entries become the tree's leaves.

A database from before the step holds a chain of entries; after it every
entry carries its leaf hash and keeps its chain hashes, the sequencer's
first heads cover the old entries at ``seq - 1``, and new entries continue
after them. A broken chain stops the step, naming the first bad ``seq``,
and changes nothing, unless the operator accepts exactly that break.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from smsgate.store import (
    AuditAction,
    AuditEvent,
    AuditQuery,
    BrokenAuditChain,
    Store,
    open_store,
    parse_instant,
)
from smsgate.store.audit_chain import GENESIS_HASH, entry_hash
from smsgate.store.postgres.migrations import MIGRATIONS as PG_MIGRATIONS
from smsgate.store.postgres.migrations import apply_migrations as pg_apply
from smsgate.store.sql.schema import MigrationOptions
from smsgate.store.sqlite.migrations import MIGRATIONS, apply_migrations

from ..audit_support import sequenced_and_verified
from ..pg_server import PostgresServer

INSTANT = "2024-05-01T02:00:00.000000Z"
ENTRIES = 6
Row = tuple[int, str, str, str, str, str]


def before_the_step(steps: tuple[object, ...]) -> int:
    names = [step.name for step in steps]  # type: ignore[attr-defined]
    return names.index("audit merkle tree")


def old_chain(broken_at: int | None = None) -> list[Row]:
    """(seq, actor, subject, detail, prev_hash, hash) of an old chain; one entry edited after
    it was chained if ``broken_at``."""
    rows, prev = [], GENESIS_HASH
    for seq in range(1, ENTRIES + 1):
        detail = {"n": seq, "reason": "好"}
        event = AuditEvent(parse_instant(INSTANT), "acme", "key_a", "a.b", f"s{seq}", detail)
        digest = entry_hash(event, seq, prev)
        actor = "mallory" if seq == broken_at else "key_a"
        rows.append((seq, actor, f"s{seq}", json.dumps(detail), prev, digest))
        prev = digest
    return rows


async def check_migrated(store: Store) -> None:
    async with store.read() as tx:
        old = await tx.audit.entries(AuditQuery())
    assert [e.seq for e in old] == list(range(1, ENTRIES + 1))
    assert all(e.prev_hash and e.chain_hash and e.leaf_index is None for e in old)
    async with store.transaction() as tx:
        new = await tx.audit.append(AuditEvent(parse_instant(INSTANT), None, "k", "a.b", "new"))
    assert new.seq == ENTRIES + 1
    result = await sequenced_and_verified(store)
    assert (result.ok, result.size) == (True, ENTRIES + 1)
    async with store.read() as tx:
        placed = await tx.audit.entries(AuditQuery())
    assert [e.leaf_index for e in placed] == [e.seq - 1 for e in placed]


class TestSqlite:
    """On SQLite the step rebuilds the table, copying the verified chain as leaves."""

    @pytest.fixture
    def db_file(self, tmp_path: Path) -> Iterator[Path]:
        path = tmp_path / "old.db"
        connection = sqlite3.connect(path, isolation_level=None)
        apply_migrations(connection, MIGRATIONS[: before_the_step(MIGRATIONS)])
        yield path
        connection.close()

    def fill(self, path: Path, rows: list[Row]) -> None:
        with sqlite3.connect(path) as db:
            for seq, actor, subject, detail, prev, digest in rows:
                db.execute(
                    "INSERT INTO audit_log VALUES (?, ?, 'acme', ?, 'a.b', ?, ?, ?, ?)",
                    (seq, INSTANT, actor, subject, detail, prev, digest),
                )
        db.close()

    async def test_intact_chain(self, db_file: Path) -> None:
        self.fill(db_file, old_chain())
        store = await open_store(f"sqlite:///{db_file}")
        try:
            await check_migrated(store)
        finally:
            await store.close()

    async def test_broken_chain_stops_and_changes_nothing(self, db_file: Path) -> None:
        self.fill(db_file, old_chain(broken_at=4))
        with pytest.raises(BrokenAuditChain, match="broken at seq 4") as refused:
            await open_store(f"sqlite:///{db_file}")
        assert "--accept-broken-chain 4" in str(refused.value)
        with sqlite3.connect(db_file) as db:
            versions = [row[0] for row in db.execute("SELECT version FROM schema_migrations")]
            columns = [row[1] for row in db.execute("PRAGMA table_info(audit_log)")]
        db.close()
        assert max(versions) == before_the_step(MIGRATIONS)
        assert "leaf_hash" not in columns

    async def test_accepted_break(self, db_file: Path) -> None:
        self.fill(db_file, old_chain(broken_at=4))
        with pytest.raises(BrokenAuditChain, match="seq 4"):  # another seq accepted: refused
            await open_store(f"sqlite:///{db_file}", MigrationOptions(accept_broken_chain_at=3))
        store = await open_store(f"sqlite:///{db_file}", MigrationOptions(4))
        try:
            async with store.read() as tx:
                [accepted] = await tx.audit.entries(
                    AuditQuery(action=AuditAction.CHAIN_BREAK_ACCEPTED)
                )
            assert accepted.detail == {"first_bad_seq": 4, "fault": "hash_mismatch", "entries": 6}
            result = await sequenced_and_verified(store)
            assert (result.ok, result.size) == (True, ENTRIES + 1)
        finally:
            await store.close()


@pytest.mark.postgres
class TestPostgres:
    """On PostgreSQL the step alters the table and fills the leaf hashes of the old rows."""

    @pytest.fixture
    def pg_url(self, postgres_server: PostgresServer) -> Iterator[str]:
        with postgres_server.fresh_database() as url:
            yield url

    async def fill(self, url: str, rows: list[Row]) -> None:
        schema = url.rsplit("search_path=", 1)[1]
        db = await asyncpg.connect(url.split("?")[0], server_settings={"search_path": schema})
        try:
            await pg_apply(db, PG_MIGRATIONS[: before_the_step(PG_MIGRATIONS)])
            for seq, actor, subject, detail, prev, digest in rows:
                await db.execute(
                    "INSERT INTO audit_log VALUES ($1, $2, 'acme', $3, 'a.b', $4, $5, $6, $7)",
                    seq, parse_instant(INSTANT), actor, subject, detail, prev, digest,
                )  # fmt: skip
        finally:
            await db.close()

    async def test_intact_chain(self, pg_url: str) -> None:
        await self.fill(pg_url, old_chain())
        store = await open_store(pg_url)
        try:
            await check_migrated(store)
        finally:
            await store.close()

    async def test_broken_chain_stops(self, pg_url: str) -> None:
        await self.fill(pg_url, old_chain(broken_at=2))
        with pytest.raises(BrokenAuditChain, match="broken at seq 2"):
            await open_store(pg_url)
        store = await open_store(pg_url, MigrationOptions(accept_broken_chain_at=2))
        try:
            result = await sequenced_and_verified(store)
            assert (result.ok, result.size) == (True, ENTRIES + 1)
        finally:
            await store.close()
