"""Units of work: all or nothing, serialised writers, read-only readers."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from smsgate.store import (
    DuplicateName,
    OutboxItem,
    ReadOnlyTransaction,
    Store,
    StoreUnavailable,
    TransactionClosed,
    UnitOfWork,
)

from ..store_fixtures import OpenStore
from .store_support import T0, Tenant, at, contact, creditor, template

CAP = 3
WORKER = Path(__file__).with_name("cap_worker.py")


class Boom(Exception):
    """Raised inside a transaction to abandon it."""


async def accept_if_under_cap(store: Store, tenant: Tenant) -> bool:
    """The API's send path in miniature: count today's contacts, then enqueue and record one."""
    async with store.transaction() as tx:
        today = await tx.contacts.of_debtor("acme", "D-1001", T0, at(24 * 60))
        await asyncio.sleep(0)  # let every other task reach this point if it could
        if len(today) >= CAP:
            return False
        sent = tenant.message()
        await tx.messages.add(sent)
        await tx.outbox.add(OutboxItem(sent.id, T0))
        await tx.contacts.record(contact(when=at(len(today)), message_id=sent.id))
        return True


class TestAtomicity:
    """A transaction commits on normal exit and leaves nothing behind when it raises."""

    async def test_rollback_on_exception(self, store: Store, tenant: Tenant) -> None:
        sent = tenant.message()

        async def enqueue_then_fail() -> None:
            async with store.transaction() as tx:
                await tx.messages.add(sent)
                await tx.outbox.add(OutboxItem(sent.id, T0))
                await tx.contacts.record(contact(message_id=sent.id))
                raise Boom

        with pytest.raises(Boom):
            await enqueue_then_fail()
        async with store.read() as tx:
            assert await tx.messages.get(sent.id, creditor_id=None) is None
            assert await tx.outbox.depth() == 0
            assert await tx.contacts.of_debtor("acme", "D-1001", T0, at(1)) == []

    async def test_rollback_on_store_error(self, store: Store, tenant: Tenant) -> None:
        async def add_creditor_then_clash() -> None:
            async with store.transaction() as tx:
                await tx.creditors.add(creditor("second"))
                await tx.templates.add(template("acme", name=tenant.template.name))

        with pytest.raises(DuplicateName):
            await add_creditor_then_clash()
        async with store.read() as tx:
            assert await tx.creditors.get("second") is None

    async def test_cancelled_transaction_rolls_back(self, store: Store, tenant: Tenant) -> None:
        started = asyncio.Event()

        async def slow() -> None:
            async with store.transaction() as tx:
                await tx.creditors.add(creditor("second"))
                started.set()
                await asyncio.sleep(60)

        task = asyncio.create_task(slow())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with store.read() as tx:
            assert await tx.creditors.get("second") is None

    async def test_unit_unusable_after_block(self, store: Store) -> None:
        async with store.transaction() as tx:
            kept: UnitOfWork = tx
        with pytest.raises(TransactionClosed):
            await kept.creditors.all()


class TestReads:
    """Read units see committed data, refuse writes and run alongside a writer."""

    async def test_writes_refused(self, store: Store) -> None:
        async with store.read() as tx:
            with pytest.raises(ReadOnlyTransaction):
                await tx.creditors.add(creditor())

    async def test_read_during_open_write(self, store: Store, tenant: Tenant) -> None:
        async with store.transaction() as writing:
            await writing.creditors.add(creditor("second"))
            async with store.read() as reading:
                # Readers see the last commit, not the writer's uncommitted rows.
                assert await reading.creditors.get("acme") == tenant.creditor
                assert await reading.creditors.get("second") is None

    async def test_ping(self, store: Store) -> None:
        await store.ping()

    async def test_closed_store_refuses(self, store: Store) -> None:
        await store.close()
        with pytest.raises(StoreUnavailable):
            await store.ping()
        with pytest.raises(StoreUnavailable):
            async with store.transaction():
                pass


class TestContactCap:
    """Check-then-insert under the write lock never exceeds the cap, however many race."""

    async def test_fifty_tasks_one_store(self, store: Store, tenant: Tenant) -> None:
        results = await asyncio.gather(*(accept_if_under_cap(store, tenant) for _ in range(50)))
        assert results.count(True) == CAP
        await self._assert_recorded(store, CAP)

    async def test_fifty_tasks_three_stores(
        self, store: Store, tenant: Tenant, open_more: OpenStore
    ) -> None:
        # Separate stores have separate connections (and threads, or pools), as
        # separate processes would: only the database's own locks serialise them.
        stores = [store, await open_more(), await open_more()]
        attempts = [accept_if_under_cap(stores[i % 3], tenant) for i in range(50)]
        results = await asyncio.gather(*attempts)
        assert results.count(True) == CAP
        await self._assert_recorded(store, CAP)

    async def test_fifty_attempts_four_processes(
        self, store: Store, tenant: Tenant, database_url: str
    ) -> None:
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable, str(WORKER), database_url, tenant.template.id, "13",
                stdout=asyncio.subprocess.PIPE,
            )
            for _ in range(4)
        ]  # fmt: skip
        outputs = [await worker.communicate() for worker in workers]
        assert [worker.returncode for worker in workers] == [0, 0, 0, 0]
        assert sum(int(stdout) for stdout, _ in outputs) == CAP
        await self._assert_recorded(store, CAP)

    @staticmethod
    async def _assert_recorded(store: Store, expected: int) -> None:
        async with store.read() as tx:
            assert len(await tx.contacts.of_debtor("acme", "D-1001", T0, at(24 * 60))) == expected
            assert await tx.outbox.depth() == expected
