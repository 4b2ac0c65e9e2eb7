"""The audit log is one hash chain, append-only, and its tampering is found."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from smsgate.store import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    AuditEvent,
    AuditQuery,
    ChainFault,
    Store,
)

from ..store_fixtures import OpenStore
from .store_support import at


def event(minutes: float, action: str = AuditAction.TEMPLATE_CREATED, **changes: str) -> AuditEvent:
    fields = {"creditor_id": "acme", "actor": "key_author", "subject": "tpl_1"} | changes
    return AuditEvent(at(minutes), action=action, detail={"reason": "好", "n": [1, 2]}, **fields)


async def append(store: Store, *events: AuditEvent) -> list[AuditEntry]:
    async with store.transaction() as tx:
        return [await tx.audit.append(item) for item in events]


def raw(db_path: Path, sql: str) -> None:
    """Change the file behind the store's back, as someone with shell access could."""
    with sqlite3.connect(db_path) as db:
        db.execute(sql)
    db.close()


class TestChain:
    """Entries link to their predecessor and verify; any edit breaks verification."""

    async def test_links(self, store: Store) -> None:
        first, second = await append(store, event(0), event(1))
        assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
        assert (second.seq, second.prev_hash) == (2, first.hash)
        async with store.read() as tx:
            assert await tx.audit.entries(AuditQuery()) == [first, second]
            result = await tx.audit.verify()
        assert result.ok
        assert result.checked == 2

    async def test_empty_log_verifies(self, store: Store) -> None:
        async with store.read() as tx:
            assert (await tx.audit.verify()).ok

    async def test_tampered_detail(self, store: Store, db_path: Path) -> None:
        await append(store, event(0), event(1), event(2))
        raw(db_path, "DROP TRIGGER audit_log_no_update")
        raw(db_path, """UPDATE audit_log SET detail = '{"reason":"改"}' WHERE seq = 2""")
        async with store.read() as tx:
            result = await tx.audit.verify()
        assert (result.ok, result.bad_seq, result.fault) == (False, 2, ChainFault.HASH_MISMATCH)
        assert result.checked == 1

    async def test_deleted_entry(self, store: Store, db_path: Path) -> None:
        await append(store, event(0), event(1), event(2))
        raw(db_path, "DROP TRIGGER audit_log_no_delete")
        raw(db_path, "DELETE FROM audit_log WHERE seq = 2")
        async with store.read() as tx:
            result = await tx.audit.verify()
        assert (result.bad_seq, result.fault) == (3, ChainFault.SEQ_GAP)

    async def test_concurrent_writers_form_one_chain(
        self, store: Store, open_more: OpenStore
    ) -> None:
        stores = [store, await open_more()]
        await asyncio.gather(*(append(stores[i % 2], event(i)) for i in range(30)))
        async with store.read() as tx:
            entries = await tx.audit.entries(AuditQuery())
            result = await tx.audit.verify()
        assert [entry.seq for entry in entries] == list(range(1, 31))
        assert result.ok


class TestAppendOnly:
    """Triggers refuse UPDATE and DELETE of audit rows, even by hand-written SQL."""

    @pytest.mark.parametrize(
        "sql",
        [
            pytest.param("UPDATE audit_log SET actor = 'someone else'", id="update"),
            pytest.param("DELETE FROM audit_log", id="delete"),
        ],
    )
    async def test_refused(self, store: Store, db_path: Path, sql: str) -> None:
        await append(store, event(0))
        with pytest.raises(sqlite3.IntegrityError, match="audit log is append-only"):
            raw(db_path, sql)
        async with store.read() as tx:
            assert (await tx.audit.verify()).checked == 1


class TestQueries:
    """Entries are filtered by creditor, actor, action, subject and [start, end), and paged."""

    @pytest.fixture
    async def entries(self, store: Store) -> list[AuditEntry]:
        return await append(
            store,
            event(0),
            event(1, AuditAction.TEMPLATE_APPROVED, actor="key_reviewer"),
            event(2, AuditAction.MESSAGE_ACCEPTED, subject="msg_1"),
            event(3, creditor_id="other"),
            AuditEvent(at(4), None, "system", AuditAction.WORDLIST_CHANGED, "wordlists"),
        )

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            pytest.param(AuditQuery(), [1, 2, 3, 4, 5], id="all"),
            pytest.param(AuditQuery(creditor_id="acme"), [1, 2, 3], id="creditor"),
            pytest.param(AuditQuery(actor="key_reviewer"), [2], id="actor"),
            pytest.param(AuditQuery(action=AuditAction.TEMPLATE_CREATED), [1, 4], id="action"),
            pytest.param(AuditQuery(subject="msg_1"), [3], id="subject"),
            pytest.param(AuditQuery(start=at(1), end=at(3)), [2, 3], id="time-range"),
            pytest.param(AuditQuery(after_seq=2, limit=2), [3, 4], id="page"),
            pytest.param(
                AuditQuery(creditor_id="acme", action=AuditAction.TEMPLATE_CREATED), [1], id="and"
            ),
        ],
    )
    async def test_filters(
        self, store: Store, entries: list[AuditEntry], query: AuditQuery, expected: list[int]
    ) -> None:
        async with store.read() as tx:
            found = await tx.audit.entries(query)
        assert [entry.seq for entry in found] == expected
        assert found == [entries[seq - 1] for seq in expected]
