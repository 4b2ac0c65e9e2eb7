"""Kannel's dlr-url and sms-service callbacks: the token and address checks, reports, replies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smsgate.carriers import (
    CallbackRejected,
    CallbackRequest,
    CarrierAdapter,
    CarrierCallbacks,
    DeliveryState,
    MalformedCallback,
    ReceivesCallbacks,
)
from smsgate.carriers.kannel.adapter import create_kannel
from smsgate.carriers.kannel.callbacks import KannelCallbacks, e164_from_kannel, smsc_answer

TOKEN = "tok-0123456789abcdef"
CONFIG: dict[str, Any] = {
    "url": "http://kannel.test:13013/cgi-bin/sendsms",
    "username": "smsgate",
    "password": "kannel-pass-secret",
    "callback_url": "https://gw.example/v1/dlr/kannel",
    "callback_token": TOKEN,
}


def dlr_request(**params: str) -> CallbackRequest:
    query = {"token": TOKEN, "ref": "msg_a-2", "status": "1", "answer": "", "ts": "1714528800"}
    query.update(params)
    return CallbackRequest(
        "GET", "/v1/dlr/kannel", {k: [v] for k, v in query.items()}, remote="10.0.0.5"
    )


def mo_request(**params: str) -> CallbackRequest:
    query = {
        "token": TOKEN,
        "from": "8613800138000",
        "to": "10690001",
        "text": "退订",
        "ts": "1714528800",
        "id": "9b2c6a51-0d2e-4d7e-9f0e-1b7f0c4d8a11",
        "coding": "0",
    }
    query.update(params)
    return CallbackRequest("GET", "/v1/mo/kannel", {k: [v] for k, v in query.items()})


CALLBACKS = KannelCallbacks(TOKEN)


class TestAuthentication:
    """Only requests with our token (and from an allowed address, if configured) pass."""

    def test_adapter_receives_callbacks(self) -> None:
        carrier: CarrierAdapter = create_kannel(CONFIG)  # mypy checks the Protocol
        assert isinstance(carrier, ReceivesCallbacks)
        assert isinstance(carrier.callbacks, CarrierCallbacks)

    def test_token_matches(self) -> None:
        CALLBACKS.authenticate(dlr_request())

    @pytest.mark.parametrize("token", [None, "", TOKEN + "x", TOKEN.upper(), "退订"])
    def test_wrong_or_missing_token(self, token: str | None) -> None:
        request = dlr_request(token=token or "")
        if token is None:
            request = CallbackRequest("GET", "/v1/dlr/kannel", {"ref": ["msg_a-2"]})
        with pytest.raises(CallbackRejected):
            CALLBACKS.authenticate(request)

    @pytest.mark.parametrize(
        ("remote", "allowed"),
        [
            pytest.param("10.0.0.5", True, id="in-network"),
            pytest.param("::ffff:10.0.0.5", True, id="ipv4-mapped"),
            pytest.param("10.0.1.5", False, id="outside"),
            pytest.param("", False, id="unknown-peer"),
        ],
    )
    def test_allowed_ips(self, remote: str, allowed: bool) -> None:
        carrier = create_kannel({**CONFIG, "allowed_ips": "10.0.0.0/24, 192.0.2.1"})
        request = dlr_request()
        request = CallbackRequest(request.method, request.path, request.query, remote=remote)
        if allowed:
            carrier.callbacks.authenticate(request)
        else:
            with pytest.raises(CallbackRejected, match="allowed_ips"):
                carrier.callbacks.authenticate(request)

    def test_reply_is_plain_ok(self) -> None:
        reply = CALLBACKS.reply()
        assert (reply.status, reply.content_type, reply.body) == (200, "text/plain", b"ok")


class TestDeliveryReports:
    """A dlr-url hit becomes one report about our attempt."""

    @pytest.mark.parametrize(
        ("status", "state"),
        [
            pytest.param("1", DeliveryState.DELIVERED, id="1-delivered"),
            pytest.param("2", DeliveryState.FAILED, id="2-failed"),
            pytest.param("4", DeliveryState.ACCEPTED, id="4-buffered"),
            pytest.param("8", DeliveryState.ACCEPTED, id="8-smsc-accepted"),
            pytest.param("16", DeliveryState.FAILED, id="16-smsc-rejected"),
        ],
    )
    def test_states(self, status: str, state: DeliveryState) -> None:
        [report] = CALLBACKS.delivery_reports(dlr_request(status=status))
        assert (report.state, report.client_reference, report.carrier_message_id) == (
            state,
            "msg_a-2",
            None,
        )
        assert report.reported_at == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)

    def test_smsc_answer_is_the_error_code(self) -> None:
        answer = (
            "id:0A1B sub:001 dlvrd:000 submit date:2405011000 done date:2405011001"
            " stat:UNDELIV err:045 text:张三您好"
        )
        [report] = CALLBACKS.delivery_reports(dlr_request(status="2", answer=answer))
        assert report.error_code == "UNDELIV:045"
        assert "张三" not in report.description
        assert "stat:UNDELIV" in report.description

    @pytest.mark.parametrize(
        ("params", "problem"),
        [
            pytest.param({"ref": ""}, "ref", id="no-ref"),
            pytest.param({"status": "3"}, "status", id="unknown-type"),
            pytest.param({"status": "%d"}, "status", id="unfilled-code"),
            pytest.param({"ts": "yesterday"}, "ts", id="bad-time"),
            pytest.param({"status": "²"}, "status", id="superscript-digit-status"),
            pytest.param({"status": "0" * 5000 + "1"}, "status", id="huge-status"),
            pytest.param({"ts": "²"}, "ts", id="superscript-digit-time"),
            pytest.param({"ts": "9" * 12}, "ts", id="time-past-year-9999"),
            pytest.param({"ts": "9" * 5000}, "ts", id="huge-time"),
        ],
    )
    def test_malformed(self, params: dict[str, str], problem: str) -> None:
        with pytest.raises(MalformedCallback, match=problem):
            CALLBACKS.delivery_reports(dlr_request(**params))

    def test_time_is_optional(self) -> None:
        [report] = CALLBACKS.delivery_reports(dlr_request(ts=""))
        assert report.reported_at is None


class TestSmscAnswer:
    """The SMSC's words (``%A``) give a short code an operator can look up."""

    @pytest.mark.parametrize(
        ("answer", "code"),
        [
            pytest.param(
                "id:1 sub:001 dlvrd:001 stat:DELIVRD err:000 text:x", "DELIVRD", id="smpp-ok"
            ),
            pytest.param("id:1 stat:UNDELIV err:0x0b text:x", "UNDELIV:0x0b", id="smpp-err"),
            pytest.param("id:1 stat:EXPIRED", "EXPIRED", id="no-err"),
            pytest.param("ACK/", "ACK", id="smsc-ack"),
            pytest.param("NACK/0x00000045/Submit failed", "NACK/0x00000045", id="smsc-nack"),
            pytest.param("", "", id="empty"),
        ],
    )
    def test_codes(self, answer: str, code: str) -> None:
        assert smsc_answer(answer)[0] == code


