"""The audit log: leaves appended without a lock, one sequencer, append-only rows, queries."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from smsgate.core.audit_tree import root_of
from smsgate.service.sequencer import TreeCorrupt, integrate, run_sequencer
from smsgate.store import AuditAction, AuditEntry, AuditEvent, AuditQuery, Store
from smsgate.store.sql.audit_tree import SqlAuditTree

from ..audit_support import SIGNER, sequence_all, sequenced_and_verified, tamper
from ..store_fixtures import OpenStore
from .store_support import at

WORKER = Path(__file__).with_name("audit_worker.py")
PROCESSES, EACH = 3, 40


def event(minutes: float, action: str = AuditAction.TEMPLATE_CREATED, **changes: str) -> AuditEvent:
    fields = {"creditor_id": "acme", "actor": "key_author", "subject": "tpl_1"} | changes
    return AuditEvent(at(minutes), action=action, detail={"reason": "好", "n": [1, 2]}, **fields)


async def append(store: Store, *events: AuditEvent) -> list[AuditEntry]:
    async with store.transaction() as tx:
        return [await tx.audit.append(item) for item in events]


async def every_entry(store: Store) -> list[AuditEntry]:
    async with store.read() as tx:
        return await tx.audit.entries(AuditQuery(limit=100_000))


def raw(db_path: Path, sql: str) -> None:
    """Change the file behind the store's back, as someone with shell access could."""
    with sqlite3.connect(db_path) as db:
        db.execute(sql)
    db.close()


class Boom(Exception):
    """Raised inside a unit of work to abandon it."""


class TestAppend:
    """A leaf gets its seq from the database and waits, unplaced, for the sequencer."""

    async def test_appended_leaf(self, store: Store) -> None:
        first, second = await append(store, event(0), event(1))
        assert (first.seq, second.seq) == (1, 2)
        assert (first.leaf_index, first.prev_hash, first.chain_hash) == (None, None, None)
        assert first.leaf_hash != second.leaf_hash
        assert await every_entry(store) == [first, second]

    async def test_rolled_back_unit_leaves_no_leaf(self, store: Store) -> None:
        async def append_then_fail() -> None:
            async with store.transaction() as tx:
                await tx.audit.append(event(0))
                raise Boom

        with pytest.raises(Boom):
            await append_then_fail()
        [kept] = await append(store, event(1))
        assert [e.seq for e in await every_entry(store)] == [kept.seq]
        assert await sequence_all(store) == 1

    async def test_no_unit_waits_for_another_units_leaf(
        self, store: Store, open_more: OpenStore, backend: str
    ) -> None:
        if backend == "sqlite":
            pytest.skip("SQLite's single writer serialises every write unit by design")
        other = await open_more()
        appended = asyncio.Event()

        async def slow_unit() -> None:
            async with store.transaction() as tx:
                await tx.audit.append(event(0, subject="slow"))
                appended.set()
                await asyncio.sleep(2)

        slow = asyncio.create_task(slow_unit())
        await appended.wait()
        [quick] = await asyncio.wait_for(append(other, event(1, subject="quick")), timeout=1)
        await slow
        assert quick.seq == 2  # committed while the unit holding seq 1 was still open


class TestSequencer:
    """Pending leaves get consecutive positions in seq order under a signed head."""

    async def test_integrates_in_seq_order(self, store: Store) -> None:
        entries = await append(store, *(event(n) for n in range(5)))
        done = await integrate(store, SIGNER, lambda: at(10), batch=3)
        assert done is not None
        assert (done.head.size, done.leaves) == (3, 3)
        assert SIGNER.verifier.verifies(done.head)
        assert done.head.at == at(10)
        assert await sequence_all(store) == 5
        placed = await every_entry(store)
        assert [e.leaf_index for e in placed] == [0, 1, 2, 3, 4]
        async with store.read() as tx:
            head = await tx.audit_tree.latest_head()
        assert head is not None
        assert head.root == root_of([bytes.fromhex(e.leaf_hash) for e in entries])

    async def test_nothing_pending(self, store: Store) -> None:
        assert await integrate(store, SIGNER, lambda: at(0)) is None
        await append(store, event(0))
        await sequence_all(store)
        assert await integrate(store, SIGNER, lambda: at(0)) is None

    async def test_one_sequencer_at_a_time(
        self, store: Store, open_more: OpenStore, backend: str
    ) -> None:
        if backend == "sqlite":
            pytest.skip("SQLite's writer lock already makes every round exclusive")
        other = await open_more()
        await append(store, event(0))
        async with store.transaction() as tx:
            assert await tx.audit_tree.lead()
            assert await integrate(other, SIGNER, lambda: at(0)) is None  # skipped, not blocked
        assert await integrate(other, SIGNER, lambda: at(0)) is not None

    async def test_never_signs_over_a_rewritten_tree(self, store: Store, database_url: str) -> None:
        await append(store, event(0), event(1), event(2))
        await sequence_all(store)
        await append(store, event(3))
        forged = ("UPDATE audit_tree_nodes SET hash = ? WHERE level = 1 AND idx = 0", ("00" * 32,))
        await tamper(database_url, forged)
        with pytest.raises(TreeCorrupt, match="signed root"):
            await integrate(store, SIGNER, lambda: at(0))
        async with store.read() as tx:
            assert (await tx.audit_tree.latest_head()).size == 3  # type: ignore[union-attr]

    async def test_background_rounds(self, store: Store) -> None:
        stop = asyncio.Event()
        job = asyncio.create_task(
            run_sequencer(store, SIGNER, lambda: at(0), stop_event=stop, interval=0.05)
        )
        await append(store, event(0), event(1))
        head = None
        for _ in range(100):
            async with store.read() as tx:
                head = await tx.audit_tree.latest_head()
            if head is not None:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(job, timeout=5)
        assert head is not None
        assert head.size == 2

    async def test_concurrent_rounds_never_fork(self, store: Store, open_more: OpenStore) -> None:
        stores = [store, await open_more(), await open_more()]

        async def appender(n: int) -> None:
            await append(stores[n % 3], event(n))
            await integrate(stores[(n + 1) % 3], SIGNER, lambda: at(0), batch=4)

        await asyncio.gather(*(appender(n) for n in range(30)))
        result = await sequenced_and_verified(store)
        assert (result.ok, result.size) == (True, 30)
        assert sorted(e.leaf_index for e in await every_entry(store)) == list(range(30))


