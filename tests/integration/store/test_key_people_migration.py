"""The "api key people" step: existing keys get their rotation chain and minter from the audit.

A database from before the step holds an operator-made admin key, an author
key, and the author key's successor, rotated by the admin key through the
API. After the step the successor is in its predecessor's chain (so the
trigger refuses its review of the predecessor's version) and was minted by
the admin key; no key has a person.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from smsgate.store import AuditEvent, parse_instant
from smsgate.store.audit_chain import GENESIS_HASH, entry_hash
from smsgate.store.postgres.migrations import MIGRATIONS as PG_MIGRATIONS
from smsgate.store.postgres.migrations import apply_migrations as pg_apply
from smsgate.store.sqlite.migrations import MIGRATIONS, apply_migrations

from ..pg_server import PostgresServer

INSTANT = "2024-05-01T02:00:00.000000Z"
KEYS = ("key_admin", "key_old", "key_new")
#: (seq, actor, subject, detail) of the key.created entries the API wrote before the step.
CREATED = (
    (1, "operator:cli", "key_admin", {"roles": ["admin"], "label": ""}),
    (2, "operator:cli", "key_old", {"roles": ["author", "reviewer"], "label": ""}),
    (3, "key_admin", "key_new", {"roles": ["author", "reviewer"], "replaces": "key_old"}),
)


def chained() -> list[tuple[int, str, str, str, str, str]]:
    """``CREATED`` as the hash chain stored it: (seq, actor, subject, detail, prev, hash)."""
    rows, prev = [], GENESIS_HASH
    for seq, actor, subject, detail in CREATED:
        event = AuditEvent(parse_instant(INSTANT), "acme", actor, "key.created", subject, detail)
        digest = entry_hash(event, seq, prev)
        rows.append((seq, actor, subject, json.dumps(detail), prev, digest))
        prev = digest
    return rows


EXPECTED = {
    "key_admin": ("key_admin", None, None),
    "key_old": ("key_old", None, None),
    "key_new": ("key_old", "key_admin", None),
}


def before_the_step(steps: tuple[object, ...]) -> int:
    """How many steps come before "api key people" (its number is the lead's to choose)."""
    names = [step.name for step in steps]  # type: ignore[attr-defined]
    return names.index("api key people")


class TestSqlite:
    """On SQLite the step backfills chain and minter, and the trigger refuses the successor."""

    @pytest.fixture
    def db(self, tmp_path: Path) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
        yield connection
        connection.close()

    def test_upgrade_derives_chains_and_minters(self, db: sqlite3.Connection) -> None:
        apply_migrations(db, MIGRATIONS[: before_the_step(MIGRATIONS)])
        db.execute(
            "INSERT INTO creditors VALUES ('acme', 'A', 'A', 'cn-shenzhen', '{}', ?)", (INSTANT,)
        )
        for key_id in KEYS:
            db.execute(
                "INSERT INTO api_keys (id, creditor_id, roles, secret_hash, label, created_at)"
                " VALUES (?, 'acme', '[\"author\",\"reviewer\"]', ?, '', ?)",
                (key_id, "hash-" + key_id, INSTANT),
            )
        for seq, actor, subject, detail, prev, digest in chained():
            db.execute(
                "INSERT INTO audit_log VALUES (?, ?, 'acme', ?, 'key.created', ?, ?, ?, ?)",
                (seq, INSTANT, actor, subject, detail, prev, digest),
            )
        db.execute(
            "INSERT INTO templates VALUES ('tpl_1', 'acme', 'n', 'debtor', ?, NULL)", (INSTANT,)
        )
        db.execute(
            "INSERT INTO template_versions VALUES"
            " ('tpl_1', 1, 'b', '{}', 'submitted', 'key_old', ?, '[]', '[]', 'w')",
            (INSTANT,),
        )
        assert apply_migrations(db, MIGRATIONS) == len(MIGRATIONS)
        rows = db.execute("SELECT id, chain_id, minted_by, person FROM api_keys")
        assert {row[0]: row[1:] for row in rows} == EXPECTED
        review = (
            "INSERT INTO reviews (template_id, version, reviewer_key_id, decision, reason, at,"
            " wordlist_version) VALUES ('tpl_1', 1, ?, 'approve', '', ?, 'w')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="four_eyes"):
            db.execute(review, ("key_new", INSTANT))
        db.execute(review, ("key_admin", INSTANT))  # another chain, no person: the DB lets it


@pytest.mark.postgres
class TestPostgres:
    """On PostgreSQL the step does the same."""

    async def test_upgrade_derives_chains_and_minters(
        self, postgres_server: PostgresServer
    ) -> None:
        with postgres_server.fresh_database() as url:
            schema = url.rsplit("search_path=", 1)[1]
            db = await asyncpg.connect(url.split("?")[0], server_settings={"search_path": schema})
            try:
                await self._upgrade(db)
            finally:
                await db.close()

    async def _upgrade(self, db: asyncpg.Connection) -> None:
        await pg_apply(db, PG_MIGRATIONS[: before_the_step(PG_MIGRATIONS)])
        await db.execute(
            "INSERT INTO creditors VALUES ('acme', 'A', 'A', 'cn-shenzhen', '{}', now())"
        )
        for key_id in KEYS:
            await db.execute(
                "INSERT INTO api_keys (id, creditor_id, roles, secret_hash, label, created_at)"
                " VALUES ($1, 'acme', '{author,reviewer}', $2, '', now())",
                key_id,
                "hash-" + key_id,
            )
        for seq, actor, subject, detail, prev, digest in chained():
            await db.execute(
                "INSERT INTO audit_log VALUES"
                " ($1, $2, 'acme', $3, 'key.created', $4, $5, $6, $7)",
                seq, parse_instant(INSTANT), actor, subject, detail, prev, digest,
            )  # fmt: skip
        await db.execute(
            "INSERT INTO templates VALUES ('tpl_1', 'acme', 'n', 'debtor', now(), NULL)"
        )
        await db.execute(
            "INSERT INTO template_versions VALUES"
            " ('tpl_1', 1, 'b', '{}', 'submitted', 'key_old', now(), '[]', '[]', 'w')"
        )
        assert await pg_apply(db, PG_MIGRATIONS) == len(PG_MIGRATIONS)
        rows = await db.fetch("SELECT id, chain_id, minted_by, person FROM api_keys")
        assert {row["id"]: tuple(row)[1:] for row in rows} == EXPECTED
        review = (
            "INSERT INTO reviews (template_id, version, reviewer_key_id, decision, reason, at,"
            " wordlist_version) VALUES ('tpl_1', 1, $1, 'approve', '', now(), 'w')"
        )
        with pytest.raises(asyncpg.PostgresError, match="four_eyes"):
            await db.execute(review, "key_new")
        await db.execute(review, "key_admin")
