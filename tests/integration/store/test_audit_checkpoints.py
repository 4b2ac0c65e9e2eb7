"""``audit verify``'s check of the tree: incremental from the last verified head, tampering found.

Each tamper test edits the database behind the store's back, as someone
with write access to it could (triggers dropped or disabled first, as they
would do), after a first verification and then more appended leaves.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from smsgate.audit_keys import AuditSigner
from smsgate.core.audit_tree import Frontier, leaf_hash
from smsgate.service.audit_checks import run_audit_verification, verify_audit_tree
from smsgate.service.sequencer import integrate
from smsgate.store import (
    AuditEntry,
    AuditEvent,
    AuditQuery,
    Store,
    TreeCheckpoint,
    TreeFault,
    leaf_bytes,
)
from smsgate.store.sql.audit import SqlAuditLog

from ..audit_support import SIGNER, Statement, sequence_all, sequenced_and_verified, tamper
from .store_support import at

VERIFIED_AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def clock() -> datetime:
    return VERIFIED_AT


async def append(store: Store, count: int, *, heads_of: int = 2) -> None:
    """``count`` more entries, sequenced in heads of ``heads_of`` leaves."""
    async with store.transaction() as tx:
        for n in range(count):
            await tx.audit.append(AuditEvent(at(n), "acme", "key_author", "a.b", f"s{n}"))
    while await integrate(store, SIGNER, clock, batch=heads_of) is not None:
        pass


async def verify(store: Store, *, full: bool = False, chunk: int = 3) -> TreeCheckpoint:
    return await verify_audit_tree(store, SIGNER.verifier, clock, full=full, chunk=chunk)


async def rows(store: Store) -> list[AuditEntry]:
    async with store.read() as tx:
        return await tx.audit.entries(AuditQuery(limit=10_000))


@pytest.fixture
def entries_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many entries each ``AuditLog.leaves`` call returned, on either store."""
    counts: list[int] = []
    real = SqlAuditLog.leaves  # one class serves both stores

    async def counted(self: SqlAuditLog, start: int, end: int) -> list[AuditEntry]:
        found = await real(self, start, end)
        counts.append(len(found))
        return found

    monkeypatch.setattr(SqlAuditLog, "leaves", counted)
    return counts


class TestIncremental:
    """A run reads only the leaves after the checkpoint, in bounded chunks, and moves it."""

    async def test_second_run_reads_only_new_leaves(
        self, store: Store, entries_read: list[int]
    ) -> None:
        await append(store, 25, heads_of=10)
        first = await verify_audit_tree(store, SIGNER.verifier, clock, chunk=10)
        assert (first.ok, first.size, first.checked) == (True, 25, 25)
        assert max(entries_read) <= 10
        await append(store, 3)
        entries_read.clear()
        second = await verify_audit_tree(store, SIGNER.verifier, clock, chunk=10)
        assert (second.ok, second.size, second.checked) == (True, 28, 3)
        assert sum(entries_read) == 3
        async with store.read() as tx:
            assert await tx.audit.checkpoint() == second
            head = await tx.audit_tree.latest_head()
        assert head is not None
        assert (second.verified_at, second.root) == (VERIFIED_AT, head.root.hex())

    async def test_empty_log(self, store: Store) -> None:
        result = await verify(store)
        assert (result.ok, result.size, result.checked) == (True, 0, 0)

    async def test_unsequenced_leaves_wait(self, store: Store) -> None:
        await append(store, 4)
        async with store.transaction() as tx:
            await tx.audit.append(AuditEvent(at(9), "acme", "k", "a.b", "late"))
        result = await verify(store)
        assert (result.ok, result.size) == (True, 4)


