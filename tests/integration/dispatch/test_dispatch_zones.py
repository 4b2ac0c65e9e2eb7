"""The dispatcher's re-check judges quiet hours in every zone of the number, like acceptance.

Stored messages keep the sender's ``timezone``; the re-check derives the
candidate zones from the phone again, so a label accepted before zones were
checked cannot carry a message through someone's night.
"""

from __future__ import annotations

from datetime import UTC, datetime

from smsgate.carriers import FakeCarrier
from smsgate.dispatch import Disposition
from smsgate.store import MessageStatus, Store

from .conftest import MakeDispatcher
from .dispatch_support import Clock, Tenant, at, statuses

S = MessageStatus
#: A US personal number (area code 500): it may be in any US zone, Honolulu included.
US_ANYWHERE = "+15002345678"
# 12:30 UTC on 1 May 2024: 08:30 in New York, 05:30 in Los Angeles, 03:30 in Adak, 02:30
# in Honolulu.
NEW_YORK_0830 = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
HONOLULU_0800 = datetime(2024, 5, 1, 18, 0, tzinfo=UTC)


class TestEveryZoneAtSendTime:
    """A message due when one of its number's zones is at night waits for that zone's morning."""

    async def test_new_york_morning_waits_for_honolulu(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        [message] = await tenant.accept(store, phone=US_ANYWHERE, timezone="America/New_York")
        clock.now = NEW_YORK_0830
        carrier = FakeCarrier()
        report = await make_dispatcher(carrier).run_once()
        assert report.count(Disposition.RESCHEDULED) == 1
        assert carrier.calls == []
        [outcome] = report.outcomes
        assert outcome.fields["due_at"] == HONOLULU_0800.isoformat()
        status, detail = (await statuses(store, message.id))[-1]
        assert status == S.SCHEDULED
        # The first zone found closed is named: Adak, whose 08:00 HDT comes an hour earlier.
        assert "local time 03:30 America/Adak" in detail
        assert "all 11 zones" in detail
        clock.now = HONOLULU_0800
        assert (await make_dispatcher(carrier).run_once()).count(Disposition.SENT) == 1

    async def test_a_stored_label_the_number_cannot_have_is_rejected(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher, clock: Clock
    ) -> None:
        # Accepted before zones were checked: a +86 mobile labelled Auckland, due at
        # 05:50 in Beijing (09:50 in Auckland, inside Auckland's hours).
        beijing_0550 = datetime(2024, 4, 30, 21, 50, tzinfo=UTC)
        [message] = await tenant.accept(store, due_at=beijing_0550, timezone="Pacific/Auckland")
        clock.now = beijing_0550
        carrier = FakeCarrier()
        report = await make_dispatcher(carrier).run_once()
        assert report.count(Disposition.REJECTED) == 1
        assert carrier.calls == []
        status, detail = (await statuses(store, message.id))[-1]
        assert status == S.REJECTED
        assert detail.startswith("timezone_mismatch: ")
        async with store.read() as tx:
            assert (
                await tx.contacts.of_phone("acme", message.phone, at(hours=-24), at(hours=24)) == []
            )

    async def test_a_stored_clock_setting_is_rejected(
        self, store: Store, tenant: Tenant, make_dispatcher: MakeDispatcher
    ) -> None:
        # Due at 10:00 in Shanghai: open in Shanghai, but "UTC" names no place.
        [message] = await tenant.accept(store, timezone="UTC")
        carrier = FakeCarrier()
        report = await make_dispatcher(carrier).run_once()
        assert report.count(Disposition.REJECTED) == 1
        assert carrier.calls == []
        status, detail = (await statuses(store, message.id))[-1]
        assert status == S.REJECTED
        assert detail.startswith("timezone_mismatch: ")
