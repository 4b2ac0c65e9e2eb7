"""What a reply does, through the real ``/v1/mo/{carrier}`` endpoint (#14 item 4).

The gateway runs with one generic ``http`` carrier account ``peer`` whose
callbacks are HMAC-signed (as in ``test_callbacks``); every test runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smsgate.carriers import client_reference
from smsgate.settings import Settings, SettingsError
from smsgate.store import AttemptOutcome, AuditQuery, MessageStatus, Role, SendAttempt

from .api_support import GatewayUnderTest, start_gateway
from .message_support import DEBTOR, PHONE, message, seed_template
from .test_callbacks import CARRIERS, SECRET, sent_message, signed, status_of


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[GatewayUnderTest]:
    carriers = tmp_path / "carriers.toml"
    carriers.write_text(CARRIERS)
    environment = {"SMSGATE_CARRIER_PEER_SECRET": SECRET}
    async for running in start_gateway(
        tmp_path, carriers_file=carriers, carrier_environment=environment
    ):
        yield running


async def reply(gw: GatewayUnderTest, text: str, mo_id: str = "mo-1") -> None:
    status, _, _ = await signed(gw, "/v1/mo/peer", {"messages": [{"from": PHONE, "text": text,
                                                                  "id": mo_id}]})  # fmt: skip
    assert status == 200


async def send(gw: GatewayUnderTest, **changes: Any) -> tuple[int, Any]:
    template_id = await seed_template(gw)
    token = await gw.key("acme", Role.SENDER)
    status, body, _ = await gw.call("POST", "/v1/messages", token=token,
                                    json=message(template_id, **changes))  # fmt: skip
    return status, body


async def opt_out_kinds(gw: GatewayUnderTest) -> list[tuple[str, str, str]]:
    admin = await gw.key("acme", Role.ADMIN)
    _, body, _ = await gw.call("GET", "/v1/opt-outs", token=admin)
    return sorted((o["phone"], o["kind"], o["source"]) for o in body["opt_outs"])


class TestThirdPartyRefusal:
    """我不认识他: the phone is never contacted again for any debtor, debtor templates included."""

    async def test_refusal_ends_contact_for_every_debtor(self, gw: GatewayUnderTest) -> None:
        await sent_message(gw)
        await reply(gw, "我不认识他，别再找我了")
        assert await opt_out_kinds(gw) == [(PHONE, "third_party_refusal", "mo")]
        status, problem = await send(gw, recipient={"debtor_id": "D-2002"})
        assert (status, problem["code"]) == (422, "opted_out")
        assert "third party" in problem["detail"]

    async def test_english_refusal(self, gw: GatewayUnderTest) -> None:
        await sent_message(gw)
        await reply(gw, "I don't know him. Don't contact me about him")
        kinds = {kind for _, kind, _ in await opt_out_kinds(gw)}
        assert "third_party_refusal" in kinds


class TestStopInOtherWords:
    """别发了 and Stop texting me opt the phone out (the keyword rules missed both)."""

    @pytest.mark.parametrize(
        "text", ["别发了", "请停止发送", "不要再给我发短信了", "Stop texting me"]
    )
    async def test_stop(self, gw: GatewayUnderTest, text: str) -> None:
        await sent_message(gw)
        await reply(gw, text)
        assert await opt_out_kinds(gw) == [(PHONE, "opt_out", "mo")]
        status, problem = await send(gw)
        assert (status, problem["code"]) == (422, "opted_out")


class TestComplaintShowsWhy:
    """A message held for a complaint carries the complaint's words and time."""

    async def test_held_list_shows_the_complaint(self, gw: GatewayUnderTest) -> None:
        await sent_message(gw)
        await reply(gw, "再骚扰我就去银保监会投诉你们")
        status, body = await send(gw)
        assert (status, body["status"]) == (202, "held")
        reviewer = await gw.key("acme", Role.REVIEWER)
        status, listed, _ = await gw.call("GET", "/v1/held", token=reviewer)
        assert status == 200
        [held] = listed["held"]
        assert held["id"] == body["id"]
        assert held["complaint"]["text"] == "再骚扰我就去银保监会投诉你们"
        assert held["complaint"]["received_at"]
        assert held["complaint"]["reply_id"].startswith("mo")

    async def test_a_queued_message_held_by_a_complaint_says_why(
        self, gw: GatewayUnderTest
    ) -> None:
        await sent_message(gw)
        status, body = await send(gw, recipient={"debtor_id": "D-2002"})
        assert status == 202
        await reply(gw, "我要打12378投诉")
        token = await gw.key("acme", Role.SENDER)
        _, detail, _ = await gw.call("GET", f"/v1/messages/{body['id']}", token=token)
        assert detail["status"] == "held"
        assert "我要打12378投诉" in detail["history"][-1]["detail"]


class TestWrongParty:
    """不是本人: the phone is detached from that debtor only; other debtors are untouched."""

    async def test_later_sends_for_that_debtor_are_refused(self, gw: GatewayUnderTest) -> None:
        await sent_message(gw)
        await reply(gw, "不是本人，你们打错了")
        status, problem = await send(gw)
        assert (status, problem["code"]) == (422, "opted_out")
        assert "wrong number" in problem["detail"]
        status, _ = await send(gw, recipient={"debtor_id": "D-2002"})
        assert status == 202
        async with gw.gateway.store.read() as tx:
            assert await tx.detachments.is_detached("acme", DEBTOR, PHONE)
            assert await tx.opt_outs.active("acme", PHONE) == []

    async def test_queued_messages_for_that_debtor_are_rejected(self, gw: GatewayUnderTest) -> None:
        await sent_message(gw)
        _, same = await send(gw)
        _, other = await send(gw, recipient={"debtor_id": "D-2002"})
        await reply(gw, "wrong number")
        assert await status_of(gw, same["id"]) == "rejected"
        assert await status_of(gw, other["id"]) != "rejected"

    async def test_the_detachment_is_audited_with_the_reply(self, gw: GatewayUnderTest) -> None:
        await sent_message(gw)
        await reply(gw, "这不是他的号码")
        async with gw.gateway.store.read() as tx:
            [reply_row] = await tx.replies.of_creditor("acme")
            entries = await tx.audit.entries(
                AuditQuery(creditor_id="acme", action="phone.detached")
            )
        detached = list(entries)
        assert [e.detail["reply"] for e in detached] == [reply_row.id]
        assert detached[0].detail["debtor_id"] == DEBTOR


