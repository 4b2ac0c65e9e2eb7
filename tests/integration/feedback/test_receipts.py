"""Delivery reports: matched once, applied once, unknown ids kept, other carriers refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smsgate.carriers import (
    DeliveryReport,
    DeliveryState,
    FakeCarrier,
    OutboundSms,
    OutcomeUnknown,
)
from smsgate.dispatch import Dispatcher
from smsgate.service.receipts import ReceiptEffect, take_report
from smsgate.store import AttemptOutcome, MessageStatus, Store

from ..dispatch.dispatch_support import Clock, Tenant, at, status_of, statuses
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
