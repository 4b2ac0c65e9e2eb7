"""The aliyun adapter's SendSms: the exact signed request, and every answer's meaning."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote_plus

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from smsgate.carriers import (
    CarrierError,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.aliyun.adapter import AliyunCarrier, parse_settings
from smsgate.core.sms import Encoding

ENDPOINT = "https://dysmsapi.aliyuncs.com/"
SECRET = "test-secret-1234567890"
NOW = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
NONCE = "5b4a8f9e-0000-4000-8000-00000000abcd"
BODY = "张三您好，您的账单1234.50元已逾期5天，请尽快还款。回复 TD*退订 1+1~"
SMS = OutboundSms(
    "msg_a", 2, "+8613800138000", f"【安信消费金融】{BODY}", 1, Encoding.UCS2, "acme", "tpl_1", 3
)
SETTINGS = parse_settings(
    {
        "name": "aliyun-main",
        "access_key_id": "LTAItestkey",
        "access_key_secret": SECRET,
        "sign_names": {"安信": "安信消费金融"},
        "templates": {"tpl_1": {"code": "SMS_123456789", "param": "content"}},
    }
)


def reference_signature(params: dict[str, str], secret: str) -> str:
    """Aliyun's signature derived as its Java sample does: URLEncoder, then three replacements."""

    def special_url_encode(value: str) -> str:
        encoded = quote_plus(value, safe="", encoding="utf-8")
        return encoded.replace("+", "%20").replace("*", "%2A").replace("%7E", "~")

    query = "&".join(
        f"{special_url_encode(k)}={special_url_encode(v)}" for k, v in sorted(params.items())
    )
    text = f"POST&{special_url_encode('/')}&{special_url_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def form(request: httpx.Request) -> dict[str, str]:
    pairs = parse_qsl(request.content.decode("ascii"), strict_parsing=True)
    assert len(pairs) == len(dict(pairs)), "a parameter was sent twice"
    return dict(pairs)


def answer(code: str = "OK", status: int = 200, **fields: str) -> httpx.Response:
    body = {"Code": code, "Message": "消息", "RequestId": "F655A8D5-B967", **fields}
    return httpx.Response(status, json=body)


@pytest.fixture
def aliyun() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def carrier() -> AsyncIterator[AliyunCarrier]:
    adapter = AliyunCarrier(SETTINGS, clock=lambda: NOW, nonce=lambda: NONCE)
    yield adapter
    await adapter.aclose()


class TestSignedRequest:
    """A send is one POST of exactly these form parameters, signed as Aliyun verifies it."""

    async def test_every_parameter(self, aliyun: respx.MockRouter, carrier: AliyunCarrier) -> None:
        route = aliyun.post(ENDPOINT).mock(return_value=answer(BizId="9006^0"))
        await carrier.send(SMS)
        sent = form(route.calls.last.request)
        assert {name: value for name, value in sent.items() if name != "TemplateParam"} == {
            "AccessKeyId": "LTAItestkey",
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": NONCE,
            "SignatureVersion": "1.0",
            "Timestamp": "2024-05-01T02:00:00Z",
            "Version": "2017-05-25",
            "PhoneNumbers": "13800138000",
            "SignName": "安信消费金融",
            "TemplateCode": "SMS_123456789",
            "OutId": "msg_a-2",
            "Signature": sent["Signature"],
        }
        assert json.loads(sent["TemplateParam"]) == {"content": BODY}

    async def test_signature_verifies(
        self, aliyun: respx.MockRouter, carrier: AliyunCarrier
    ) -> None:
        route = aliyun.post(ENDPOINT).mock(return_value=answer(BizId="9006^0"))
        await carrier.send(SMS)
        sent = form(route.calls.last.request)
        signature = sent.pop("Signature")
        assert signature == reference_signature(sent, SECRET)

    async def test_text_travels_in_the_body_not_the_url(
        self, aliyun: respx.MockRouter, carrier: AliyunCarrier
    ) -> None:
        route = aliyun.post(ENDPOINT).mock(return_value=answer(BizId="9006^0"))
        await carrier.send(SMS)
        request = route.calls.last.request
        assert request.url == ENDPOINT
        assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")

    @pytest.mark.parametrize(
        ("phone", "expected"),
        [
            pytest.param("+8613800138000", "13800138000", id="mainland-11-digits"),
            pytest.param("+85291234567", "85291234567", id="hong-kong-with-code"),
            pytest.param("+12025550123", "12025550123", id="international-with-code"),
        ],
    )
    async def test_phone_numbers(
        self, aliyun: respx.MockRouter, carrier: AliyunCarrier, phone: str, expected: str
    ) -> None:
        route = aliyun.post(ENDPOINT).mock(return_value=answer(BizId="9006^0"))
        await carrier.send(replace(SMS, phone=phone))
        assert form(route.calls.last.request)["PhoneNumbers"] == expected

    async def test_unmapped_signature_is_sent_as_is(
        self, aliyun: respx.MockRouter, carrier: AliyunCarrier
    ) -> None:
        route = aliyun.post(ENDPOINT).mock(return_value=answer(BizId="9006^0"))
        await carrier.send(replace(SMS, text="【安信】您好"))
        sent = form(route.calls.last.request)
        assert (sent["SignName"], json.loads(sent["TemplateParam"])) == (
            "安信消费金融",
            {"content": "您好"},
        )