class TestTampering:
    """Each kind of tampering after the checkpoint is found, at the first bad leaf."""

    @pytest.fixture
    async def verified(self, store: Store) -> Store:
        await append(store, 5)
        assert (await verify(store)).ok
        await append(store, 5)  # heads at 2, 4, 5; then leaves 5..9, heads at 7, 9, 10
        return store

    async def test_tampered_leaf(self, verified: Store, database_url: str) -> None:
        await tamper(
            database_url, ("UPDATE audit_log SET actor = 'mallory' WHERE leaf_index = 7", ())
        )
        result = await verify(verified)
        assert (result.fault, result.bad_leaf, result.size) == (TreeFault.LEAF_ALTERED, 7, 7)

    async def test_removed_leaf(self, verified: Store, database_url: str) -> None:
        await tamper(database_url, ("DELETE FROM audit_log WHERE leaf_index = 7", ()))
        result = await verify(verified)
        assert (result.fault, result.bad_leaf) == (TreeFault.LEAF_MISSING, 7)

    async def test_reordered_range(self, verified: Store, database_url: str) -> None:
        move = "UPDATE audit_log SET leaf_index = ? WHERE leaf_index = ?"
        await tamper(database_url, (move, (1000, 6)), (move, (6, 8)), (move, (8, 1000)))
        result = await verify(verified)
        assert (result.fault, result.bad_leaf) == (TreeFault.LEAF_MOVED, 6)

    async def test_rewritten_tail(self, verified: Store, database_url: str) -> None:
        """Rows from leaf 7 on rewritten, with leaf hashes and nodes recomputed to match."""
        entries = sorted(await rows(verified), key=lambda e: e.leaf_index or 0)
        statements: list[Statement] = [("DELETE FROM audit_tree_nodes", ())]
        frontier = Frontier()
        for entry in entries:
            if (entry.leaf_index or 0) >= 7:
                forged = AuditEvent(entry.at, "acme", "mallory", "a.b", entry.subject)
                digest = leaf_hash(leaf_bytes(forged))
                statements.append((
                    "UPDATE audit_log SET actor = 'mallory', leaf_hash = ? WHERE seq = ?",
                    (digest.hex(), entry.seq),
                ))  # fmt: skip
            else:
                digest = bytes.fromhex(entry.leaf_hash)
            for node, value in frontier.append(digest):
                statements.append((
                    "INSERT INTO audit_tree_nodes (level, idx, hash) VALUES (?, ?, ?)",
                    (node.level, node.index, value.hex()),
                ))  # fmt: skip
        await tamper(database_url, *statements)
        result = await verify(verified)
        assert (result.fault, result.bad_leaf, result.size) == (TreeFault.ROOT_MISMATCH, 7, 7)

    async def test_head_signed_by_another_key(self, verified: Store, database_url: str) -> None:
        async with verified.read() as tx:
            head = await tx.audit_tree.latest_head()
        assert head is not None
        forged = AuditSigner.generate()[0].sign(head.size, head.root, head.timestamp_ms)
        await tamper(database_url, (
            "UPDATE audit_tree_heads SET signature = ?, key_id = ? WHERE tree_size = ?",
            (forged.signature.hex(), forged.key_id, head.size),
        ))  # fmt: skip
        result = await verify(verified)
        assert (result.fault, result.bad_leaf, result.size) == (TreeFault.BAD_SIGNATURE, None, 5)

    async def test_verified_head_removed(self, verified: Store, database_url: str) -> None:
        await tamper(database_url, ("DELETE FROM audit_tree_heads WHERE tree_size = 5", ()))
        result = await verify(verified)
        assert (result.fault, result.size) == (TreeFault.INCONSISTENT, 5)

    async def test_tree_cut_back_below_the_checkpoint(
        self, verified: Store, database_url: str
    ) -> None:
        await tamper(database_url, ("DELETE FROM audit_tree_heads WHERE tree_size > 4", ()))
        result = await verify(verified)
        assert result.fault == TreeFault.INCONSISTENT

    async def test_stored_proof_nodes_rewritten(self, verified: Store, database_url: str) -> None:
        """Leaves intact, but the nodes a consistency proof reads were changed."""
        await tamper(database_url, (
            "UPDATE audit_tree_nodes SET hash = ? WHERE level = 1 AND idx = 3",
            ("00" * 32,),
        ))  # fmt: skip
        result = await verify(verified)
        assert result.fault == TreeFault.INCONSISTENT


class TestBeforeTheCheckpoint:
    """An edit before the checkpoint is the incremental run's blind spot: --full finds it."""

    async def test_full_run(self, store: Store, database_url: str) -> None:
        await append(store, 10)
        assert (await verify(store)).ok
        await tamper(
            database_url, ("UPDATE audit_log SET actor = 'mallory' WHERE leaf_index = 3", ())
        )
        assert (await verify(store)).ok
        full = await verify(store, full=True, chunk=4)
        assert (full.ok, full.bad_leaf, full.full) == (False, 3, True)
        # The fault stays: an incremental run never saves "ok" over it.
        again = await verify(store)
        assert (again.ok, again.bad_leaf) == (False, 3)
        async with store.read() as tx:
            saved = await tx.audit.checkpoint()
        assert saved is not None
        assert (saved.ok, saved.bad_leaf, saved.size) == (False, 3, 2)


class TestBackgroundJob:
    """``serve``'s job verifies the newest head each interval and stops when told."""

    async def test_runs_until_stopped(self, store: Store) -> None:
        await append(store, 3)
        stop = asyncio.Event()
        job = asyncio.create_task(
            run_audit_verification(store, SIGNER.verifier, clock, stop_event=stop, interval=0.05)
        )
        saved = None
        for size in (3, 5):
            if size == 5:
                await append(store, 2)
            for _ in range(200):
                async with store.read() as tx:
                    saved = await tx.audit.checkpoint()
                if saved is not None and saved.size == size:
                    break
                await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(job, timeout=5)
        assert saved is not None
        assert (saved.ok, saved.size) == (True, 5)

    async def test_whole_tree_verifies(self, store: Store) -> None:
        await append(store, 7)
        await sequence_all(store)
        assert (await sequenced_and_verified(store)).size == 7
