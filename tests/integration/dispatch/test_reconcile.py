"""Reconciliation: an unknown outcome is looked up at the carrier, never blindly resent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from smsgate.carriers import (
    DeliveryReport,
    DeliveryState,
    FakeCarrier,
    Lookup,
    LookupAnswer,
    OutboundSms,
    OutcomeUnknown,
    RetryableCarrierError,
)
from smsgate.carriers.config import CarrierLimits
from smsgate.carriers.fleet import CarrierFleet
from smsgate.dispatch import Dispatcher, Disposition
from smsgate.dispatch.reconcile import AWAITING
from smsgate.service.receipts import ReceiptEffect, take_report
from smsgate.store import AttemptOutcome, MessageStatus, SendAttempt, Store

from .conftest import MakeDispatcher
from .dispatch_support import T0, Clock, Tenant, status_of, statuses, waiting_in_outbox
from .fleet_support import RECONCILE, QueryingCarrier, fleet, sms_ids

S = MessageStatus
LOOKUP_DELAY = timedelta(seconds=30)  # DispatchSettings' default


def first_unknown() -> Callable[[OutboundSms], str]:
    """A send handler whose first call times out after writing, and later ones are accepted."""
    calls = 0

    def handler(sms: OutboundSms) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OutcomeUnknown("read timeout")
        return f"c-{sms.client_reference}"

    return handler


def cannot_tell(reference: str) -> Lookup:
    raise RetryableCarrierError("status API unavailable", code="503")


async def attempt_rows(store: Store, message_id: str) -> list[SendAttempt]:
    async with store.read() as tx:
        return await tx.attempts.of_message(message_id)


def reconciling(carrier: QueryingCarrier) -> CarrierFleet:
    return fleet((carrier, RECONCILE))


class TestUnknownOutcome:
    """With ``reconcile`` an unknown outcome waits for a lookup instead of going to an operator."""

    async def test_lookup_is_scheduled(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, db_path: Path
    ) -> None:
        [message] = await tenant.accept(store)
        carrier = QueryingCarrier(first_unknown(), name="q")
        report = await make_dispatcher(reconciling(carrier)).run_once()
        assert report.count(Disposition.RECONCILING) == 1
        assert (await statuses(store, message.id))[-1] == (S.SENDING, AWAITING)
        assert waiting_in_outbox(db_path, message.id).due_at == T0 + LOOKUP_DELAY
        [attempt] = await attempt_rows(store, message.id)
        assert attempt.outcome == AttemptOutcome.UNKNOWN
        assert carrier.lookups == []

    async def test_operator_policy_keeps_unknown(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        [message] = await tenant.accept(store)
        carrier = QueryingCarrier(first_unknown(), name="q")
        report = await make_dispatcher(fleet((carrier, CarrierLimits()))).run_once()
        assert report.count(Disposition.UNKNOWN) == 1
        assert await status_of(store, message.id) == S.UNKNOWN
        assert carrier.lookups == []


class TestLookupAnswers:
    """What the carrier says about the attempt decides: sent, send again, or ask again."""

    async def test_accepted_means_sent(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)
        carrier = QueryingCarrier(
            first_unknown(), name="q", lookup=lambda ref: Lookup(LookupAnswer.ACCEPTED, "c-77")
        )
        dispatcher = make_dispatcher(reconciling(carrier))
        await dispatcher.run_once()
        clock.advance(LOOKUP_DELAY)
        report = await dispatcher.run_once()
        assert report.count(Disposition.SENT) == 1
        assert carrier.lookups == [f"{message.id}-1"]
        assert sms_ids(carrier.calls) == [f"{message.id}-1"]
        [attempt] = await attempt_rows(store, message.id)
        assert (attempt.outcome, attempt.carrier_message_id) == (AttemptOutcome.SENT, "c-77")
        assert (await statuses(store, message.id))[-1] == (S.SENT, "q c-77 (reconciled)")

    async def test_not_found_sends_the_next_attempt(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)
        carrier = QueryingCarrier(first_unknown(), name="q")
        dispatcher = make_dispatcher(reconciling(carrier))
        await dispatcher.run_once()
        clock.advance(LOOKUP_DELAY)
        assert (await dispatcher.run_once()).count(Disposition.RETRYING) == 1
        assert (await dispatcher.run_once()).count(Disposition.SENT) == 1
        assert sms_ids(carrier.calls) == [f"{message.id}-1", f"{message.id}-2"]
        outcomes = [a.outcome for a in await attempt_rows(store, message.id)]
        assert outcomes == [AttemptOutcome.RETRYABLE, AttemptOutcome.SENT]

    async def test_not_found_fails_over(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)
        q, spare = QueryingCarrier(first_unknown(), name="q"), FakeCarrier(name="spare")
        dispatcher = make_dispatcher(fleet((q, RECONCILE), (spare, CarrierLimits())))
        await dispatcher.run_once()
        clock.advance(LOOKUP_DELAY)
        await dispatcher.run_once()
        await dispatcher.run_once()
        assert spare.sent_ids() == [message.id]

    @pytest.mark.parametrize("lookups", [pytest.param(1, id="one"), pytest.param(3, id="three")])
    async def test_failed_lookups_end_with_an_operator(
        self,
        store: Store,
        tenant: Tenant,
        make_dispatcher: MakeDispatcher,
        clock: Clock,
        lookups: int,
    ) -> None:
        [message] = await tenant.accept(store)
        carrier = QueryingCarrier(first_unknown(), name="q", lookup=cannot_tell)
        dispatcher = make_dispatcher(reconciling(carrier), lookups=lookups)
        await dispatcher.run_once()
        seen = []
        for _ in range(lookups):
            clock.advance(LOOKUP_DELAY)
            seen += [o.disposition for o in (await dispatcher.run_once()).outcomes]
        assert seen == [Disposition.RECONCILING] * (lookups - 1) + [Disposition.UNKNOWN]
        assert len(carrier.lookups) == lookups
        assert len(carrier.calls) == 1
        assert (await statuses(store, message.id))[-1] == (S.UNKNOWN, "reconciliation failed")
        clock.advance(LOOKUP_DELAY)
        assert (await dispatcher.run_once()).claimed == 0

    async def test_a_report_during_the_lookup_keeps_its_status(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        """The lookup says "never received", but a report delivered it meanwhile: the store
        refuses ``delivered`` -> ``queued``, the lookup's answer stays on the attempt, and
        the item is done, so the message is not sent again."""
        [message] = await tenant.accept(store)

        async def reported_meanwhile(reference: str) -> Lookup:
            report = DeliveryReport(DeliveryState.DELIVERED, client_reference=reference)
            assert (await take_report(store, "q", report, clock())).effect is ReceiptEffect.MOVED
            return Lookup(LookupAnswer.NOT_FOUND)

        carrier = QueryingCarrier(first_unknown(), name="q", lookup=reported_meanwhile)
        dispatcher = make_dispatcher(reconciling(carrier))
        await dispatcher.run_once()
        clock.advance(LOOKUP_DELAY)
        assert (await dispatcher.run_once()).count(Disposition.MOVED_MEANWHILE) == 1
        clock.advance(LOOKUP_DELAY)
        assert (await dispatcher.run_once()).claimed == 0
        assert await status_of(store, message.id) == S.DELIVERED
        [attempt] = await attempt_rows(store, message.id)
        assert attempt.outcome == AttemptOutcome.RETRYABLE
        assert len(carrier.calls) == 1


class TestInterrupted:
    """An attempt a crash cut off is looked up too, when its account reconciles."""

    async def test_crash_mid_send_is_looked_up(
        self, store: Store, tenant: Tenant, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)
        async with store.transaction() as tx:
            await tx.outbox.claim_due(T0, "crashed", timedelta(minutes=5), 10)
            await tx.attempts.start(SendAttempt(message.id, 1, "q", f"{message.id}-1", T0))
            await tx.messages.set_status(message.id, S.SENDING, T0)
        clock.advance(timedelta(minutes=5))
        carrier = QueryingCarrier(name="q", lookup=lambda ref: Lookup(LookupAnswer.ACCEPTED, "c-9"))
        report = await Dispatcher(store, reconciling(carrier), owner="d2", clock=clock).run_once()
        assert report.count(Disposition.SENT) == 1
        assert carrier.calls == []
        assert carrier.lookups == [f"{message.id}-1"]

    async def test_account_gone_from_the_fleet_goes_to_an_operator(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)
        await make_dispatcher(reconciling(QueryingCarrier(first_unknown(), name="q"))).run_once()
        clock.advance(LOOKUP_DELAY)
        other = FakeCarrier(name="other")
        assert (await make_dispatcher(other).run_once()).count(Disposition.UNKNOWN) == 1
        assert (await statuses(store, message.id))[-1] == (S.UNKNOWN, "cannot_reconcile")
        assert other.calls == []