async def sent_for(gw: GatewayUnderTest, creditor: str, carrier_id: str) -> str:
    """A message of ``creditor`` to PHONE, recorded as handed to ``peer``."""
    template_id = await seed_template(gw, creditor)
    token = await gw.key(creditor, Role.SENDER)
    status, body, _ = await gw.call("POST", "/v1/messages", token=token, json=message(template_id))
    assert status == 202
    now = gw.clock()
    reference = client_reference(body["id"], 1)
    async with gw.gateway.store.transaction() as tx:
        await tx.attempts.start(SendAttempt(body["id"], 1, "peer", reference, now))
        await tx.messages.set_status(body["id"], MessageStatus.SENDING, now, "attempt 1")
        await tx.attempts.finish(body["id"], 1, AttemptOutcome.SENT, now,
                                 carrier_message_id=carrier_id)  # fmt: skip
        await tx.messages.set_status(body["id"], MessageStatus.SENT, now)
    return str(body["id"])


async def replies_of(gw: GatewayUnderTest, creditor: str) -> list[dict[str, Any]]:
    token = await gw.key(creditor, Role.REVIEWER)
    status, body, _ = await gw.call("GET", "/v1/replies", token=token)
    assert status == 200
    return list(body["replies"])


async def kinds_of(gw: GatewayUnderTest, creditor: str) -> list[str]:
    async with gw.gateway.store.read() as tx:
        return [o.kind.value for o in await tx.opt_outs.active(creditor, PHONE)]


class TestAttribution:
    """A quoted 【签名】 names the creditor; a reply naming none acts for all who texted."""

    async def test_a_quoted_signature_stops_only_that_creditor(self, gw: GatewayUnderTest) -> None:
        acme = await sent_for(gw, "acme", "p-1")
        gw.clock.advance(minutes=5)
        await sent_for(gw, "globex", "p-2")  # globex texted last
        await reply(gw, "【安信消费金融】退订")
        assert await kinds_of(gw, "acme") == ["opt_out"]
        assert await kinds_of(gw, "globex") == []
        assert await replies_of(gw, "globex") == []
        [seen] = await replies_of(gw, "acme")
        assert (seen["text"], seen["message_id"]) == ("【安信消费金融】退订", acme)
        assert (seen["intents"], seen["actions"]) == (["stop"], ["opted_out"])

    async def test_a_stop_naming_nobody_stops_everyone_without_sharing_words(
        self, gw: GatewayUnderTest
    ) -> None:
        acme = await sent_for(gw, "acme", "p-1")
        gw.clock.advance(minutes=5)
        globex = await sent_for(gw, "globex", "p-2")
        await reply(gw, "别再给我发了，我要投诉")
        for creditor, own in (("acme", acme), ("globex", globex)):
            assert sorted(await kinds_of(gw, creditor)) == ["do_not_contact", "opt_out"]
            [seen] = await replies_of(gw, creditor)
            assert seen["message_id"] == own
            assert seen["text"] == ""
            assert seen["intents"] == ["stop", "complaint"]

    async def test_an_ordinary_reply_goes_to_the_newest_creditor_only(
        self, gw: GatewayUnderTest
    ) -> None:
        await sent_for(gw, "acme", "p-1")
        gw.clock.advance(minutes=5)
        await sent_for(gw, "globex", "p-2")
        await reply(gw, "好的我明天还")
        assert await replies_of(gw, "acme") == []
        assert [r["text"] for r in await replies_of(gw, "globex")] == ["好的我明天还"]

    async def test_a_message_older_than_the_window_is_not_answered(
        self, gw: GatewayUnderTest
    ) -> None:
        await sent_for(gw, "acme", "p-1")
        gw.clock.advance(days=8)
        await reply(gw, "退订")
        assert await kinds_of(gw, "acme") == []

    async def test_a_shared_complaint_holds_without_the_words(self, gw: GatewayUnderTest) -> None:
        await sent_for(gw, "acme", "p-1")
        gw.clock.advance(minutes=5)
        await sent_for(gw, "globex", "p-2")
        status, body = await send(gw)
        assert status == 202
        await reply(gw, "我要投诉")
        token = await gw.key("acme", Role.SENDER)
        _, detail, _ = await gw.call("GET", f"/v1/messages/{body['id']}", token=token)
        assert detail["status"] == "held"
        assert "words withheld" in detail["history"][-1]["detail"]


class TestWindowSetting:
    """``SMSGATE_REPLY_ATTRIBUTION_DAYS`` sets the window (default 7 days, 1 to 90)."""

    def test_from_env(self) -> None:
        assert Settings.from_env({}).reply_attribution_days == 7
        env = {"SMSGATE_REPLY_ATTRIBUTION_DAYS": "14"}
        assert Settings.from_env(env).reply_attribution_days == 14
        with pytest.raises(SettingsError, match="SMSGATE_REPLY_ATTRIBUTION_DAYS"):
            Settings.from_env({"SMSGATE_REPLY_ATTRIBUTION_DAYS": "0"})
