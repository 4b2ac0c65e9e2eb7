"""The outbox hands each due message to one dispatcher at a time, under a lease."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from smsgate.store import OutboxItem, Store

from ..store_fixtures import OpenStore
from .store_support import T0, Tenant, at

LEASE = timedelta(minutes=5)


async def queue(store: Store, tenant: Tenant, *due_minutes: float) -> list[str]:
    """Add one message per due time to the outbox; their ids in the same order."""
    ids = []
    async with store.transaction() as tx:
        for minutes in due_minutes:
            sent = tenant.message()
            await tx.messages.add(sent)
            await tx.outbox.add(OutboxItem(sent.id, at(minutes)))
            ids.append(sent.id)
    return ids


async def claim(store: Store, owner: str, minutes: float, limit: int = 10) -> list[OutboxItem]:
    async with store.transaction() as tx:
        return await tx.outbox.claim_due(at(minutes), owner, LEASE, limit)


class TestClaim:
    """Claims take due, unleased items, earliest first, up to the limit."""

    async def test_only_due_items(self, store: Store, tenant: Tenant) -> None:
        later, first, future = await queue(store, tenant, 2, 1, 30)
        claimed = await claim(store, "d1", 10)
        assert [item.message_id for item in claimed] == [first, later]
        assert claimed[0] == OutboxItem(first, at(1), 1, "d1", at(10) + LEASE)
        assert future not in {item.message_id for item in claimed}

    async def test_limit(self, store: Store, tenant: Tenant) -> None:
        ids = await queue(store, tenant, 1, 2, 3)
        assert [item.message_id for item in await claim(store, "d1", 10, limit=2)] == ids[:2]

    async def test_leased_items_are_not_claimed_again(self, store: Store, tenant: Tenant) -> None:
        await queue(store, tenant, 0)
        assert len(await claim(store, "d1", 1)) == 1
        assert await claim(store, "d2", 2) == []

    async def test_expired_lease_is_claimable(self, store: Store, tenant: Tenant) -> None:
        [message_id] = await queue(store, tenant, 0)
        await claim(store, "d1", 1)
        [again] = await claim(store, "d2", 1 + LEASE.total_seconds() / 60)
        assert again.message_id == message_id
        assert again.lease_owner == "d2"
        assert again.attempts == 2


class TestRelease:
    """Only the lease holder may release or complete an item."""

    async def test_release_for_retry(self, store: Store, tenant: Tenant) -> None:
        [message_id] = await queue(store, tenant, 0)
        await claim(store, "d1", 1)
        async with store.transaction() as tx:
            assert not await tx.outbox.release(message_id, "d2", at(3))
            assert await tx.outbox.release(message_id, "d1", at(3))
        assert await claim(store, "d1", 2) == []
        [retry] = await claim(store, "d1", 3)
        assert (retry.due_at, retry.attempts) == (at(3), 2)

    async def test_complete(self, store: Store, tenant: Tenant) -> None:
        [message_id] = await queue(store, tenant, 0)
        await claim(store, "d1", 1)
        async with store.transaction() as tx:
            assert not await tx.outbox.complete(message_id, "d2")
            assert await tx.outbox.complete(message_id, "d1")
            assert not await tx.outbox.complete(message_id, "d1")
            assert await tx.outbox.depth() == 0

    async def test_lost_lease_cannot_complete(self, store: Store, tenant: Tenant) -> None:
        [message_id] = await queue(store, tenant, 0)
        await claim(store, "d1", 1)
        await claim(store, "d2", 1 + LEASE.total_seconds() / 60)
        async with store.transaction() as tx:
            assert not await tx.outbox.complete(message_id, "d1")


class TestConcurrentClaimers:
    """Dispatchers racing on separate connections never get the same item."""

    async def test_disjoint_claims(
        self, store: Store, tenant: Tenant, open_more: OpenStore
    ) -> None:
        ids = await queue(store, tenant, *range(60))
        stores = [store, await open_more(), await open_more()]
        claims = [claim(stores[i % 3], f"d{i}", 100, limit=4) for i in range(20)]
        batches = await asyncio.gather(*claims)
        claimed = [item.message_id for batch in batches for item in batch]
        assert len(claimed) == len(set(claimed)) == 60
        assert set(claimed) == set(ids)
        assert min(item.due_at for batch in batches for item in batch) >= T0
