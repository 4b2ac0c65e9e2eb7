"""The one confirmation text per stop (#14 item 2), through ``/v1/mo/peer`` and the dispatcher.

A creditor that turned confirmations on (``administration.set_stop_confirmation``,
what ``smsgate creditors confirmation`` runs) gets exactly one 退订成功 text
to the phone per opt-out, through the real outbox and dispatcher, with no
contact booked; one that did not gets none. Every test runs on SQLite and
on PostgreSQL (the ``gw`` fixture of ``test_reply_actions``).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from smsgate.carriers.fake import FakeCarrier
from smsgate.dispatch import Dispatcher, DispatchSettings
from smsgate.service import administration
from smsgate.store import AuditQuery, Role
from smsgate.store.audit import AuditAction

from .api_support import GatewayUnderTest
from .message_support import DEBTOR, PHONE, SIGNATURE
from .shared_gateway import on_the_module_gateway
from .test_callbacks import sent_message, status_of
from .test_reply_actions import gw, reply, send

__all__ = ["gw"]

CONFIRMATION = "【安信消费金融】退订成功，您将不再收到本机构的短信。"


async def turn_on(gw: GatewayUnderTest, text: str = CONFIRMATION) -> None:
    scanner = gw.gateway.wordlists.current()
    await administration.set_stop_confirmation(gw.gateway.store, gw.acme, text, at=gw.clock(),
                                      scanner=scanner)  # fmt: skip


def dispatcher(gw: GatewayUnderTest, carrier: FakeCarrier) -> Dispatcher:
    return Dispatcher(gw.gateway.store, carrier, owner="d1", settings=DispatchSettings(),
                      clock=gw.clock, jitter=lambda bound: bound / 2)  # fmt: skip


def carrier() -> FakeCarrier:
    """The ``peer`` account the replies come back through, recording what it is handed."""
    sent = iter(range(1, 1000))
    return FakeCarrier(lambda sms: f"p-{next(sent)}", name="peer")


async def sent_to_cap(gw: GatewayUnderTest, peer: FakeCarrier) -> list[str]:
    """Send the debtor's three contacts of the day through the dispatcher; their ids."""
    ids = []
    for _ in range(3):
        status, body = await send(gw)
        assert status == 202, body
        ids.append(body["id"])
    await dispatcher(gw, peer).run_once()
    assert sorted(sms.message_id for sms in peer.calls) == sorted(ids)
    return ids


async def ledger(gw: GatewayUnderTest) -> list[str]:
    """The message ids the contact ledger counts for the debtor or the phone today."""
    now = gw.clock()
    async with gw.gateway.store.read() as tx:
        records = await tx.contacts.of_debtor_or_phone(
            "acme", DEBTOR, PHONE, now - timedelta(days=2), now + timedelta(days=2)
        )
    return sorted(record.message_id for record in records)