class TestAcrossProcesses:
    """Appenders and sequencers in several processes never fork the tree or lose a leaf."""

    async def test_concurrent_appenders(self, store: Store, database_url: str) -> None:
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable, str(WORKER), database_url, "append", str(EACH),
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(PROCESSES)
        ]  # fmt: skip
        outputs = [await asyncio.wait_for(w.communicate(), timeout=120) for w in workers]
        assert [w.returncode for w in workers] == [0] * PROCESSES
        appended = sorted(seq for out, _ in outputs for seq in json.loads(out))
        assert len(appended) == PROCESSES * EACH
        result = await sequenced_and_verified(store)
        assert (result.ok, result.size) == (True, PROCESSES * EACH)
        placed = {e.seq: e.leaf_index for e in await every_entry(store)}
        assert sorted(placed) == appended
        assert sorted(placed.values()) == list(range(PROCESSES * EACH))  # each exactly once

    async def test_sequencer_killed_mid_step(
        self, store: Store, open_more: OpenStore, database_url: str
    ) -> None:
        await append(store, *(event(n) for n in range(4)))
        crashing = await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), database_url, "crash", "0",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert crashing.stdout is not None
            line = await asyncio.wait_for(crashing.stdout.readline(), timeout=60)
            assert line == b"placed\n"
        finally:
            crashing.send_signal(signal.SIGKILL)
            await asyncio.wait_for(crashing.wait(), timeout=30)
        survivor = await open_more()
        done = await integrate(survivor, SIGNER, lambda: at(0))
        assert done is not None
        assert done.head.size == 4
        result = await sequenced_and_verified(survivor)
        assert (result.ok, result.size) == (True, 4)

    async def test_failed_round_commits_nothing(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await append(store, event(0), event(1))

        async def refuse(self: SqlAuditTree, head: object) -> None:
            raise Boom

        with monkeypatch.context() as patched:
            patched.setattr(SqlAuditTree, "add_head", refuse)
            with pytest.raises(Boom):
                await integrate(store, SIGNER, lambda: at(0))
        assert [e.leaf_index for e in await every_entry(store)] == [None, None]
        assert (await sequenced_and_verified(store)).size == 2


class TestAppendOnly:
    """Triggers refuse changing audit rows, nodes and heads, but for placing a leaf once."""

    @pytest.mark.parametrize(
        "sql",
        [
            pytest.param("UPDATE audit_log SET actor = 'someone else'", id="update"),
            pytest.param("UPDATE audit_log SET leaf_index = leaf_index + 5", id="move"),
            pytest.param("UPDATE audit_log SET leaf_index = NULL", id="unplace"),
            pytest.param("DELETE FROM audit_log", id="delete"),
            pytest.param("UPDATE audit_tree_nodes SET hash = 'x'", id="node-update"),
            pytest.param("DELETE FROM audit_tree_nodes", id="node-delete"),
            pytest.param("UPDATE audit_tree_heads SET root_hash = 'x'", id="head-update"),
            pytest.param("DELETE FROM audit_tree_heads", id="head-delete"),
        ],
    )
    async def test_refused(self, store: Store, db_path: Path, sql: str) -> None:
        await append(store, event(0))
        await sequence_all(store)
        with pytest.raises(sqlite3.IntegrityError, match="audit log is append-only"):
            raw(db_path, sql)
        assert (await sequenced_and_verified(store)).checked == 1

    async def test_placing_once_is_allowed(self, store: Store, db_path: Path) -> None:
        await append(store, event(0))
        raw(db_path, "UPDATE audit_log SET leaf_index = 0")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw(db_path, "UPDATE audit_log SET leaf_index = 0, actor = 'x'")


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

    async def test_leaves_by_position(self, store: Store, entries: list[AuditEntry]) -> None:
        await sequence_all(store)
        async with store.read() as tx:
            found = await tx.audit.leaves(1, 3)
        assert [(e.seq, e.leaf_index) for e in found] == [(2, 1), (3, 2)]