class TestAccepted:
    """``Code: OK`` is a SendResult with the carrier's BizId and our clock's time."""

    async def test_send_result(self, aliyun: respx.MockRouter, carrier: AliyunCarrier) -> None:
        aliyun.post(ENDPOINT).mock(return_value=answer(BizId="900619746936498440^0"))
        assert await carrier.send(SMS) == SendResult("aliyun-main", NOW, "900619746936498440^0")


class TestRefusedBeforeSending:
    """What cannot be sent through Aliyun is refused for good without a request."""

    @pytest.mark.parametrize(
        ("message", "code"),
        [
            pytest.param(replace(SMS, template_id="tpl_x"), "unmapped_template", id="template"),
            pytest.param(replace(SMS, template_id=""), "unmapped_template", id="no-template"),
            pytest.param(replace(SMS, text="没有签名的短信"), "unmapped_signature", id="no-sign"),
            pytest.param(replace(SMS, phone="13800138000"), "invalid_phone", id="not-e164"),
        ],
    )
    async def test_permanent(
        self, aliyun: respx.MockRouter, carrier: AliyunCarrier, message: OutboundSms, code: str
    ) -> None:
        route = aliyun.post(ENDPOINT).mock(return_value=answer(BizId="9006^0"))
        with pytest.raises(PermanentCarrierError) as raised:
            await carrier.send(message)
        assert (raised.value.code, route.called) == (code, False)


class TestRefusalCodes:
    """Each documented Aliyun code is retryable, permanent or unknown, and keeps its code."""

    @pytest.mark.parametrize(
        ("code", "status", "kind"),
        [
            pytest.param("isv.BUSINESS_LIMIT_CONTROL", 200, RetryableCarrierError, id="flow-ctl"),
            pytest.param("isv.DAY_LIMIT_CONTROL", 200, RetryableCarrierError, id="day-cap"),
            pytest.param("isv.MONTH_LIMIT_CONTROL", 200, RetryableCarrierError, id="month-cap"),
            pytest.param("Throttling.User", 400, RetryableCarrierError, id="throttling-user"),
            pytest.param("Throttling", 400, RetryableCarrierError, id="throttling"),
            pytest.param("isp.SYSTEM_ERROR", 200, RetryableCarrierError, id="system-error"),
            pytest.param("isv.OUT_OF_SERVICE", 200, RetryableCarrierError, id="out-of-service"),
            pytest.param("isv.AMOUNT_NOT_ENOUGH", 200, RetryableCarrierError, id="balance"),
            pytest.param("isv.ACCOUNT_ABNORMAL", 200, RetryableCarrierError, id="account"),
            pytest.param("isv.PRODUCT_UN_SUBSCRIPT", 200, RetryableCarrierError, id="unsubscr"),
            pytest.param("isp.RAM_PERMISSION_DENY", 200, RetryableCarrierError, id="ram"),
            pytest.param("SignatureDoesNotMatch", 400, RetryableCarrierError, id="bad-secret"),
            pytest.param("InvalidAccessKeyId.NotFound", 404, RetryableCarrierError, id="key"),
            pytest.param("InvalidTimeStamp.Expired", 400, RetryableCarrierError, id="clock"),
            pytest.param("isv.DENY_IP_RANGE", 200, RetryableCarrierError, id="deny-ip-range"),
            pytest.param("isv.MOBILE_NUMBER_ILLEGAL", 200, PermanentCarrierError, id="number"),
            pytest.param("isv.MOBILE_COUNT_OVER_LIMIT", 200, PermanentCarrierError, id="count"),
            pytest.param("isv.BLACK_KEY_CONTROL_LIMIT", 200, PermanentCarrierError, id="black"),
            pytest.param("isv.SMS_TEMPLATE_ILLEGAL", 200, PermanentCarrierError, id="template"),
            pytest.param("isv.SMS_SIGNATURE_ILLEGAL", 200, PermanentCarrierError, id="sign"),
            pytest.param("isv.SMS_SIGNATURE_SCENE_ILLEGAL", 200, PermanentCarrierError, id="scene"),
            pytest.param("isv.TEMPLATE_MISSING_PARAMETERS", 200, PermanentCarrierError, id="vars"),
            pytest.param("isv.INVALID_PARAMETERS", 200, PermanentCarrierError, id="params"),
            pytest.param("isv.INVALID_JSON_PARAM", 200, PermanentCarrierError, id="json"),
            pytest.param("isv.PARAM_LENGTH_LIMIT", 200, PermanentCarrierError, id="length"),
            pytest.param("isv.SMS_CONTENT_ILLEGAL", 200, PermanentCarrierError, id="content"),
            pytest.param("isv.DOMESTIC_NUMBER_NOT_SUPPORTED", 200, PermanentCarrierError, id="dom"),
            pytest.param("isv.SOMETHING_NEW", 200, PermanentCarrierError, id="unknown-code"),
            pytest.param("SignatureNonceUsed", 400, OutcomeUnknown, id="replayed-nonce"),
        ],
    )
    async def test_mapping(
        self,
        aliyun: respx.MockRouter,
        carrier: AliyunCarrier,
        code: str,
        status: int,
        kind: type[CarrierError],
    ) -> None:
        aliyun.post(ENDPOINT).mock(return_value=answer(code, status))
        with pytest.raises(CarrierError) as raised:
            await carrier.send(SMS)
        assert (type(raised.value), raised.value.code) == (kind, code)
        assert "F655A8D5-B967" in str(raised.value)


