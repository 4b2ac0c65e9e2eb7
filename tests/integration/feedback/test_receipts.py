"""Delivery reports: matched once, applied once, unknown ids kept, other carriers refused."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from smsgate.carriers import (
    DeliveryReport,
    DeliveryState,
    FakeCarrier,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
)
from smsgate.dispatch import Dispatcher, Disposition
from smsgate.service.receipts import ReceiptEffect, take_report
from smsgate.store import AttemptOutcome, MessageStatus, SendAttempt, Store

from ..dispatch.dispatch_support import Clock, Tenant, at, status_of, statuses
from ..store_fixtures import OpenStore
from .feedback_support import sent

NOW = at(5)


def delivered(message_id: str, state: DeliveryState = DeliveryState.DELIVERED) -> DeliveryReport:
    """The report the fake carrier would send about the message's first attempt."""
    return DeliveryReport(state, carrier_message_id=f"fake-{message_id}-1")


class TestMatching:
    """A report finds its attempt by carrier id or by our client reference."""

    async def test_by_carrier_id_moves_the_message_to_delivered(
        self, store: Store, tenant: Tenant
    ) -> None:
        [message] = await sent(store, tenant)
        outcome = await take_report(store, "fake", delivered(message.id), NOW)
        assert outcome.effect is ReceiptEffect.MOVED
        assert outcome.receipt.message_id == message.id
        assert outcome.receipt.creditor_id == "acme"
        assert outcome.receipt.attempt == 1
        assert await status_of(store, message.id) is MessageStatus.DELIVERED
        assert (await statuses(store, message.id))[-1] == (
            MessageStatus.DELIVERED,
            "fake: delivered",
        )

    async def test_by_client_reference_as_kannel_echoes_it(
        self, store: Store, tenant: Tenant
    ) -> None:
        [message] = await sent(store, tenant)
        report = DeliveryReport(
            DeliveryState.FAILED, client_reference=f"{message.id}-1", error_code="UNDELIV"
        )
        outcome = await take_report(store, "fake", report, NOW)
        assert outcome.effect is ReceiptEffect.MOVED
        assert await status_of(store, message.id) is MessageStatus.FAILED
        assert (await statuses(store, message.id))[-1] == (MessageStatus.FAILED, "fake: UNDELIV")

    async def test_an_unknown_id_is_stored_for_an_operator(
        self, store: Store, tenant: Tenant
    ) -> None:
        await sent(store, tenant)
        report = DeliveryReport(DeliveryState.DELIVERED, carrier_message_id="nobody-knows")
        outcome = await take_report(store, "fake", report, NOW)
        assert outcome.effect is ReceiptEffect.UNMATCHED
        async with store.read() as tx:
            unmatched = await tx.receipts.unmatched()
        assert [r.carrier_message_id for r in unmatched] == ["nobody-knows"]
        assert unmatched[0].message_id is None

    async def test_a_malformed_reference_is_unmatched_not_an_error(
        self, store: Store, tenant: Tenant
    ) -> None:
        report = DeliveryReport(DeliveryState.DELIVERED, client_reference="no-number-here-x")
        outcome = await take_report(store, "fake", report, NOW)
        assert outcome.effect is ReceiptEffect.UNMATCHED

    async def test_another_carrier_cannot_settle_this_carriers_message(
        self, store: Store, tenant: Tenant
    ) -> None:
        [message] = await sent(store, tenant)
        report = DeliveryReport(DeliveryState.DELIVERED, client_reference=f"{message.id}-1")
        outcome = await take_report(store, "other", report, NOW)
        assert outcome.effect is ReceiptEffect.UNMATCHED
        assert await status_of(store, message.id) is MessageStatus.SENT


