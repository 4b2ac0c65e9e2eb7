"""Sending through a real Kannel: what reaches the SMSC (fakesmsc), and how refusals come back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smsgate.carriers import OutboundSms, PermanentCarrierError, RetryableCarrierError
from smsgate.carriers.kannel.adapter import KannelCarrier, create_kannel
from smsgate.core.sms import Encoding, encoding_of

from .conftest import DLR_PATH, TOKEN
from .harness import KannelHarness
from .recorder import CallbackRecorder

pytestmark = pytest.mark.kannel

CHINESE = "【安信消费金融】张三您好，您的账单已逾期，请尽快还款。回复TD退订"
ASCII = "[Acme] Hello Zhang, your bill of 100 EUR is due; reply STOP to opt out."


def sms(text: str, *, message_id: str = "msg_kannel", phone: str = "+8613800138000") -> OutboundSms:
    return OutboundSms(message_id, 1, phone, text, 1, encoding_of(text), "acme")


class TestMessagesReachTheSmsc:
    """The SMSC behind Kannel receives exactly our text, number and sender."""

    @pytest.mark.parametrize(
        "method", [pytest.param("GET", id="get"), pytest.param("POST", id="post")]
    )
    async def test_chinese_text_arrives_as_ucs2(
        self, kannel: KannelHarness, callback_recorder: CallbackRecorder, method: str
    ) -> None:
        config = kannel.carrier_config(
            callback_url=callback_recorder.url(DLR_PATH), callback_token=TOKEN, method=method
        )
        carrier = create_kannel(config)
        try:
            result = await carrier.send(sms(CHINESE))
        finally:
            await carrier.aclose()

        [received] = await kannel.wait_for_received(1)
        assert (received.kind, received.text) == ("ucs-2", CHINESE)
        assert (received.sender, received.receiver) == ("10690001", "8613800138000")
        assert result.carrier_message_id is None
        assert result.accepted_at <= datetime.now(UTC)

    async def test_gsm_text_arrives_as_seven_bit(
        self, kannel_carrier: KannelCarrier, kannel: KannelHarness
    ) -> None:
        assert encoding_of(ASCII) is Encoding.GSM7
        await kannel_carrier.send(sms(ASCII))

        [received] = await kannel.wait_for_received(1)
        assert (received.kind, received.text) == ("text", ASCII)

    @pytest.mark.parametrize(
        ("number_format", "expected"),
        [
            pytest.param("international", "8613800138000", id="international"),
            pytest.param("e164", "+8613800138000", id="e164"),
            pytest.param("national", "13800138000", id="national"),
        ],
    )
    async def test_number_format(
        self,
        kannel: KannelHarness,
        callback_recorder: CallbackRecorder,
        number_format: str,
        expected: str,
    ) -> None:
        config = kannel.carrier_config(
            callback_url=callback_recorder.url(DLR_PATH),
            callback_token=TOKEN,
            number_format=number_format,
        )
        carrier = create_kannel(config)
        try:
            await carrier.send(sms("TD"))
        finally:
            await carrier.aclose()

        [received] = await kannel.wait_for_received(1)
        assert received.receiver == expected


class TestRefusals:
    """Kannel's refusals become the right kind of CarrierError."""

    async def test_wrong_password_is_permanent(
        self, kannel: KannelHarness, callback_recorder: CallbackRecorder
    ) -> None:
        config = kannel.carrier_config(
            callback_url=callback_recorder.url(DLR_PATH), callback_token=TOKEN
        )
        carrier = create_kannel({**config, "password": "not-the-password"})
        try:
            with pytest.raises(PermanentCarrierError, match="Authorization failed") as caught:
                await carrier.send(sms(CHINESE))
        finally:
            await carrier.aclose()
        assert caught.value.code == "403"
        assert kannel.received() == []

    async def test_smsbox_down_is_retryable(
        self, kannel: KannelHarness, kannel_carrier: KannelCarrier
    ) -> None:
        kannel.stop_smsbox()

        with pytest.raises(RetryableCarrierError, match="could not connect"):
            await kannel_carrier.send(sms(CHINESE))
        assert kannel.received() == []
