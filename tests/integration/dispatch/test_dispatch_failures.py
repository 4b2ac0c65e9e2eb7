"""Carrier errors: retry with backoff, fail at once on permanent errors, never resend unknowns."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from smsgate.carriers import (
    FakeCarrier,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
)
from smsgate.dispatch import Disposition
from smsgate.store import AttemptOutcome, MessageStatus, Store

from .conftest import MakeDispatcher
from .dispatch_support import T0, Clock, Tenant, outbox_row, status_of, statuses, waiting_in_outbox

S = MessageStatus


def throttled(sms: OutboundSms) -> str:
    raise RetryableCarrierError("throttled", code="ESME_RTHROTTLED")


def then_accept(failures: int) -> FakeCarrier:
    """A carrier that throttles the first ``failures`` calls and accepts the rest."""

    def handler(sms: OutboundSms) -> str:
        if len(carrier.calls) <= failures:
            return throttled(sms)
        return f"c-{sms.attempt}"

    carrier = FakeCarrier(handler)
    return carrier


class TestRetryable:
    """A retryable error releases the item with capped exponential backoff and full jitter."""

    async def test_released_with_backoff_then_sent(
        self,
        store: Store,
        tenant: Tenant,
        make_dispatcher: MakeDispatcher,
        clock: Clock,
        db_path: Path,
    ) -> None:
        [message] = await tenant.accept(store)
        carrier = then_accept(failures=1)
        report = await make_dispatcher(carrier).run_once()
        assert report.count(Disposition.RETRYING) == 1
        row = waiting_in_outbox(db_path, message.id)
        # attempt 1: bound = base 10 s; the injected jitter takes half of it.
        assert (row.due_at, row.lease_owner) == (T0 + timedelta(seconds=5), None)
        assert (await statuses(store, message.id))[-1] == (S.QUEUED, "retry after: ESME_RTHROTTLED")
        clock.advance(timedelta(seconds=4))
        assert (await make_dispatcher(carrier).run_once()).claimed == 0
        clock.advance(timedelta(seconds=1))
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.SENT) == 1
        assert [sms.client_reference for sms in carrier.calls] == [
            f"{message.id}-1", f"{message.id}-2",
        ]  # fmt: skip
        assert [s for s, _ in await statuses(store, message.id)] == [
            S.QUEUED, S.SENDING, S.QUEUED, S.SENDING, S.SENT,
        ]  # fmt: skip

    async def test_backoff_doubles(
        self,
        store: Store,
        tenant: Tenant,
        make_dispatcher: MakeDispatcher,
        clock: Clock,
        db_path: Path,
    ) -> None:
        [message] = await tenant.accept(store)
        carrier = FakeCarrier(throttled)
        await make_dispatcher(carrier).run_once()
        clock.now = T0 + timedelta(seconds=5)
        await make_dispatcher(carrier).run_once()
        row = waiting_in_outbox(db_path, message.id)
        assert row.due_at == clock.now + timedelta(seconds=10)  # half of 20 s

    async def test_max_attempts_fail(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock,
        db_path: Path,
    ) -> None:  # fmt: skip
        [message] = await tenant.accept(store)
        carrier = FakeCarrier(throttled)
        dispositions = []
        for _ in range(3):  # max_attempts = 3
            report = await make_dispatcher(carrier).run_once()
            dispositions += [outcome.disposition for outcome in report.outcomes]
            clock.advance(timedelta(minutes=10))
        assert dispositions == [Disposition.RETRYING, Disposition.RETRYING, Disposition.FAILED]
        assert (await statuses(store, message.id))[-1] == (
            S.FAILED, "retries_exhausted: ESME_RTHROTTLED",
        )  # fmt: skip
        assert outbox_row(db_path, message.id) is None
        assert (await make_dispatcher(carrier).run_once()).claimed == 0
        assert len(carrier.calls) == 3


class TestPermanent:
    """A permanent error fails the message at once with the carrier's code."""

    async def test_failed_with_code_no_retry(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)

        def invalid(sms: OutboundSms) -> str:
            raise PermanentCarrierError("invalid number", code="isv.MOBILE_NUMBER_ILLEGAL")

        carrier = FakeCarrier(invalid)
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.FAILED) == 1
        assert (await statuses(store, message.id))[-1] == (
            S.FAILED, "permanent: isv.MOBILE_NUMBER_ILLEGAL",
        )  # fmt: skip
        async with store.read() as tx:
            [attempt] = await tx.attempts.of_message(message.id)
        assert (attempt.outcome, attempt.error_code) == (
            AttemptOutcome.PERMANENT, "isv.MOBILE_NUMBER_ILLEGAL",
        )  # fmt: skip
        clock.advance(timedelta(hours=1))
        assert (await make_dispatcher(carrier).run_once()).claimed == 0
        assert len(carrier.calls) == 1


class TestOutcomeUnknown:
    """A send whose outcome is unknown is handed to an operator, never resent blindly."""

    async def test_unknown_not_resent(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store)

        def lost(sms: OutboundSms) -> str:
            raise OutcomeUnknown("read timeout after the request was written")

        carrier = FakeCarrier(lost)
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.UNKNOWN) == 1
        assert await status_of(store, message.id) == S.UNKNOWN
        clock.advance(timedelta(days=1))
        assert (await make_dispatcher(carrier).run_once()).claimed == 0
        assert len(carrier.calls) == 1

    async def test_adapter_bug_counts_as_unknown(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        [message] = await tenant.accept(store)

        def buggy(sms: OutboundSms) -> str:
            raise KeyError("MessageId")

        assert (await make_dispatcher(FakeCarrier(buggy)).run_once()).count(
            Disposition.UNKNOWN
        ) == 1
        assert await status_of(store, message.id) == S.UNKNOWN

    async def test_send_timeout_counts_as_unknown(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        [message] = await tenant.accept(store)

        async def hangs(sms: OutboundSms) -> str:
            await asyncio.Event().wait()
            return "never"

        dispatcher = make_dispatcher(FakeCarrier(hangs), send_timeout=timedelta(seconds=0.05))
        assert (await dispatcher.run_once()).count(Disposition.UNKNOWN) == 1
        async with store.read() as tx:
            [attempt] = await tx.attempts.of_message(message.id)
        assert attempt.outcome == AttemptOutcome.UNKNOWN