class TestConfirmationOn:
    """Turned on: exactly one confirmation per opt-out reaches the carrier, never a contact."""

    async def test_one_confirmation_after_two_stops_and_a_replayed_mo(
        self, gw: GatewayUnderTest
    ) -> None:
        await turn_on(gw)
        peer = carrier()
        contacts = await sent_to_cap(gw, peer)
        status, problem = await send(gw)
        assert (status, problem["code"]) == (429, "contact_limit")  # the debtor is at the cap
        await reply(gw, "退订", mo_id="mo-1")
        await reply(gw, "退订", mo_id="mo-1")  # the carrier resends the same MO
        await reply(gw, "TD 退订", mo_id="mo-2")  # and the recipient says it again
        report = await dispatcher(gw, peer).run_once()
        gw.clock.advance(minutes=5)
        await dispatcher(gw, peer).run_once()
        confirmations = [sms for sms in peer.calls if sms.message_id not in contacts]
        assert [sms.text for sms in confirmations] == [CONFIRMATION], report
        [confirmation] = confirmations
        assert confirmation.phone == PHONE
        assert await status_of(gw, confirmation.message_id) == "sent"
        assert await ledger(gw) == sorted(contacts)  # no contact booked, no slot used

        sender = await gw.key(gw.acme, Role.SENDER)
        _, detail, _ = await gw.call("GET", f"/v1/messages/{confirmation.message_id}",
                                     token=sender)  # fmt: skip
        assert detail["tags"] == ["stop_confirmation"]
        assert detail["confirms_reply"]
        _, listed, _ = await gw.call("GET", "/v1/replies", token=sender)
        actions = {r["id"]: r["actions"] for r in listed["replies"]}
        assert actions[detail["confirms_reply"]] == ["opted_out", "confirmation_sent"]
        assert sorted(map(tuple, actions.values())) == [
            ("opted_out",),
            ("opted_out", "confirmation_sent"),
        ]
        async with gw.gateway.store.read() as tx:
            queued = list(await tx.audit.entries(
                AuditQuery(creditor_id="acme", action=AuditAction.STOP_CONFIRMATION_QUEUED)
            ))  # fmt: skip
        assert [(e.subject, e.detail["reply"]) for e in queued] == [
            (confirmation.message_id, detail["confirms_reply"])
        ]

    async def test_sent_at_once_in_quiet_hours(self, gw: GatewayUnderTest) -> None:
        """23:00 in Shanghai: a collection text would wait until 08:00, the confirmation goes."""
        await turn_on(gw)
        await sent_message(gw)
        gw.clock.advance(hours=13)  # 02:00 UTC + 13 h = 23:00 Asia/Shanghai
        status, body = await send(gw, recipient={"debtor_id": "D-2002"})
        assert (status, body["status"]) == (202, "scheduled")
        await reply(gw, "退订")
        peer = carrier()
        await dispatcher(gw, peer).run_once()
        assert [sms.text for sms in peer.calls] == [CONFIRMATION]

    async def test_a_later_complaint_stops_the_queued_confirmation(
        self, gw: GatewayUnderTest
    ) -> None:
        await turn_on(gw)
        peer = carrier()
        await sent_to_cap(gw, peer)
        await reply(gw, "退订", mo_id="mo-1")
        await reply(gw, "再发我就投诉到12321", mo_id="mo-2")
        await dispatcher(gw, peer).run_once()
        assert [sms.text for sms in peer.calls if sms.text == CONFIRMATION] == []

    async def test_an_expired_confirmation_is_refused(self, gw: GatewayUnderTest) -> None:
        await turn_on(gw)
        peer = carrier()
        await sent_to_cap(gw, peer)
        await reply(gw, "退订", mo_id="mo-1")
        gw.clock.advance(hours=25)
        await dispatcher(gw, peer).run_once()
        assert [sms.text for sms in peer.calls if sms.text == CONFIRMATION] == []


class TestConfirmationOff:
    async def test_no_confirmation_by_default(self, gw: GatewayUnderTest) -> None:
        peer = carrier()
        contacts = await sent_to_cap(gw, peer)
        await reply(gw, "退订")
        await dispatcher(gw, peer).run_once()
        assert sorted(sms.message_id for sms in peer.calls) == sorted(contacts)
        sender = await gw.key(gw.acme, Role.SENDER)
        _, listed, _ = await gw.call("GET", "/v1/replies", token=sender)
        assert [r["actions"] for r in listed["replies"]] == [["opted_out"]]

    async def test_turned_off_again_sends_none(self, gw: GatewayUnderTest) -> None:
        await turn_on(gw)
        assert await administration.clear_stop_confirmation(gw.gateway.store, "acme", at=gw.clock())
        peer = carrier()
        contacts = await sent_to_cap(gw, peer)
        await reply(gw, "退订")
        await dispatcher(gw, peer).run_once()
        assert sorted(sms.message_id for sms in peer.calls) == sorted(contacts)


class TestConfirmationText:
    """The text is fixed wording that passes the scanner; anything else is refused at set time."""

    @pytest.mark.parametrize(
        ("text", "why"),
        [
            ("退订成功。再不还款，法院传票马上到", "scanner says block"),
            ("{{ name }}，退订成功", "fixed wording"),
            ("【环球小贷】退订成功", "signature"),
            ("   ", "empty"),
        ],
    )
    @on_the_module_gateway
    async def test_refused(self, gw: GatewayUnderTest, text: str, why: str) -> None:
        with pytest.raises(ValueError, match=why):
            await turn_on(gw, text)
        async with gw.gateway.store.read() as tx:
            assert await tx.confirmations.text_of(gw.acme) is None

    async def test_signed_by_the_gateway(self, gw: GatewayUnderTest) -> None:
        await turn_on(gw, "退订成功，您将不再收到本机构的短信。")
        async with gw.gateway.store.read() as tx:
            setting = await tx.confirmations.text_of("acme")
            assert setting is not None
            version = await tx.templates.get_version(setting.template_id, setting.template_version)
        assert version is not None
        assert SIGNATURE + version.body == CONFIRMATION