class TestDuplicatesAndOrder:
    """Carriers resend reports; the first final word wins."""

    async def test_a_repeated_report_is_stored_once_and_applied_once(
        self, store: Store, tenant: Tenant
    ) -> None:
        [message] = await sent(store, tenant)
        first = await take_report(store, "fake", delivered(message.id), NOW)
        again = await take_report(store, "fake", delivered(message.id), NOW + timedelta(minutes=1))
        assert (first.effect, again.effect) == (ReceiptEffect.MOVED, ReceiptEffect.DUPLICATE)
        async with store.read() as tx:
            assert len(await tx.receipts.of_message(message.id)) == 1
        delivered_steps = [s for s, _ in await statuses(store, message.id)
                           if s is MessageStatus.DELIVERED]  # fmt: skip
        assert len(delivered_steps) == 1

    async def test_an_intermediate_report_is_recorded_but_moves_nothing(
        self, store: Store, tenant: Tenant
    ) -> None:
        [message] = await sent(store, tenant)
        report = delivered(message.id, DeliveryState.ACCEPTED)
        outcome = await take_report(store, "fake", report, NOW)
        assert outcome.effect is ReceiptEffect.RECORDED
        assert await status_of(store, message.id) is MessageStatus.SENT
        final = await take_report(store, "fake", delivered(message.id), NOW)
        assert final.effect is ReceiptEffect.MOVED

    async def test_a_late_contradiction_does_not_rewrite_a_final_status(
        self, store: Store, tenant: Tenant
    ) -> None:
        [message] = await sent(store, tenant)
        await take_report(store, "fake", delivered(message.id), NOW)
        late_report = delivered(message.id, DeliveryState.FAILED)
        late = await take_report(store, "fake", late_report, NOW + timedelta(minutes=1))
        assert late.effect is ReceiptEffect.RECORDED
        assert await status_of(store, message.id) is MessageStatus.DELIVERED
        async with store.read() as tx:
            states = [r.state.value for r in await tx.receipts.of_message(message.id)]
        assert states == ["delivered", "failed"]


class TestReportBeforeAnswer:
    """A report that overtakes the carrier's answer keeps its status; nothing is resent."""

    @pytest.mark.parametrize(
        "answer",
        [
            pytest.param("accepted", id="then-accepted"),
            pytest.param("timeout", id="then-no-answer"),
        ],
    )
    async def test_the_report_wins(self, store: Store, tenant: Tenant, answer: str) -> None:
        [message] = await tenant.accept(store)

        async def report_first(sms: OutboundSms) -> str:
            report = DeliveryReport(DeliveryState.DELIVERED, client_reference=sms.client_reference)
            assert (await take_report(store, "fake", report, NOW)).effect is ReceiptEffect.MOVED
            if answer == "timeout":
                raise OutcomeUnknown("read timeout")
            return "fake-late-id"

        carrier = FakeCarrier(report_first)
        dispatcher = Dispatcher(store, carrier, owner="d1", clock=Clock(at(1)))
        await dispatcher.run_once()
        assert await status_of(store, message.id) is MessageStatus.DELIVERED
        async with store.read() as tx:
            [attempt] = await tx.attempts.of_message(message.id)
            assert await tx.outbox.depth() == 0
        assert attempt.outcome is AttemptOutcome.SENT
        assert len(carrier.calls) == 1

    @pytest.mark.parametrize(
        ("error", "outcome"),
        [
            pytest.param(RetryableCarrierError("busy"), AttemptOutcome.RETRYABLE, id="then-retry"),
            pytest.param(PermanentCarrierError("no"), AttemptOutcome.PERMANENT, id="then-refused"),
        ],
    )
    async def test_an_error_answer_after_the_report_neither_requeues_nor_fails_it(
        self, store: Store, tenant: Tenant, error: Exception, outcome: AttemptOutcome
    ) -> None:
        """The store refuses ``delivered`` -> ``queued``/``failed``; the answer stays on the
        attempt, and the item is done, so a delivered message is never sent again."""
        [message] = await tenant.accept(store)

        async def report_first(sms: OutboundSms) -> str:
            report = DeliveryReport(DeliveryState.DELIVERED, client_reference=sms.client_reference)
            assert (await take_report(store, "fake", report, NOW)).effect is ReceiptEffect.MOVED
            raise error

        carrier = FakeCarrier(report_first)
        clock = Clock(at(1))
        dispatcher = Dispatcher(store, carrier, owner="d1", clock=clock)
        report = await dispatcher.run_once()
        assert report.count(Disposition.MOVED_MEANWHILE) == 1
        clock.advance(timedelta(hours=1))
        assert (await dispatcher.run_once()).claimed == 0
        assert await status_of(store, message.id) is MessageStatus.DELIVERED
        async with store.read() as tx:
            [attempt] = await tx.attempts.of_message(message.id)
            assert await tx.outbox.depth() == 0
        assert attempt.outcome is outcome
        assert len(carrier.calls) == 1

    async def test_a_report_while_the_dispatcher_was_down_settles_the_cut_off_attempt(
        self, store: Store, tenant: Tenant
    ) -> None:
        """The report proves the carrier had it: no lookup, no operator, the status kept."""
        [message] = await tenant.accept(store)
        async with store.transaction() as tx:
            await tx.outbox.claim_due(at(0), "crashed", timedelta(minutes=5), 10)
            await tx.attempts.start(SendAttempt(message.id, 1, "fake", f"{message.id}-1", at(0)))
            await tx.messages.set_status(message.id, MessageStatus.SENDING, at(0), "attempt 1")
        report = DeliveryReport(DeliveryState.DELIVERED, client_reference=f"{message.id}-1")
        assert (await take_report(store, "fake", report, at(1))).effect is ReceiptEffect.MOVED
        carrier = FakeCarrier()
        dispatcher = Dispatcher(store, carrier, owner="d2", clock=Clock(at(6)))
        assert (await dispatcher.run_once()).count(Disposition.SENT) == 1
        assert await status_of(store, message.id) is MessageStatus.DELIVERED
        async with store.read() as tx:
            [attempt] = await tx.attempts.of_message(message.id)
            assert await tx.outbox.depth() == 0
        assert attempt.outcome is AttemptOutcome.SENT
        assert carrier.calls == []

    async def test_a_report_racing_the_settling_of_a_cut_off_attempt(
        self, store: Store, open_more: OpenStore, tenant: Tenant
    ) -> None:
        """The dispatcher read ``sending`` and would give it to an operator; the report (another
        instance, still committing) lands first, so its move is refused and rolled back whole;
        the next claim settles it as reported. Never sent, never ``unknown``."""
        [message] = await tenant.accept(store)
        async with store.transaction() as tx:
            await tx.outbox.claim_due(at(0), "crashed", timedelta(minutes=5), 10)
            await tx.attempts.start(SendAttempt(message.id, 1, "fake", f"{message.id}-1", at(0)))
            await tx.messages.set_status(message.id, MessageStatus.SENDING, at(0), "attempt 1")
        moved, commit = asyncio.Event(), asyncio.Event()

        async def reported_elsewhere() -> None:
            async with (await open_more()).transaction() as tx:
                await tx.messages.set_status(message.id, MessageStatus.DELIVERED, at(6), "first")
                moved.set()
                await commit.wait()

        elsewhere = asyncio.create_task(reported_elsewhere())
        await moved.wait()
        carrier, clock = FakeCarrier(), Clock(at(6))
        dispatcher = Dispatcher(store, carrier, owner="d2", clock=clock)
        first_round = asyncio.create_task(dispatcher.run_once())
        await asyncio.sleep(0.2)  # it read ``sending`` and waits for the row (on PostgreSQL)
        commit.set()
        async with asyncio.timeout(10):
            await elsewhere
            [outcome] = (await first_round).outcomes
        assert outcome.disposition in {Disposition.MOVED_MEANWHILE, Disposition.SENT}
        clock.advance(timedelta(minutes=10))
        await dispatcher.run_once()
        assert await status_of(store, message.id) is MessageStatus.DELIVERED
        async with store.read() as tx:
            [attempt] = await tx.attempts.of_message(message.id)
            assert await tx.outbox.depth() == 0
        assert attempt.outcome is AttemptOutcome.SENT
        assert carrier.calls == []


