"""Tencent's status and reply pushes: token and address checks, parsing, the acknowledgement."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from ipaddress import ip_network
from typing import Any

import pytest

from smsgate.carriers import (
    CallbackRejected,
    CallbackRequest,
    DeliveryReport,
    DeliveryState,
    InboundSms,
    MalformedCallback,
)
from smsgate.carriers.tencent.adapter import TencentSmsCarrier
from smsgate.carriers.tencent.callbacks import TencentCallbacks
from smsgate.carriers.tencent.config import TencentSettings
from smsgate.carriers.tencent.signing import TencentCredentials

TOKEN = "Zq3-callback-token-8f2c1e"
TENCENT_RANGE = [ip_network("203.0.113.0/24"), ip_network("2001:db8::/32")]


def push(
    document: Any = (),
    *,
    token: str | None = TOKEN,
    remote: str = "203.0.113.7",
    query: Mapping[str, Sequence[str]] | None = None,
) -> CallbackRequest:
    parameters = dict(query or ({"token": [token]} if token is not None else {}))
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return CallbackRequest("POST", "/v1/dlr/tencent", query=parameters, body=body, remote=remote)


class TestAuthentication:
    """A push needs the configured token, and an allowed address when addresses are configured."""

    def test_the_right_token_passes(self) -> None:
        TencentCallbacks(TOKEN).authenticate(push(remote="198.51.100.1"))

    @pytest.mark.parametrize(
        "request_",
        [
            pytest.param(push(token=None), id="no-token"),
            pytest.param(push(token=""), id="empty-token"),
            pytest.param(push(token=TOKEN[:-1]), id="prefix-of-token"),
            pytest.param(push(token=TOKEN + "x"), id="longer-token"),
            pytest.param(push(token=TOKEN.upper()), id="other-case"),
            pytest.param(push(query={"token": ["guess", TOKEN]}), id="right-token-second"),
        ],
    )
    def test_a_wrong_token_is_rejected(self, request_: CallbackRequest) -> None:
        with pytest.raises(CallbackRejected, match="'token'") as raised:
            TencentCallbacks(TOKEN).authenticate(request_)
        assert TOKEN not in str(raised.value)

    def test_without_a_configured_token_everything_is_rejected(self) -> None:
        with pytest.raises(CallbackRejected, match="no callback_token"):
            TencentCallbacks("").authenticate(push(token=""))

    @pytest.mark.parametrize(
        "remote",
        [
            pytest.param("203.0.113.250", id="ipv4-in-range"),
            pytest.param("2001:db8::17", id="ipv6-in-range"),
            pytest.param("::ffff:203.0.113.9", id="ipv4-mapped"),
        ],
    )
    def test_allowed_addresses_pass(self, remote: str) -> None:
        TencentCallbacks(TOKEN, TENCENT_RANGE).authenticate(push(remote=remote))

    @pytest.mark.parametrize(
        "remote",
        [
            pytest.param("198.51.100.7", id="outside"),
            pytest.param("::ffff:198.51.100.7", id="mapped-outside"),
            pytest.param("", id="unknown-peer"),
            pytest.param("not-an-address", id="garbage"),
        ],
    )
    def test_other_addresses_are_rejected(self, remote: str) -> None:
        with pytest.raises(CallbackRejected, match="allowed_ips"):
            TencentCallbacks(TOKEN, TENCENT_RANGE).authenticate(push(remote=remote))

    def test_an_allowed_address_still_needs_the_token(self) -> None:
        with pytest.raises(CallbackRejected, match="'token'"):
            TencentCallbacks(TOKEN, TENCENT_RANGE).authenticate(push(token="nope"))

    async def test_the_adapter_uses_its_configured_token_and_addresses(self) -> None:
        allowed = (ip_network("192.0.2.0/24"),)
        credentials = TencentCredentials("id", "key")
        settings = TencentSettings(credentials, "1", {}, callback_token=TOKEN, allowed_ips=allowed)
        adapter = TencentSmsCarrier(settings)
        adapter.callbacks.authenticate(push(remote="192.0.2.10"))
        with pytest.raises(CallbackRejected):
            adapter.callbacks.authenticate(push(remote="203.0.113.7"))
        await adapter.aclose()


def status(**changes: Any) -> dict[str, Any]:
    """One status report as Tencent documents it, with real digits."""
    documented = {
        "user_receive_time": "2015-10-17 08:03:04",
        "nationcode": "86",
        "mobile": "13800138000",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": "2433:3380839611416929460701",
    }
    return {key: value for key, value in {**documented, **changes}.items() if value is not None}


class TestDeliveryReports:
    """Each item of the status list is one report, found by sid, timed in Beijing time."""

    callbacks = TencentCallbacks(TOKEN)

    def test_the_documented_report(self) -> None:
        assert self.callbacks.delivery_reports(push([status()])) == [
            DeliveryReport(
                DeliveryState.DELIVERED,
                carrier_message_id="2433:3380839611416929460701",
                error_code="DELIVRD",
                description="用户短信送达成功",
                reported_at=datetime(2015, 10, 17, 0, 3, 4, tzinfo=UTC),
                phone="+8613800138000",
            )
        ]

    def test_a_batch_keeps_order_failures_and_references(self) -> None:
        reports = self.callbacks.delivery_reports(
            push(
                [
                    status(sid="s-1", report_status="FAIL", errmsg="MK:0001", description="空号"),
                    status(sid="s-2", ext="msg_01-2", nationcode=None, mobile=None),
                ]
            )
        )
        assert [(r.state, r.carrier_message_id, r.error_code) for r in reports] == [
            (DeliveryState.FAILED, "s-1", "MK:0001"),
            (DeliveryState.DELIVERED, "s-2", "DELIVRD"),
        ]
        assert (reports[1].client_reference, reports[1].phone) == ("msg_01-2", None)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param(b"report_status=SUCCESS", id="not-json"),
            pytest.param(b"[1, 2]", id="items-not-objects"),
            pytest.param(b'"SUCCESS"', id="a-string"),
            pytest.param([status(report_status="DELIVRD")], id="unknown-status"),
            pytest.param([status(report_status=None)], id="no-status"),
            pytest.param([status(sid=None)], id="no-sid"),
            pytest.param([status(sid=["s"])], id="sid-not-text"),
            pytest.param([status(user_receive_time="2015-10-17T08:03:04Z")], id="time-format"),
            pytest.param([status(mobile="138-0013-8000")], id="mobile-not-digits"),
        ],
    )
    def test_unreadable_reports_are_malformed(self, body: Any) -> None:
        with pytest.raises(MalformedCallback):
            self.callbacks.delivery_reports(push(body))


def reply(**changes: Any) -> dict[str, Any]:
    """One reply as Tencent documents it, with real values."""
    documented = {
        "extend": "01",
        "mobile": "13800138000",
        "nationcode": "86",
        "sign": "安信消费金融",
        "text": "退订",
        "time": 1457336869,
    }
    return {key: value for key, value in {**documented, **changes}.items() if value is not None}


class TestInboundMessages:
    """A reply push (one object, or a list) becomes InboundSms with its sign and extend code."""

    callbacks = TencentCallbacks(TOKEN)

    def test_the_documented_reply(self) -> None:
        assert self.callbacks.inbound_messages(push(reply())) == [
            InboundSms(
                "+8613800138000",
                "退订",
                received_at=datetime(2016, 3, 7, 7, 47, 49, tzinfo=UTC),
                signature="安信消费金融",
                extension="01",
            )
        ]

    def test_a_list_and_optional_fields(self) -> None:
        replies = self.callbacks.inbound_messages(
            push([reply(extend="", time=None), reply(nationcode="852", mobile="91234567")])
        )
        assert replies[0] == InboundSms("+8613800138000", "退订", signature="安信消费金融")
        assert replies[1].phone == "+85291234567"

    def test_a_time_given_as_digits_is_read(self) -> None:
        [message] = self.callbacks.inbound_messages(push(reply(time="1457336869")))
        assert message.received_at == datetime(2016, 3, 7, 7, 47, 49, tzinfo=UTC)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param(reply(nationcode=None), id="no-country-code"),
            pytest.param(reply(mobile=None), id="no-mobile"),
            pytest.param(reply(nationcode="0", mobile="13800138000"), id="leading-zero"),
            pytest.param(reply(text=None), id="no-text"),
            pytest.param(reply(text=["退订"]), id="text-not-string"),
            pytest.param(reply(time="yesterday"), id="time-not-unix"),
            pytest.param(reply(time=-5), id="negative-time"),
            pytest.param(reply(time=True), id="boolean-time"),
        ],
    )
    def test_unreadable_replies_are_malformed(self, body: Any) -> None:
        with pytest.raises(MalformedCallback):
            self.callbacks.inbound_messages(push(body))

    def test_the_acknowledgement_is_what_tencent_expects(self) -> None:
        answer = self.callbacks.reply()
        assert (answer.status, answer.content_type) == (200, "application/json")
        assert json.loads(answer.body) == {"result": 0, "errmsg": "OK"}
