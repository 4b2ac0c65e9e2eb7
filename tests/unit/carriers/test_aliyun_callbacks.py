"""Aliyun's SmsReport and SmsUp pushes: token and address checks, batch parsing, the reply."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from smsgate.carriers import (
    CallbackRejected,
    CallbackRequest,
    CarrierCallbacks,
    DeliveryReport,
    DeliveryState,
    InboundSms,
    MalformedCallback,
    ReceivesCallbacks,
)
from smsgate.carriers.aliyun.adapter import create_aliyun
from smsgate.carriers.aliyun.callbacks import AliyunCallbacks, china_time, e164_from_aliyun

TOKEN = "k3Q9-callback-token-0123456789"
CALLBACKS = AliyunCallbacks(token=TOKEN)


def push(items: Any, *, token: str | None = TOKEN, remote: str = "203.0.113.7") -> CallbackRequest:
    body = items if isinstance(items, bytes) else json.dumps(items, ensure_ascii=False).encode()
    query = {} if token is None else {"token": [token]}
    return CallbackRequest("POST", "/v1/dlr/aliyun-main", query=query, body=body, remote=remote)


def _allowing(*entries: str) -> AliyunCallbacks:
    networks = [ipaddress.ip_network(entry) for entry in entries]
    return AliyunCallbacks(token=TOKEN, allowed_networks=networks)


def _without(item: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != name}


REPORT = {
    "phone_number": "13800138000",
    "send_time": "2024-05-01 10:00:01",
    "report_time": "2024-05-01 10:00:05",
    "success": True,
    "err_code": "DELIVERED",
    "err_msg": "用户接收成功",
    "sms_size": "1",
    "biz_id": "900619746936498440^0",
    "out_id": "msg_a-2",
}
REPLY = {
    "phone_number": "13800138000",
    "send_time": "2024-05-01 12:30:00",
    "content": "退订",
    "sign_name": "安信消费金融",
    "dest_code": "1234",
    "sequence_id": 1234567890,
}


class TestAuthenticate:
    """Only a request with the configured token, from an allowed address, passes."""

    def test_matching_token(self) -> None:
        CALLBACKS.authenticate(push([]))

    @pytest.mark.parametrize(
        ("request_", "reason"),
        [
            pytest.param(push([], token=None), "no token", id="missing"),
            pytest.param(push([], token="wrong-token-0123456789"), "does not match", id="wrong"),
            pytest.param(push([], token=""), "does not match", id="empty"),
            pytest.param(push([], token=TOKEN + "x"), "does not match", id="longer"),
        ],
    )
    def test_bad_token(self, request_: CallbackRequest, reason: str) -> None:
        with pytest.raises(CallbackRejected, match=reason) as raised:
            CALLBACKS.authenticate(request_)
        assert TOKEN not in str(raised.value)

    def test_without_a_configured_token_everything_is_refused(self) -> None:
        with pytest.raises(CallbackRejected, match="no callback_token"):
            AliyunCallbacks(token=None).authenticate(push([]))

    @pytest.mark.parametrize(
        "remote",
        [
            pytest.param("106.11.0.9", id="inside-cidr"),
            pytest.param("47.97.1.2", id="single-address"),
            pytest.param("::ffff:106.11.200.1", id="ipv4-mapped"),
            pytest.param("2408:4000::5", id="ipv6-cidr"),
        ],
    )
    def test_allowed_address(self, remote: str) -> None:
        callbacks = _allowing("106.11.0.0/16", "47.97.1.2", "2408:4000::/32")
        callbacks.authenticate(push([], remote=remote))

    @pytest.mark.parametrize(
        "remote",
        [
            pytest.param("203.0.113.7", id="outside"),
            pytest.param("47.97.1.3", id="neighbour"),
            pytest.param("", id="unknown"),
            pytest.param("not-an-ip", id="garbage"),
        ],
    )
    def test_refused_address(self, remote: str) -> None:
        callbacks = _allowing("106.11.0.0/16", "47.97.1.2", "2408:4000::/32")
        with pytest.raises(CallbackRejected, match="allowed_ips"):
            callbacks.authenticate(push([], remote=remote))

    def test_allowed_address_still_needs_the_token(self) -> None:
        with pytest.raises(CallbackRejected, match="does not match"):
            _allowing("106.11.0.0/16").authenticate(push([], token="x", remote="106.11.0.9"))


class TestDeliveryReports:
    """Every SmsReport item becomes a DeliveryReport, China time turned into UTC."""

    def test_batch(self) -> None:
        failed = REPORT | {
            "phone_number": "13900139000",
            "success": False,
            "err_code": "MK:0001",
            "err_msg": "用户关机",
            "biz_id": "900619746936498441^0",
            "out_id": "msg_b-1",
        }
        no_out_id = REPORT | {"out_id": "", "phone_number": "85291234567", "success": "true"}
        reports = CALLBACKS.delivery_reports(push([REPORT, failed, no_out_id]))
        assert reports == [
            DeliveryReport(
                DeliveryState.DELIVERED,
                carrier_message_id="900619746936498440^0",
                client_reference="msg_a-2",
                error_code="DELIVERED",
                description="用户接收成功",
                reported_at=datetime(2024, 5, 1, 2, 0, 5, tzinfo=UTC),
                phone="+8613800138000",
            ),
            DeliveryReport(
                DeliveryState.FAILED,
                carrier_message_id="900619746936498441^0",
                client_reference="msg_b-1",
                error_code="MK:0001",
                description="用户关机",
                reported_at=datetime(2024, 5, 1, 2, 0, 5, tzinfo=UTC),
                phone="+8613900139000",
            ),
            DeliveryReport(
                DeliveryState.DELIVERED,
                carrier_message_id="900619746936498440^0",
                client_reference=None,
                error_code="DELIVERED",
                description="用户接收成功",
                reported_at=datetime(2024, 5, 1, 2, 0, 5, tzinfo=UTC),
                phone="+85291234567",
            ),
        ]

    def test_empty_batch(self) -> None:
        assert CALLBACKS.delivery_reports(push([])) == []

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            pytest.param(b"not json", "not UTF-8 JSON", id="not-json"),
            pytest.param(b"\xff\xfe[]", "not UTF-8 JSON", id="not-utf8"),
            pytest.param({"phone_number": "13800138000"}, "must be a JSON array", id="object"),
            pytest.param(["x"], "item 0 is not a JSON object", id="item-not-object"),
            pytest.param([REPORT, REPORT | {"success": "yes"}], "item 1: success", id="success"),
            pytest.param([REPORT | {"success": None}], "item 0: success", id="no-success"),
            pytest.param([REPORT | {"biz_id": "", "out_id": None}], "neither", id="no-ids"),
            pytest.param([REPORT | {"report_time": "May 1"}], "not a time", id="bad-time"),
            pytest.param([REPORT | {"phone_number": "12-34"}], "phone_number", id="bad-phone"),
            pytest.param([_without(REPORT, "phone_number")], "phone_number", id="no-phone"),
            pytest.param([REPORT | {"out_id": ["a"]}], "out_id must be a string", id="list-id"),
        ],
    )
    def test_malformed(self, body: Any, message: str) -> None:
        with pytest.raises(MalformedCallback, match=message):
            CALLBACKS.delivery_reports(push(body))

    def test_malformed_never_echoes_the_number(self) -> None:
        with pytest.raises(MalformedCallback) as raised:
            CALLBACKS.delivery_reports(push([REPORT | {"phone_number": "1380013800x"}]))
        assert "1380013800" not in str(raised.value)


class TestInboundMessages:
    """Every SmsUp item becomes an InboundSms with the sign name and extension it answered."""

    def test_batch(self) -> None:
        second = _without(REPLY, "sign_name") | {
            "content": "STOP",
            "send_time": "20240501123100",
            "sequence_id": "1234567891",
            "phone_number": "13900139000",
        }
        assert CALLBACKS.inbound_messages(push([REPLY, second])) == [
            InboundSms(
                phone="+8613800138000",
                text="退订",
                received_at=datetime(2024, 5, 1, 4, 30, tzinfo=UTC),
                carrier_message_id="1234567890",
                signature="安信消费金融",
                extension="1234",
            ),
            InboundSms(
                phone="+8613900139000",
                text="STOP",
                received_at=datetime(2024, 5, 1, 4, 31, tzinfo=UTC),
                carrier_message_id="1234567891",
                signature="",
                extension="1234",
            ),
        ]

    @pytest.mark.parametrize(
        ("item", "message"),
        [
            pytest.param(_without(REPLY, "sequence_id"), "sequence_id", id="no-sequence"),
            pytest.param(REPLY | {"sequence_id": True}, "sequence_id", id="bool-sequence"),
            pytest.param(REPLY | {"sequence_id": ""}, "sequence_id", id="empty-sequence"),
            pytest.param(REPLY | {"content": 5}, "content", id="content-not-text"),
            pytest.param(_without(REPLY, "phone_number"), "phone_number", id="no-phone"),
            pytest.param(REPLY | {"send_time": "yesterday"}, "not a time", id="bad-time"),
        ],
    )
    def test_malformed(self, item: dict[str, Any], message: str) -> None:
        with pytest.raises(MalformedCallback, match=f"SmsUp item 0: .*{message}"):
            CALLBACKS.inbound_messages(push([item]))


class TestReply:
    """Aliyun stops retrying on HTTP 200 with a numeric code."""

    def test_reply(self) -> None:
        reply = CALLBACKS.reply()
        assert (reply.status, reply.content_type) == (200, "application/json")
        assert json.loads(reply.body) == {"code": 0, "msg": "成功"}


class TestAdapterCallbacks:
    """The adapter built from settings receives callbacks with its configured token and IPs."""

    def test_wired_from_settings(self) -> None:
        adapter = create_aliyun(
            {
                "access_key_id": "LTAItestkey",
                "access_key_secret": "secret-0123456789",
                "callback_token": TOKEN,
                "allowed_ips": ["106.11.0.0/16"],
            }
        )
        assert isinstance(adapter, ReceivesCallbacks)
        assert isinstance(adapter.callbacks, CarrierCallbacks)
        adapter.callbacks.authenticate(push([], remote="106.11.3.4"))
        with pytest.raises(CallbackRejected):
            adapter.callbacks.authenticate(push([], remote="203.0.113.7"))


class TestNumbersAndTimes:
    """Aliyun's numbers become E.164 and its China-time strings aware UTC datetimes."""

    @pytest.mark.parametrize(
        ("number", "e164"),
        [
            pytest.param("13800138000", "+8613800138000", id="mainland"),
            pytest.param("8613800138000", "+8613800138000", id="mainland-with-86"),
            pytest.param("+8613800138000", "+8613800138000", id="already-e164"),
            pytest.param("85291234567", "+85291234567", id="hong-kong"),
            pytest.param(" 13800138000 ", "+8613800138000", id="spaces"),
        ],
    )
    def test_e164(self, number: str, e164: str) -> None:
        assert e164_from_aliyun(number) == e164

    @pytest.mark.parametrize(
        "number", ["", "1380013800a", "123", "1" * 16, "１３８００１３８０００"]
    )
    def test_not_a_number(self, number: str) -> None:
        with pytest.raises(ValueError, match="not a phone number"):
            e164_from_aliyun(number)

    def test_china_time_midnight_is_previous_utc_day(self) -> None:
        moment = china_time("2024-05-02 00:30:00")
        assert (moment, moment.tzinfo) == (datetime(2024, 5, 1, 16, 30, tzinfo=UTC), UTC)