class TestInboundMessages:
    """An sms-service hit becomes one reply with the sender in E.164."""

    def test_reply(self) -> None:
        [reply] = CALLBACKS.inbound_messages(mo_request())
        assert reply.phone == "+8613800138000"
        assert (reply.text, reply.extension) == ("退订", "10690001")
        assert reply.carrier_message_id == "9b2c6a51-0d2e-4d7e-9f0e-1b7f0c4d8a11"
        assert reply.received_at == datetime(2024, 5, 1, 2, 0, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("sender", "e164"),
        [
            pytest.param("13800138000", "+8613800138000", id="national"),
            pytest.param("8613800138000", "+8613800138000", id="international"),
            pytest.param("+8613800138000", "+8613800138000", id="e164"),
            pytest.param("008613800138000", "+8613800138000", id="double-zero"),
            pytest.param("85291234567", "+85291234567", id="foreign-international"),
        ],
    )
    def test_sender_numbers(self, sender: str, e164: str) -> None:
        assert e164_from_kannel(sender, "CN") == e164

    @pytest.mark.parametrize(
        ("params", "problem"),
        [
            pytest.param({"from": ""}, "from", id="no-sender"),
            pytest.param({"from": "not-a-phone"}, "phone number", id="bad-sender"),
            pytest.param({"coding": "2"}, "mo-recode", id="raw-ucs2"),
        ],
    )
    def test_malformed(self, params: dict[str, str], problem: str) -> None:
        with pytest.raises(MalformedCallback, match=problem):
            CALLBACKS.inbound_messages(mo_request(**params))

    def test_empty_text_is_a_reply(self) -> None:
        [reply] = CALLBACKS.inbound_messages(mo_request(text=""))
        assert reply.text == ""
