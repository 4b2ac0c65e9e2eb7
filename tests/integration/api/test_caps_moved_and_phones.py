"""Caps hold however a send moves and whatever a client calls the debtor (#13 items 1-2).

Through the real HTTP API and the real dispatcher, on both stores, with the
gateway's settable clock: a message the dispatcher carries past 21:00 moves
its booking with it and never becomes a 4th text on a full next day; one
phone gets at most its cap of debtor texts a day, however the ``debtor_id``
is spelt.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsgate.carriers import FakeCarrier, OutboundSms, RetryableCarrierError
from smsgate.dispatch import Dispatcher, Disposition
from smsgate.service import administration
from smsgate.store import ContactRecord, MessageStatus

from .api_support import GatewayUnderTest
from .message_support import DEBTOR, PHONE, message, seed_template
from .shared_gateway import on_the_module_gateway

SEND = "/v1/messages"
SHANGHAI = timedelta(hours=8)


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """Shanghai wall time on 2026-11-(22 + day), as a UTC instant (day 1 is the gateway's)."""
    wall = datetime(2026, 11, 22, hour, minute, second, tzinfo=UTC) + timedelta(days=day)
    return wall - SHANGHAI


async def send(
    gw: GatewayUnderTest, body: Any, creditor: str | None = None
) -> tuple[int, dict[str, Any]]:
    token = await gw.key(creditor or gw.acme, "sender")
    status, answer, _ = await gw.call("POST", SEND, token=token, json=body)
    return status, answer


async def booked(
    gw: GatewayUnderTest, creditor: str = "acme", phone: str = PHONE
) -> list[ContactRecord]:
    """The phone's ledger entries over the test's week."""
    async with gw.gateway.store.read() as tx:
        return await tx.contacts.of_phone(creditor, phone, local(0, 0), local(8, 0))


async def history(gw: GatewayUnderTest, message_id: str) -> list[tuple[MessageStatus, str]]:
    async with gw.gateway.store.read() as tx:
        return [(c.status, c.detail) for c in await tx.messages.history(message_id)]


class _LookOnly(Exception):
    """Raised to roll back a claim made only to read the outbox."""


async def due_at(gw: GatewayUnderTest, message_id: str) -> datetime | None:
    """When the message is due in the outbox (``None``: not there); changes nothing."""
    found = None
    try:
        async with gw.gateway.store.transaction() as tx:
            items = await tx.outbox.claim_due(local(8, 0), "probe", timedelta(seconds=1), 1000)
            found = next((item.due_at for item in items if item.message_id == message_id), None)
            raise _LookOnly
    except _LookOnly:
        return found


def dispatcher(gw: GatewayUnderTest, carrier: FakeCarrier) -> Dispatcher:
    return Dispatcher(gw.gateway.store, carrier, owner="d1", clock=gw.clock)


def days(records: list[ContactRecord]) -> Counter[int]:
    """How many entries fall on each local day (1 is the gateway's first day)."""
    return Counter((record.at + SHANGHAI).day - 22 for record in records)


async def fill_day_two(gw: GatewayUnderTest, template_id: str, creditor: str = "acme") -> None:
    """Three texts scheduled for day 2 10:00: the cn-shenzhen cap of that day, full."""
    for _ in range(3):
        body = message(template_id, send_at=local(2, 10).isoformat())
        assert (await send(gw, body, creditor))[0] == 202


class TestMovedByTheDispatcher:
    """A send the dispatcher carries to another day is judged by that day's caps."""

    async def test_a_2059_message_sent_late_is_not_a_fourth_on_a_full_day(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        await fill_day_two(gw, template_id)
        gw.clock.now = local(1, 20, 59)
        status, late = await send(gw, message(template_id))
        assert (status, late["status"]) == (202, "queued")
        assert days(await booked(gw)) == {1: 1, 2: 3}

        gw.clock.now = local(1, 21, 0, 30)  # a backlog: first dispatched after 21:00
        carrier = FakeCarrier()
        report = await dispatcher(gw, carrier).run_once()
        assert report.count(Disposition.RESCHEDULED) == 1
        assert carrier.calls == []
        # Day 2 is full: the message and its booking go to day 3 at 08:00, together.
        assert await due_at(gw, late["id"]) == local(3, 8)
        assert days(await booked(gw)) == {2: 3, 3: 1}
        status_now, detail = (await history(gw, late["id"]))[-1]
        assert status_now == MessageStatus.SCHEDULED
        assert "contact_limit" in detail
        assert "2026-11-24" in detail

        sent: Counter[int] = Counter()
        for day, hour in ((2, 10), (3, 8)):
            gw.clock.now = local(day, hour)
            await dispatcher(gw, carrier).run_once()
            sent[day] = len(carrier.calls) - sum(sent.values())
        assert sent == {2: 3, 3: 1}

    async def test_a_retry_past_2100_is_judged_on_the_new_day(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await fill_day_two(gw, template_id)
        gw.clock.now = local(1, 20, 59, 55)
        _, late = await send(gw, message(template_id))

        def busy(sms: OutboundSms) -> str:
            raise RetryableCarrierError("throttled")

        await dispatcher(gw, FakeCarrier(busy)).run_once()  # fails; retried after a backoff
        assert [record.at for record in await booked(gw) if record.message_id == late["id"]] == [
            local(1, 20, 59, 55)
        ]
        gw.clock.now = local(1, 21, 5)
        carrier = FakeCarrier()
        await dispatcher(gw, carrier).run_once()
        assert carrier.calls == []
        assert await due_at(gw, late["id"]) == local(3, 8)
        assert days(await booked(gw)) == {2: 3, 3: 1}

    async def test_a_day_with_room_takes_the_moved_booking(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = local(1, 20, 59)
        _, late = await send(gw, message(template_id))
        gw.clock.now = local(1, 21, 0, 30)
        await dispatcher(gw, FakeCarrier()).run_once()
        assert await due_at(gw, late["id"]) == local(2, 8)
        assert [record.at for record in await booked(gw)] == [local(2, 8)]

    async def test_sent_after_midnight_counts_on_the_day_it_goes(
        self, gw: GatewayUnderTest
    ) -> None:
        # An outage from 20:59 to 10:00 the next day: the message goes on day 2, in
        # hours, so no deferral; the full day 2 must still pass it on to day 3.
        template_id = await seed_template(gw)
        await fill_day_two(gw, template_id)
        gw.clock.now = local(1, 20, 59)
        _, late = await send(gw, message(template_id))
        gw.clock.now = local(2, 10)
        carrier = FakeCarrier()
        await dispatcher(gw, carrier).run_once()
        assert len(carrier.calls) == 3
        assert late["id"] not in {sms.message_id for sms in carrier.calls}
        assert await due_at(gw, late["id"]) == local(3, 8)
        assert days(await booked(gw)) == {2: 3, 3: 1}

    async def test_sent_the_next_day_with_room_moves_the_booking_to_the_send(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = local(1, 20, 59)
        _, late = await send(gw, message(template_id))
        gw.clock.now = local(2, 10)
        carrier = FakeCarrier()
        await dispatcher(gw, carrier).run_once()
        assert [sms.message_id for sms in carrier.calls] == [late["id"]]
        assert [record.at for record in await booked(gw)] == [local(2, 10)]

    async def test_no_day_with_room_in_the_lookahead_rejects(self, gw: GatewayUnderTest) -> None:
        await administration.create_creditor(
            gw.gateway.store, "tight", name="紧凑小贷", signature="紧凑小贷",
            profile="cn-shenzhen", at=gw.clock(), overrides={"lookahead_days": 1},
        )  # fmt: skip
        template_id = await seed_template(gw, "tight")
        await fill_day_two(gw, template_id, "tight")
        for _ in range(3):
            body = message(template_id, send_at=local(3, 10).isoformat())
            assert (await send(gw, body, "tight"))[0] == 202
        gw.clock.now = local(1, 20, 59)
        _, late = await send(gw, message(template_id), "tight")
        gw.clock.now = local(1, 21, 0, 30)
        report = await dispatcher(gw, FakeCarrier()).run_once()
        assert report.count(Disposition.REJECTED) == 1
        status, detail = (await history(gw, late["id"]))[-1]
        assert status == MessageStatus.REJECTED
        assert detail.startswith("contact_limit: contact limit reached: 3 contacts already on")
        assert "no day with room in the next 1 days" in detail
        assert await due_at(gw, late["id"]) is None
        assert days(await booked(gw, "tight")) == {2: 3, 3: 3}

    async def test_same_day_deferral_is_not_counted_against_itself(
        self, gw: GatewayUnderTest
    ) -> None:
        # Three texts fill day 1; the third waits out a blackout and still goes that day.
        template_id = await seed_template(gw)
        for _ in range(2):
            await send(gw, message(template_id))
        student = message(template_id, recipient={"tags": ["student"]})
        gw.clock.now = local(1, 8, 0)
        _, third = await send(gw, student)
        gw.clock.now = local(1, 8, 45)  # in class: deferred to 12:30, same day
        carrier = FakeCarrier()
        await dispatcher(gw, carrier).run_once()
        assert await due_at(gw, third["id"]) == local(1, 12, 30)
        gw.clock.now = local(1, 12, 30)
        await dispatcher(gw, carrier).run_once()
        assert len(carrier.calls) == 3


#: One debtor and one phone, spelt thirteen ways; each is refused or is the same debtor,
#: and the phone's cap (3 a day, the default: the debtor cap) stops everything past the third.
SPELLINGS = (
    "D-1001", "d-1001", "D-1001\u200b", "\u0414-1001", "\uff24\uff0d\uff11\uff10\uff10\uff11",
    "D\u00ad-1001", "D-1001\u2060", "D\u200d-1001", "D-\u031f001", "D 1001", "\u0110-1001",
    "D-1001\ufe0f", "\u0421\u0414-1001",
)  # fmt: skip


class TestOnePhoneManyDebtorIds:
    """A phone is one person's: varying ``debtor_id`` never buys more texts."""

    async def test_thirteen_spellings_give_three_texts(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        answers = []
        for spelling in SPELLINGS:
            status, body = await send(gw, message(template_id, recipient={"debtor_id": spelling}))
            answers.append((status, body.get("code")))
        accepted = [status for status, _ in answers if status == 202]
        assert len(accepted) == 3
        assert set(answers) == {(202, None), (400, "invalid_request"), (429, "contact_limit")}
        assert len(await booked(gw)) == 3

    @pytest.mark.parametrize(
        "spelling",
        [
            pytest.param("D-1001\u200b", id="zero-width-space"),
            pytest.param("D\u00ad-1001", id="soft-hyphen"),
            pytest.param("\u0414-1001\u0044", id="cyrillic-and-latin"),
            pytest.param("D 1001", id="inner-space"),
            pytest.param("D-1001\ufe0f", id="variation-selector"),
        ],
    )
    @on_the_module_gateway
    async def test_invisible_and_mixed_script_ids_are_refused(
        self, gw: GatewayUnderTest, spelling: str
    ) -> None:
        template_id = await seed_template(gw)
        status, body = await send(gw, message(template_id, recipient={"debtor_id": spelling}))
        assert (status, body["code"], body["field"]) == (
            400, "invalid_request", "recipient.debtor_id",
        )  # fmt: skip

    async def test_case_and_width_are_one_debtor(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        spellings = ("D-1001", "d-1001", "\uff44-1001")  # the last: a full-width d
        for phone_index, spelling in enumerate(spellings):
            phone = f"+861380013800{phone_index + 1}"
            body = message(template_id, recipient={"debtor_id": spelling, "phone": phone})
            status, answer = await send(gw, body)
            assert status == 202
        async with gw.gateway.store.read() as tx:
            entries = await tx.contacts.of_debtor("acme", DEBTOR, local(0, 0), local(8, 0))
        assert len(entries) == 3
        fourth = message(template_id, recipient={"debtor_id": "d-1001", "phone": "+8613800138009"})
        status, answer = await send(gw, fourth)
        assert (status, answer["code"]) == (429, "contact_limit")

    async def test_the_phone_cap_names_the_phone(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        for number in range(3):
            await send(gw, message(template_id, recipient={"debtor_id": f"D-{number}"}))
        status, answer = await send(gw, message(template_id, recipient={"debtor_id": "D-9"}))
        assert (status, answer["code"]) == (429, "contact_limit")
        assert "to this phone" in answer["detail"]
        assert "per phone" in answer["detail"]

    async def test_fifty_concurrent_ids_for_one_phone_take_exactly_three(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        await gw.key(gw.acme, "sender")
        bodies = [message(template_id, recipient={"debtor_id": f"D-{n}"}) for n in range(50)]
        results = await asyncio.gather(*(send(gw, body) for body in bodies))
        assert Counter(status for status, _ in results) == {202: 3, 429: 47}
        assert len(await booked(gw)) == 3

    async def test_the_phone_cap_is_a_profile_setting(self, gw: GatewayUnderTest) -> None:
        await administration.create_creditor(
            gw.gateway.store, "family", name="家庭小贷", signature="家庭小贷",
            profile="cn-shenzhen", at=gw.clock(), overrides={"debtor_phone_cap": {"limit": 5}},
        )  # fmt: skip
        template_id = await seed_template(gw, "family")
        statuses = [
            (await send(gw, message(template_id, recipient={"debtor_id": f"D-{n}"}), "family"))[0]
            for n in range(6)
        ]
        assert statuses == [202] * 5 + [429]

    async def test_a_recorded_call_counts_under_the_canonical_id(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        token = await gw.key(gw.acme, "sender")
        for _ in range(3):
            status, body, _ = await gw.call(
                "POST", "/v1/contacts", token=token,
                json={"phone": "+8613900139001", "debtor_id": "d-1001", "role": "debtor"},
            )  # fmt: skip
            assert (status, body["debtor_id"]) == (201, DEBTOR)
        status, answer = await send(gw, message(template_id))
        assert (status, answer["code"]) == (429, "contact_limit")

    async def test_a_recorded_call_with_an_invisible_character_is_refused(
        self, gw: GatewayUnderTest
    ) -> None:
        token = await gw.key(gw.acme, "sender")
        status, body, _ = await gw.call(
            "POST", "/v1/contacts", token=token,
            json={"phone": PHONE, "debtor_id": "D-1001\u200b", "role": "debtor"},
        )  # fmt: skip
        assert (status, body["code"], body["field"]) == (400, "invalid_request", "debtor_id")
