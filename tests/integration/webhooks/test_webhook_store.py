"""The SQLite ``WebhookRepository``: cursors, claims under leases, one creditor's events."""

from __future__ import annotations

from datetime import timedelta

from smsgate.store import MessageStatus, Store, Webhook

from ..dispatch.dispatch_support import Clock, Tenant
from .webhook_support import progress, webhook_of

LEASE = timedelta(seconds=30)
URL = "https://hooks.example.com/acme"


async def configure(store: Store, clock: Clock, creditor_id: str, url: str = URL) -> Webhook:
    async with store.transaction() as tx:
        return await tx.webhooks.configure(creditor_id, url, clock())


async def claim(store: Store, clock: Clock, owner: str = "w1") -> list[str]:
    async with store.transaction() as tx:
        hooks = await tx.webhooks.claim_due(clock(), owner, LEASE, 10)
    return [hook.creditor_id for hook in hooks]


class TestCursor:
    """A webhook starts at the newest event and keeps its cursor when its URL changes."""

    async def test_new_webhook_starts_after_existing_events(
        self, store: Store, clock: Clock, acme: Tenant
    ) -> None:
        await acme.accept(store, 2)
        webhook = await configure(store, clock, "acme")
        async with store.read() as tx:
            assert await tx.webhooks.events_after("acme", webhook.last_event_id, 10) == []
            assert len(await tx.webhooks.events_after("acme", 0, 10)) == 2
        assert await claim(store, clock) == []

    async def test_reconfiguring_keeps_the_cursor_and_clears_failures(
        self, store: Store, clock: Clock, acme: Tenant
    ) -> None:
        first = await configure(store, clock, "acme")
        await acme.accept(store)
        assert await claim(store, clock) == ["acme"]
        async with store.transaction() as tx:
            await tx.webhooks.failed("acme", "w1", "HTTP 500", clock() + timedelta(hours=1))

        moved = await configure(store, clock, "acme", "https://other.example.com/hook")

        assert (moved.url, moved.last_event_id) == (
            "https://other.example.com/hook",
            first.last_event_id,
        )
        assert (moved.failures, moved.next_attempt_at, moved.last_error) == (0, None, "")

    async def test_events_after_lists_only_the_creditors_events_in_order(
        self, store: Store, clock: Clock, acme: Tenant, bravo: Tenant
    ) -> None:
        [mine] = await acme.accept(store)
        await bravo.accept(store)
        await progress(store, clock, mine, MessageStatus.SENDING, MessageStatus.SENT)
        async with store.read() as tx:
            events = await tx.webhooks.events_after("acme", 0, 10)
            limited = await tx.webhooks.events_after("acme", events[0].id, 1)
        assert [(e.message_id, e.status) for e in events] == [
            (mine.id, MessageStatus.QUEUED), (mine.id, MessageStatus.SENDING),
            (mine.id, MessageStatus.SENT),
        ]  # fmt: skip
        assert limited == [events[1]]


class TestClaims:
    """Only due webhooks with events are claimed, by one worker at a time."""

    async def test_idle_webhooks_are_not_claimed_and_their_cursor_catches_up(
        self, store: Store, clock: Clock, acme: Tenant, bravo: Tenant
    ) -> None:
        for creditor_id in ("acme", "bravo"):
            await configure(store, clock, creditor_id)
        await bravo.accept(store, 3)

        assert await claim(store, clock) == ["bravo"]
        async with store.read() as tx:
            newest = (await tx.webhooks.events_after("bravo", 0, 10))[-1].id
        assert (await webhook_of(store, "acme")).last_event_id == newest
        assert (await webhook_of(store, "bravo")).last_event_id < newest

    async def test_a_leased_webhook_is_not_claimed_again_until_the_lease_runs_out(
        self, store: Store, clock: Clock, acme: Tenant
    ) -> None:
        await configure(store, clock, "acme")
        await acme.accept(store)
        assert await claim(store, clock, "w1") == ["acme"]
        assert await claim(store, clock, "w2") == []
        clock.advance(LEASE)
        assert await claim(store, clock, "w2") == ["acme"]
        async with store.transaction() as tx:
            assert not await tx.webhooks.delivered("acme", "w1", 10**6, clock())
        assert (await webhook_of(store, "acme")).last_event_id < 10**6

    async def test_a_failed_webhook_waits_for_its_next_attempt(
        self, store: Store, clock: Clock, acme: Tenant
    ) -> None:
        await configure(store, clock, "acme")
        await acme.accept(store)
        await claim(store, clock)
        async with store.transaction() as tx:
            assert await tx.webhooks.failed(
                "acme", "w1", "HTTP 503", clock() + timedelta(minutes=1)
            )
        assert await claim(store, clock) == []
        clock.advance(timedelta(minutes=1))
        assert await claim(store, clock) == ["acme"]
        assert (await webhook_of(store, "acme")).failures == 1

    async def test_delivered_moves_the_cursor_and_ends_the_claim(
        self, store: Store, clock: Clock, acme: Tenant
    ) -> None:
        await configure(store, clock, "acme")
        await acme.accept(store, 2)
        await claim(store, clock)
        async with store.transaction() as tx:
            last = (await tx.webhooks.events_after("acme", 0, 10))[-1].id
            assert await tx.webhooks.delivered("acme", "w1", last, clock())
        webhook = await webhook_of(store, "acme")
        assert (webhook.last_event_id, webhook.lease_owner, webhook.delivered_at) == (
            last, None, clock(),
        )  # fmt: skip
        assert await claim(store, clock) == []

    async def test_removed_webhooks_are_gone(
        self, store: Store, clock: Clock, acme: Tenant
    ) -> None:
        await configure(store, clock, "acme")
        async with store.transaction() as tx:
            assert await tx.webhooks.remove("acme")
            assert not await tx.webhooks.remove("acme")
            assert await tx.webhooks.all() == []
