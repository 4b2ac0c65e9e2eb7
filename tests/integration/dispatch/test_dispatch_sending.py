"""The dispatcher sends due messages once, re-checks policy at send time, and records why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from smsgate.carriers import FakeCarrier, OutboundSms
from smsgate.core.sms import Encoding
from smsgate.dispatch import Disposition
from smsgate.store import (
    AttemptOutcome,
    MessageStatus,
    OptOut,
    OptOutKind,
    OptOutSource,
    Store,
)

from .conftest import MakeDispatcher
from .dispatch_support import (
    PHONE,
    T0,
    TEXT,
    Clock,
    Tenant,
    at,
    outbox_row,
    statuses,
    waiting_in_outbox,
)

S = MessageStatus


class TestDueMessage:
    """A due message goes to the carrier once, exactly as accepted, and becomes ``sent``."""

    async def test_sent_once_with_history(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, db_path: Path
    ) -> None:
        [message] = await tenant.accept(store)
        carrier = FakeCarrier(lambda sms: "c-1")
        report = await make_dispatcher(carrier).run_once()
        assert report.count(Disposition.SENT) == report.claimed == 1
        assert carrier.calls == [
            OutboundSms(
                message.id,
                1,
                PHONE,
                TEXT,
                1,
                Encoding.UCS2,
                "acme",
                message.template_id,
                message.template_version,
            )
        ]
        assert carrier.calls[0].client_reference == f"{message.id}-1"
        assert [s for s, _ in await statuses(store, message.id)] == [S.QUEUED, S.SENDING, S.SENT]
        assert outbox_row(db_path, message.id) is None
        assert await make_dispatcher(carrier).run_once() == type(report)()
        assert len(carrier.calls) == 1

    async def test_attempt_recorded(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        [message] = await tenant.accept(store)
        await make_dispatcher(FakeCarrier(lambda sms: "c-1", name="acme-106")).run_once()
        async with store.read() as tx:
            [attempt] = await tx.attempts.of_message(message.id)
            found = await tx.attempts.by_carrier_message_id("acme-106", "c-1")
        assert (attempt.attempt, attempt.carrier, attempt.carrier_message_id) == (
            1,
            "acme-106",
            "c-1",
        )
        assert (attempt.outcome, attempt.started_at, attempt.finished_at) == (
            AttemptOutcome.SENT, T0, T0,
        )  # fmt: skip
        assert attempt.client_reference == f"{message.id}-1"
        assert found == attempt

    async def test_not_yet_due_is_not_claimed(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(
            store, due_at=at(hours=2), status=S.SCHEDULED, send_at=at(hours=2)
        )
        carrier = FakeCarrier()
        assert (await make_dispatcher(carrier).run_once()).claimed == 0
        clock.now = at(hours=2)
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.SENT) == 1
        assert carrier.sent_ids() == [message.id]

    async def test_logs_without_text_or_full_phone(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        [message] = await tenant.accept(store)
        with capture_logs() as events:
            await make_dispatcher(FakeCarrier(lambda sms: "c-1")).run_once()
        [sent] = [event for event in events if event["event"] == "message_sent"]
        assert sent["message_id"] == message.id
        assert (sent["creditor_id"], sent["attempt"], sent["carrier"]) == ("acme", 1, "fake")
        assert sent["latency_ms"] >= 0
        assert PHONE not in str(events)
        assert TEXT not in str(events)
        assert "****" in sent["phone"]


class TestSendTimeRecheck:
    """What changed since acceptance is checked again just before the hand-over."""

    @pytest.mark.parametrize("kind", list(OptOutKind), ids=str)
    async def test_opt_out_after_acceptance_rejects(
        self,
        store: Store,
        tenant: Tenant,
        make_dispatcher: MakeDispatcher,
        db_path: Path,
        kind: OptOutKind,
    ) -> None:
        [message] = await tenant.accept(store)
        async with store.transaction() as tx:
            await tx.opt_outs.add(OptOut("acme", PHONE, kind, OptOutSource.MO, T0))
        carrier = FakeCarrier()
        report = await make_dispatcher(carrier).run_once()
        assert report.count(Disposition.REJECTED) == 1
        assert carrier.calls == []
        status, detail = (await statuses(store, message.id))[-1]
        assert status == S.REJECTED
        assert detail.startswith("opted_out: ")
        assert outbox_row(db_path, message.id) is None
        async with store.read() as tx:
            assert await tx.contacts.of_phone("acme", PHONE, at(hours=-24), at(hours=24)) == []

    async def test_quiet_hours_reschedule_to_next_morning(
        self,
        store: Store,
        tenant: Tenant,
        make_dispatcher: MakeDispatcher,
        clock: Clock,
        db_path: Path,
    ) -> None:
        [message] = await tenant.accept(store)
        clock.now = datetime(2024, 5, 1, 13, 5, tzinfo=UTC)  # 21:05 in Shanghai
        carrier = FakeCarrier()
        report = await make_dispatcher(carrier).run_once()
        assert report.count(Disposition.RESCHEDULED) == 1
        assert carrier.calls == []
        morning = datetime(2024, 5, 2, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
        row = waiting_in_outbox(db_path, message.id)
        assert (row.due_at, row.lease_owner) == (morning, None)
        assert (await statuses(store, message.id))[-1][0] == S.SCHEDULED
        clock.now = morning - timedelta(microseconds=1)
        assert (await make_dispatcher(carrier).run_once()).claimed == 0
        clock.now = morning
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.SENT) == 1

    async def test_blackout_of_a_tag_reschedules(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, db_path: Path
    ) -> None:
        [message] = await tenant.accept(store, tags=["student"])  # 10:00: in class
        await make_dispatcher(FakeCarrier()).run_once()
        row = waiting_in_outbox(db_path, message.id)
        assert row.due_at == datetime(2024, 5, 1, 4, 30, tzinfo=UTC)  # 12:30 in Shanghai

    async def test_own_contact_does_not_count_against_the_cap(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        # Three accepted messages fill the cn-shenzhen cap of 3 exactly; all must go.
        await tenant.accept(store, 3)
        carrier = FakeCarrier()
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.SENT) == 3

    async def test_stale_outbox_entry_is_skipped(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, db_path: Path
    ) -> None:
        [message] = await tenant.accept(store, status=S.REJECTED)
        carrier = FakeCarrier()
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.SKIPPED) == 1
        assert carrier.calls == []
        assert outbox_row(db_path, message.id) is None