class TestHttpAnswers:
    """Busy statuses are retryable, unreadable success is unknown, other statuses permanent."""

    @pytest.mark.parametrize(
        ("response", "kind", "code"),
        [
            pytest.param(httpx.Response(503), RetryableCarrierError, "http_503", id="503"),
            pytest.param(httpx.Response(429), RetryableCarrierError, "http_429", id="429"),
            pytest.param(
                answer("isp.SYSTEM_ERROR", 500), RetryableCarrierError, "isp.SYSTEM_ERROR", id="500"
            ),
            pytest.param(httpx.Response(200, text="<html>"), OutcomeUnknown, "", id="200-html"),
            pytest.param(httpx.Response(200, json={"A": 1}), OutcomeUnknown, "", id="200-no-code"),
            pytest.param(httpx.Response(200, json=["OK"]), OutcomeUnknown, "", id="200-array"),
            pytest.param(httpx.Response(200), OutcomeUnknown, "", id="200-empty"),
            pytest.param(httpx.Response(404), PermanentCarrierError, "http_404", id="404-bare"),
        ],
    )
    async def test_mapping(
        self,
        aliyun: respx.MockRouter,
        carrier: AliyunCarrier,
        response: httpx.Response,
        kind: type[CarrierError],
        code: str,
    ) -> None:
        aliyun.post(ENDPOINT).mock(return_value=response)
        with pytest.raises(CarrierError) as raised:
            await carrier.send(SMS)
        assert (type(raised.value), raised.value.code) == (kind, code)


class TestTransportFailures:
    """No connection is retryable; a request that may have been written is an unknown outcome."""

    @pytest.mark.parametrize(
        ("failure", "kind"),
        [
            pytest.param(httpx.ConnectError("refused"), RetryableCarrierError, id="connect"),
            pytest.param(httpx.ConnectTimeout("slow"), RetryableCarrierError, id="connect-timeout"),
            pytest.param(httpx.ReadTimeout("no answer"), OutcomeUnknown, id="read-timeout"),
            pytest.param(httpx.RemoteProtocolError("cut"), OutcomeUnknown, id="dropped"),
        ],
    )
    async def test_mapping(
        self,
        aliyun: respx.MockRouter,
        carrier: AliyunCarrier,
        failure: Exception,
        kind: type[CarrierError],
    ) -> None:
        aliyun.post(ENDPOINT).mock(side_effect=failure)
        with pytest.raises(kind):
            await carrier.send(SMS)


class TestLogs:
    """A refusal is logged with its code and request id, never the secret, text or full phone."""

    async def test_refusal_event(self, aliyun: respx.MockRouter, carrier: AliyunCarrier) -> None:
        aliyun.post(ENDPOINT).mock(return_value=answer("isv.MOBILE_NUMBER_ILLEGAL"))
        with capture_logs() as events, pytest.raises(PermanentCarrierError) as raised:
            await carrier.send(SMS)
        assert [(e["event"], e["code"], e["request_id"]) for e in events] == [
            ("aliyun_refused", "isv.MOBILE_NUMBER_ILLEGAL", "F655A8D5-B967")
        ]
        said = repr(events) + str(raised.value) + repr(carrier.__dict__)
        for secret in (SECRET, BODY[:6], "13800138000"):
            assert secret not in said


class TestClient:
    """The adapter closes the client it made and leaves an injected one open."""

    async def test_closes_its_own(self) -> None:
        adapter = AliyunCarrier(SETTINGS)
        await adapter.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await adapter.send(SMS)

    async def test_leaves_an_injected_client_open(self) -> None:
        async with httpx.AsyncClient() as client:
            adapter = AliyunCarrier(SETTINGS, client=client)
            await adapter.aclose()
            assert not client.is_closed

    async def test_uses_an_injected_transport(self) -> None:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return answer(BizId="1^0")

        adapter = AliyunCarrier(SETTINGS, transport=httpx.MockTransport(handler))
        result = await adapter.send(SMS)
        await adapter.aclose()
        assert (len(seen), result.carrier_message_id) == (1, "1^0")