class TestRacingReports:
    """Two final reports for one message at once (two instances): one moves it, one is kept."""

    async def test_the_report_that_loses_is_recorded_and_moves_nothing(
        self, store: Store, open_more: OpenStore, tenant: Tenant
    ) -> None:
        [message] = await sent(store, tenant)
        other = await open_more()
        moved, commit = asyncio.Event(), asyncio.Event()

        async def delivered_elsewhere() -> None:
            """Another instance's report, its transaction still open."""
            async with other.transaction() as tx:
                await tx.messages.set_status(message.id, MessageStatus.DELIVERED, NOW, "first")
                moved.set()
                await commit.wait()

        elsewhere = asyncio.create_task(delivered_elsewhere())
        await moved.wait()
        failed = delivered(message.id, DeliveryState.FAILED)
        late = asyncio.create_task(take_report(store, "fake", failed, NOW))
        await asyncio.sleep(0.2)  # it read ``sent`` and waits for the row (on PostgreSQL)
        commit.set()
        async with asyncio.timeout(10):
            await elsewhere
            outcome = await late
        assert outcome.effect is ReceiptEffect.RECORDED
        assert await status_of(store, message.id) is MessageStatus.DELIVERED
        assert (await statuses(store, message.id))[-1] == (MessageStatus.DELIVERED, "first")
