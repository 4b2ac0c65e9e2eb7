"""Leases: concurrent dispatchers send each message once; crashes and stops hand items on."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

from smsgate.carriers import FakeCarrier, OutboundSms
from smsgate.dispatch import Dispatcher, Disposition, run_dispatcher
from smsgate.store import MessageStatus, SendAttempt, Store

from ..store_fixtures import OpenStore
from .conftest import MakeDispatcher
from .dispatch_support import T0, Clock, Tenant, outbox_row, status_of, statuses

LEASE = timedelta(minutes=5)


async def drain(dispatcher: Dispatcher) -> None:
    """Run rounds until one claims nothing."""
    while (await dispatcher.run_once()).claimed:
        pass


class TestConcurrentDispatchers:
    """Two dispatchers on one SQLite file never send the same message twice."""

    async def test_200_messages_each_sent_once(
        self,
        store: Store,
        tenant: Tenant,
        open_more: OpenStore,
        make_dispatcher: MakeDispatcher,
    ) -> None:
        messages = await tenant.accept(store, 200)
        carrier = FakeCarrier()
        first = make_dispatcher(carrier, owner="d1", batch_size=17, concurrency=4)
        second = make_dispatcher(
            carrier, owner="d2", on=await open_more(), batch_size=23, concurrency=4
        )
        await asyncio.gather(drain(first), drain(second))
        sends = Counter(carrier.sent_ids())
        assert set(sends) == {message.id for message in messages}
        assert set(sends.values()) == {1}
        async with store.read() as tx:
            counts = await tx.messages.count_by_status()
            assert await tx.outbox.depth() == 0
        assert counts[MessageStatus.SENT] == 200


class TestCrashedDispatcher:
    """A dead dispatcher's claims return to the queue once their lease runs out."""

    async def test_expired_lease_picked_up(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)
        async with store.transaction() as tx:
            assert len(await tx.outbox.claim_due(T0, "crashed", LEASE, 10)) == 1
        carrier = FakeCarrier()
        assert (await make_dispatcher(carrier).run_once()).claimed == 0
        clock.now = T0 + LEASE
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.SENT) == 1
        assert carrier.sent_ids() == [message.id]

    async def test_crash_mid_send_is_not_resent(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        # The crashed dispatcher recorded the attempt and may have reached the carrier.
        [message] = await tenant.accept(store)
        async with store.transaction() as tx:
            await tx.outbox.claim_due(T0, "crashed", LEASE, 10)
            await tx.attempts.start(SendAttempt(message.id, 1, "fake", f"{message.id}-1", T0))
            await tx.messages.set_status(message.id, MessageStatus.SENDING, T0)
        clock.now = T0 + LEASE
        carrier = FakeCarrier()
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.UNKNOWN) == 1
        assert carrier.calls == []
        assert (await statuses(store, message.id))[-1] == (MessageStatus.UNKNOWN, "interrupted")

    async def test_lost_lease_is_not_sent(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        # The first send takes the whole lease, so the second claim has run out
        # before its turn: it must not be sent on a lease another may hold.
        await tenant.accept(store, 2)

        def slow(sms: OutboundSms) -> str:
            clock.advance(LEASE)
            return "c-1"

        carrier = FakeCarrier(slow)
        report = await make_dispatcher(carrier, concurrency=1).run_once()
        assert [o.disposition for o in report.outcomes] == [
            Disposition.SENT, Disposition.LEASE_LOST,
        ]  # fmt: skip
        late = report.outcomes[1].message_id
        assert await status_of(store, late) == MessageStatus.QUEUED
        other = FakeCarrier()
        assert (await make_dispatcher(other, owner="d2").run_once()).count(Disposition.SENT) == 1
        assert other.sent_ids() == [late]
        assert len(carrier.calls) == 1


class TestGracefulStop:
    """Stopping finishes the send under way and releases claimed items not yet started."""

    async def test_stop_releases_unstarted_claims(
        self,
        store: Store,
        tenant: Tenant,
        make_dispatcher: MakeDispatcher,
        db_path: Path,
    ) -> None:
        messages = await tenant.accept(store, 3)

        def stop_after_first(sms: OutboundSms) -> str:
            dispatcher.stop()
            return "c-1"

        carrier = FakeCarrier(stop_after_first)
        dispatcher = make_dispatcher(carrier, concurrency=1)
        report = await dispatcher.run_once()
        assert [o.disposition for o in report.outcomes] == [
            Disposition.SENT, Disposition.RELEASED, Disposition.RELEASED,
        ]  # fmt: skip
        unsent = [message.id for message in messages if message.id not in carrier.sent_ids()]
        released = [outbox_row(db_path, message_id) for message_id in unsent]
        assert [(row.due_at, row.lease_owner) for row in released if row] == [(T0, None)] * 2
        other = FakeCarrier()
        assert (await make_dispatcher(other, owner="d2").run_once()).claimed == 2
        assert (await dispatcher.run_once()).claimed == 0

    async def test_run_dispatcher_until_stop_event(
        self, store: Store, tenant: Tenant, clock: Clock
    ) -> None:
        messages = await tenant.accept(store, 3)
        stop, all_sent = asyncio.Event(), asyncio.Event()

        def accept(sms: OutboundSms) -> str:
            if len(carrier.calls) == len(messages):
                all_sent.set()
            return "c"

        carrier = FakeCarrier(accept)
        task = asyncio.create_task(
            run_dispatcher(store, carrier, stop_event=stop, poll_interval=0.01, clock=clock)
        )
        async with asyncio.timeout(5):
            await all_sent.wait()
            stop.set()
            await task
        assert sorted(carrier.sent_ids()) == sorted(message.id for message in messages)
        assert [await status_of(store, m.id) for m in messages] == [MessageStatus.SENT] * 3

    async def test_stop_interrupts_the_pause(self, store: Store, clock: Clock) -> None:
        naps: list[float] = []
        napping = asyncio.Event()

        async def sleep_forever(seconds: float) -> None:
            naps.append(seconds)
            napping.set()
            await asyncio.Event().wait()

        dispatcher = Dispatcher(store, FakeCarrier(), owner="d1", clock=clock, sleep=sleep_forever)
        task = asyncio.create_task(dispatcher.run_forever(poll_interval=30))
        async with asyncio.timeout(5):
            await napping.wait()
            dispatcher.stop()
            await task
        assert naps == [30]
