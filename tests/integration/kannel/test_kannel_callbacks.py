"""Kannel's own callbacks (dlr-url and sms-service get-url) read by ``KannelCallbacks``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smsgate.carriers import DeliveryState, OutboundSms
from smsgate.carriers.kannel.adapter import KannelCarrier
from smsgate.core.sms import encoding_of

from .conftest import DLR_PATH, MO_PATH
from .harness import KannelHarness
from .recorder import CallbackRecorder

pytestmark = pytest.mark.kannel

TEXT = "【安信消费金融】您好，请尽快还款。回复TD退订"


class TestDeliveryReports:
    """Each report Kannel sends to the dlr-url names our attempt and its state."""

    @pytest.mark.parametrize(
        "message_id",
        [
            pytest.param("msg_01HZX3", id="plain-id"),
            # Kannel reads every %x of the dlr-url as its own code; ours must survive.
            pytest.param("msg_50%A/é+&x", id="id-needing-escapes"),
        ],
    )
    async def test_accepted_then_delivered(
        self, kannel_carrier: KannelCarrier, callback_recorder: CallbackRecorder, message_id: str
    ) -> None:
        before = datetime.now(UTC).replace(microsecond=0)
        message = OutboundSms(message_id, 2, "+8613800138000", TEXT, 1, encoding_of(TEXT), "acme")
        await kannel_carrier.send(message)

        requests = await callback_recorder.wait_for(DLR_PATH, 2)
        callbacks = kannel_carrier.callbacks
        reports = []
        for request in requests:
            assert request.method == "GET"
            callbacks.authenticate(request)
            reports.extend(callbacks.delivery_reports(request))

        assert [(r.state, r.client_reference) for r in reports] == [
            (DeliveryState.ACCEPTED, f"{message_id}-2"),
            (DeliveryState.DELIVERED, f"{message_id}-2"),
        ]
        assert reports[0].error_code == "ACK"
        for report in reports:
            assert report.reported_at is not None
            assert before - timedelta(seconds=1) <= report.reported_at <= datetime.now(UTC)


class TestReplies:
    """A reply injected at the SMSC reaches the sms-service get-url and reads as InboundSms."""

    @pytest.mark.parametrize(
        ("sender", "text"),
        [
            pytest.param("8613800138000", "退订", id="chinese-ucs2-international"),
            pytest.param("13800138000", "TD", id="ascii-national"),
            pytest.param("8613900139000", "不要再发了 TD", id="words-and-spaces"),
        ],
    )
    async def test_reply_is_read(
        self,
        kannel: KannelHarness,
        kannel_carrier: KannelCarrier,
        callback_recorder: CallbackRecorder,
        sender: str,
        text: str,
    ) -> None:
        await kannel.inject_mo(sender, "10690001", text)

        [request] = await callback_recorder.wait_for(MO_PATH, 1)
        kannel_carrier.callbacks.authenticate(request)
        [reply] = kannel_carrier.callbacks.inbound_messages(request)

        assert reply.text == text
        assert reply.phone == "+86" + sender.removeprefix("86")
        assert reply.extension == "10690001"
        assert reply.carrier_message_id
        assert reply.received_at is not None

    async def test_two_replies_in_a_row(
        self,
        kannel: KannelHarness,
        kannel_carrier: KannelCarrier,
        callback_recorder: CallbackRecorder,
    ) -> None:
        await kannel.inject_mo("13800138000", "10690001", "TD")
        await kannel.inject_mo("13900139000", "10690001", "退订")

        requests = await callback_recorder.wait_for(MO_PATH, 2)
        replies = [kannel_carrier.callbacks.inbound_messages(r)[0] for r in requests]
        assert sorted((r.phone, r.text) for r in replies) == [
            ("+8613800138000", "TD"),
            ("+8613900139000", "退订"),
        ]
