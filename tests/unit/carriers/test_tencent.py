"""The ``tencent`` carrier: the signed SendSms request, Tencent's answer codes, its settings."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from smsgate.carriers import (
    CallbackRejected,
    CallbackRequest,
    CarrierError,
    InvalidCarrierConfig,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    ReceivesCallbacks,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.tencent.adapter import TencentSmsCarrier, create_tencent
from smsgate.carriers.tencent.config import TencentSettings, TencentTemplate
from smsgate.carriers.tencent.signing import TencentCredentials
from smsgate.core.sms import Encoding

ENDPOINT = "https://sms.tencentcloudapi.com"
T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
NOW = int(T0.timestamp())
SECRET_KEY = "test-secret-key-0123456789"

SETTINGS = TencentSettings(
    credentials=TencentCredentials("AKIDtest0123456789", SECRET_KEY),
    sdk_app_id="1400006666",
    templates={"tpl_overdue": TencentTemplate("123456", 1), "tpl_fixed": TencentTemplate("777", 0)},
    name="tencent-main",
    sign_names={"安信消费金融": "安信金融"},
)


def sms(
    text: str = "【安信消费金融】张三您好，您的账单已逾期。", template: str = "tpl_overdue"
) -> OutboundSms:
    return OutboundSms(
        message_id="msg_01",
        attempt=2,
        phone="+8613800138000",
        text=text,
        segments=1,
        encoding=Encoding.UCS2,
        creditor_id="acme",
        template_id=template,
        template_version=3,
    )


def accepted(serial: Any = "2433:3380839611416929460701") -> dict[str, Any]:
    status = {"SerialNo": serial, "PhoneNumber": "+8613800138000", "Fee": 1, "Code": "Ok"}
    return {"Response": {"SendStatusSet": [status], "RequestId": "a0aabda6"}}


@pytest.fixture
def tencent_api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
async def carrier() -> AsyncIterator[TencentSmsCarrier]:
    adapter = TencentSmsCarrier(SETTINGS, client=httpx.AsyncClient(), clock=lambda: T0)
    yield adapter
    await adapter.aclose()


async def sent_request(
    tencent_api: respx.MockRouter, carrier: TencentSmsCarrier, message: OutboundSms
) -> httpx.Request:
    route = tencent_api.post(ENDPOINT).respond(200, json=accepted())
    await carrier.send(message)
    request: httpx.Request = route.calls.last.request
    return request


class TestSendRequest:
    """SendSms carries the mapped template and sign name, our body and reference, signed TC3."""

    async def test_body_maps_template_signature_and_reference(
        self, tencent_api: respx.MockRouter, carrier: TencentSmsCarrier
    ) -> None:
        request = await sent_request(tencent_api, carrier, sms())
        assert json.loads(request.content) == {
            "PhoneNumberSet": ["+8613800138000"],
            "SmsSdkAppId": "1400006666",
            "SignName": "安信金融",
            "TemplateId": "123456",
            "TemplateParamSet": ["张三您好，您的账单已逾期。"],
            "SessionContext": "msg_01-2",
        }

    @pytest.mark.parametrize(
        ("message", "fields"),
        [
            pytest.param(
                sms("【其他签名】您好"), {"SignName": "其他签名"}, id="unmapped-sign-name-as-is"
            ),
            pytest.param(sms("您好"), {"TemplateParamSet": ["您好"]}, id="no-signature"),
            pytest.param(
                sms(template="tpl_fixed"),
                {"TemplateId": "777", "TemplateParamSet": []},
                id="template-without-variables",
            ),
        ],
    )
    async def test_body_variants(
        self,
        tencent_api: respx.MockRouter,
        carrier: TencentSmsCarrier,
        message: OutboundSms,
        fields: dict[str, Any],
    ) -> None:
        body = json.loads((await sent_request(tencent_api, carrier, message)).content)
        assert {key: body[key] for key in fields} == fields
        assert ("SignName" in body) is (message.signature != "")

    async def test_headers_name_the_action_version_region_and_time(
        self, tencent_api: respx.MockRouter, carrier: TencentSmsCarrier
    ) -> None:
        headers = (await sent_request(tencent_api, carrier, sms())).headers
        assert headers["x-tc-action"] == "SendSms"
        assert headers["x-tc-version"] == "2021-01-11"
        assert headers["x-tc-region"] == "ap-guangzhou"
        assert headers["x-tc-timestamp"] == str(NOW)
        assert headers["content-type"] == "application/json; charset=utf-8"
        assert headers["host"] == "sms.tencentcloudapi.com"

    async def test_authorization_signs_exactly_what_was_sent(
        self, tencent_api: respx.MockRouter, carrier: TencentSmsCarrier
    ) -> None:
        request = await sent_request(tencent_api, carrier, sms())
        expected = independent_tc3(request, "AKIDtest0123456789", SECRET_KEY, "2024-05-01")
        assert request.headers["authorization"] == expected

    async def test_an_unmapped_template_never_reaches_tencent(
        self, tencent_api: respx.MockRouter, carrier: TencentSmsCarrier
    ) -> None:
        route = tencent_api.post(ENDPOINT).respond(200, json=accepted())
        with pytest.raises(PermanentCarrierError) as raised:
            await carrier.send(sms(template="tpl_nobody_mapped"))
        assert raised.value.code == "unmapped_template"
        assert not route.called


def independent_tc3(request: httpx.Request, secret_id: str, secret_key: str, date: str) -> str:
    """The Authorization header per Tencent's documented steps, from the request as sent."""
    canonical = "\n".join([
        "POST", "/", "",
        f"content-type:{request.headers['content-type']}\nhost:{request.headers['host']}\n",
        "content-type;host", hashlib.sha256(request.content).hexdigest(),
    ])  # fmt: skip
    scope = f"{date}/sms/tc3_request"
    to_sign = "\n".join([
        "TC3-HMAC-SHA256", request.headers["x-tc-timestamp"], scope,
        hashlib.sha256(canonical.encode()).hexdigest(),
    ])  # fmt: skip
    key = ("TC3" + secret_key).encode()
    for part in (date, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    digest = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={digest}"
    )


RETRYABLE, PERMANENT, UNKNOWN = RetryableCarrierError, PermanentCarrierError, OutcomeUnknown

CODES = [
    pytest.param("LimitExceeded.PhoneNumberDailyLimit", RETRYABLE, id="phone-daily-limit"),
    pytest.param("LimitExceeded.DeliveryFrequencyLimit", RETRYABLE, id="frequency-limit"),
    pytest.param("LimitExceeded.AppDailyLimit", RETRYABLE, id="app-daily-limit"),
    pytest.param("RequestLimitExceeded", RETRYABLE, id="request-limit"),
    pytest.param("RequestLimitExceeded.UinLimitExceeded", RETRYABLE, id="uin-limit"),
    pytest.param("InternalError.OtherError", RETRYABLE, id="internal-other"),
    pytest.param("InternalError", RETRYABLE, id="internal"),
    pytest.param("FailedOperation.InsufficientBalanceInSmsPackage", RETRYABLE, id="no-balance"),
    pytest.param("UnauthorizedOperation.SerivceSuspendDueToArrears", RETRYABLE, id="arrears"),
    pytest.param("FailedOperation.MarketingSendTimeConstraint", RETRYABLE, id="marketing-hours"),
    pytest.param("AuthFailure.SignatureExpire", RETRYABLE, id="clock-skew"),
    pytest.param("ResourceUnavailable", RETRYABLE, id="resource-unavailable"),
    pytest.param("ServiceUnavailable", RETRYABLE, id="service-unavailable"),
    pytest.param("InternalError.Timeout", UNKNOWN, id="downstream-timeout"),
    pytest.param("InternalError.SendAndRecvFail", UNKNOWN, id="downstream-send-recv"),
    pytest.param("InvalidParameterValue.IncorrectPhoneNumber", PERMANENT, id="bad-number"),
    pytest.param("FailedOperation.TemplateIncorrectOrUnapproved", PERMANENT, id="template"),
    pytest.param("FailedOperation.SignatureIncorrectOrUnapproved", PERMANENT, id="signature"),
    pytest.param("FailedOperation.ContainSensitiveWord", PERMANENT, id="sensitive-word"),
    pytest.param("FailedOperation.PhoneNumberInBlacklist", PERMANENT, id="blacklist"),
    pytest.param("FailedOperation.PhoneNumberOnBlacklist", PERMANENT, id="blacklist-2"),
    pytest.param("InvalidParameterValue.TemplateParameterLengthLimit", PERMANENT, id="param-len"),
    pytest.param("UnauthorizedOperation.SmsSdkAppIdVerifyFail", PERMANENT, id="app-id"),
    pytest.param("UnauthorizedOperation.RequestIpNotInWhitelist", PERMANENT, id="ip-whitelist"),
    pytest.param("AuthFailure.SecretIdNotFound", PERMANENT, id="secret-id"),
    pytest.param("AuthFailure.SignatureFailure", PERMANENT, id="bad-signature"),
    pytest.param("MissingParameter", PERMANENT, id="missing-parameter"),
    pytest.param("FailedOperation.SomethingNewTomorrow", PERMANENT, id="undocumented"),
]


class TestAnswers:
    """Tencent's codes decide retry, refusal or unknown, wherever in the answer they sit."""

    async def test_ok_is_acceptance_with_the_serial_number(
        self, tencent_api: respx.MockRouter, carrier: TencentSmsCarrier
    ) -> None:
        tencent_api.post(ENDPOINT).respond(200, json=accepted("2433:99"))
        assert await carrier.send(sms()) == SendResult("tencent-main", T0, "2433:99")

    async def test_ok_without_a_serial_number_is_still_accepted(
        self, tencent_api: respx.MockRouter, carrier: TencentSmsCarrier
    ) -> None:
        tencent_api.post(ENDPOINT).respond(200, json=accepted(serial=None))
        assert await carrier.send(sms()) == SendResult("tencent-main", T0, None)

    @pytest.mark.parametrize(("code", "error"), CODES)
    @pytest.mark.parametrize("place", ["request-error", "number-status"])
    async def test_code_decides_the_error(
        self,
        tencent_api: respx.MockRouter,
        carrier: TencentSmsCarrier,
        place: str,
        code: str,
        error: type[CarrierError],
    ) -> None:
        tencent_api.post(ENDPOINT).respond(200, json=refusal(place, code))
        with pytest.raises(CarrierError) as raised:
            await carrier.send(sms())
        assert (type(raised.value), raised.value.code) == (error, code)
        assert "described" in str(raised.value)

    @pytest.mark.parametrize(
        ("status", "content", "error", "code"),
        [
            pytest.param(200, b"<html>busy</html>", UNKNOWN, "", id="not-json"),
            pytest.param(200, b'{"RequestId": "x"}', UNKNOWN, "", id="no-response"),
            pytest.param(200, b'{"Response": {"RequestId": "x"}}', UNKNOWN, "", id="no-status"),
            pytest.param(200, b'{"Response": {"SendStatusSet": []}}', UNKNOWN, "", id="empty-set"),
            pytest.param(502, b"", RETRYABLE, "http_502", id="bad-gateway"),
            pytest.param(429, b"", RETRYABLE, "http_429", id="throttled"),
            pytest.param(400, b"", PERMANENT, "http_400", id="bad-request"),
        ],
    )
    async def test_unreadable_or_http_failures(
        self,
        tencent_api: respx.MockRouter,
        carrier: TencentSmsCarrier,
        status: int,
        content: bytes,
        error: type[CarrierError],
        code: str,
    ) -> None:
        tencent_api.post(ENDPOINT).respond(status, content=content)
        with pytest.raises(CarrierError) as raised:
            await carrier.send(sms())
        assert (type(raised.value), raised.value.code) == (error, code)

    @pytest.mark.parametrize(
        ("failure", "error"),
        [
            pytest.param(httpx.ConnectError("refused"), RETRYABLE, id="connect-error"),
            pytest.param(httpx.ReadTimeout("silent"), UNKNOWN, id="read-timeout"),
        ],
    )
    async def test_transport_failures(
        self,
        tencent_api: respx.MockRouter,
        carrier: TencentSmsCarrier,
        failure: Exception,
        error: type[CarrierError],
    ) -> None:
        tencent_api.post(ENDPOINT).mock(side_effect=failure)
        with pytest.raises(error):
            await carrier.send(sms())


def refusal(place: str, code: str) -> dict[str, Any]:
    if place == "request-error":
        return {"Response": {"Error": {"Code": code, "Message": "described"}, "RequestId": "r"}}
    status = {"SerialNo": "", "PhoneNumber": "+8613800138000", "Code": code, "Message": "described"}
    return {"Response": {"SendStatusSet": [status], "RequestId": "r"}}


BASE_CONFIG: dict[str, Any] = {
    "name": "tencent-main",
    "secret_id": "AKIDtest",
    "secret_key": SECRET_KEY,
    "sdk_app_id": 1400006666,
    "templates": {"tpl_overdue": {"id": "123456", "params": 1}, "tpl_short": 654321},
    "sign_names": {"安信消费金融": "安信金融"},
    "region": "ap-shanghai",
    "callback_token": "callback-token-abcdef",
    "allowed_ips": ["203.0.113.0/24", "2001:db8::/32"],
    "timeout_seconds": 5,
}


class TestCreateTencent:
    """The factory checks every setting once, and never shows a secret."""

    async def test_a_full_config_builds_an_adapter_that_receives_callbacks(self) -> None:
        adapter = create_tencent(BASE_CONFIG)
        try:
            assert adapter.name == "tencent-main"
            assert isinstance(adapter, ReceivesCallbacks)
        finally:
            await adapter.aclose()

    async def test_configured_values_reach_the_request(self, tencent_api: respx.MockRouter) -> None:
        route = tencent_api.post("https://sms.example.test").respond(200, json=accepted())
        adapter = create_tencent({**BASE_CONFIG, "endpoint": "https://sms.example.test"})
        try:
            await adapter.send(sms(template="tpl_short"))
        finally:
            await adapter.aclose()
        request = route.calls.last.request
        assert request.headers["x-tc-region"] == "ap-shanghai"
        assert request.headers["host"] == "sms.example.test"
        body = json.loads(request.content)
        assert (body["SmsSdkAppId"], body["TemplateId"]) == ("1400006666", "654321")

    async def test_defaults(self) -> None:
        minimal = {key: BASE_CONFIG[key] for key in ("secret_id", "secret_key", "sdk_app_id")}
        adapter = create_tencent({**minimal, "templates": {"t": "1"}})
        assert adapter.name == "tencent"
        await adapter.aclose()

    async def test_settings_from_the_environment_arrive_as_text(self) -> None:
        ips = "192.0.2.0/24, 2001:db8::/32"
        adapter = create_tencent({**BASE_CONFIG, "timeout_seconds": "2.5", "allowed_ips": ips})
        assert isinstance(adapter, TencentSmsCarrier)
        token = {"token": ["callback-token-abcdef"]}
        adapter.callbacks.authenticate(CallbackRequest("POST", "/", token, remote="2001:db8::1"))
        with pytest.raises(CallbackRejected, match="allowed_ips"):
            adapter.callbacks.authenticate(CallbackRequest("POST", "/", token, remote="10.0.0.1"))
        await adapter.aclose()

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            pytest.param({"sign_name": "x"}, "unknown setting", id="typo"),
            pytest.param({"secret_id": ""}, "needs secret_id", id="no-secret-id"),
            pytest.param(
                {"secret_key": ""}, "SMSGATE_CARRIER_TENCENT_MAIN_SECRET_KEY", id="no-secret-key"
            ),
            pytest.param({"sdk_app_id": None}, "sdk_app_id must be text", id="no-app-id"),
            pytest.param({"templates": {}}, "needs templates", id="no-templates"),
            pytest.param({"templates": {"t": {"id": "1", "params": 2}}}, "params 0 or 1", id="p2"),
            pytest.param({"templates": {"t": {"params": 1}}}, "Tencent's id", id="no-tpl-id"),
            pytest.param({"templates": {"t": {"id": "1", "x": 1}}}, "{id, params}", id="tpl-key"),
            pytest.param({"sign_names": {"a": 1}}, "sign_names", id="sign-name-not-text"),
            pytest.param({"endpoint": "https://sms.x/v3"}, "without a path", id="endpoint-path"),
            pytest.param({"endpoint": "sms.tencentcloudapi.com"}, "http(s)", id="no-scheme"),
            pytest.param({"allowed_ips": ["10.0.0.0/33"]}, "allowed_ips", id="bad-cidr"),
            pytest.param({"allowed_ips": 10}, "list of CIDRs", id="cidr-not-list"),
            pytest.param({"allowed_ips": "10.0.0.0/8, ten"}, "allowed_ips", id="bad-cidr-text"),
            pytest.param({"timeout_seconds": -1}, "positive", id="timeout"),
            pytest.param({"timeout_seconds": "nan"}, "positive", id="timeout-nan"),
        ],
    )
    def test_bad_settings_are_refused(self, change: dict[str, Any], message: str) -> None:
        with pytest.raises(InvalidCarrierConfig, match=re.escape(message)) as raised:
            create_tencent({**BASE_CONFIG, **change})
        assert SECRET_KEY not in str(raised.value)

    def test_a_misplaced_secret_is_not_echoed(self) -> None:
        with pytest.raises(InvalidCarrierConfig) as raised:
            create_tencent({**BASE_CONFIG, "secret_key": ["s3cr3t-value"]})
        assert "s3cr3t-value" not in str(raised.value)

    def test_settings_never_show_secrets(self) -> None:
        shown = repr(SETTINGS) + repr(
            TencentSettings(SETTINGS.credentials, "1", {}, callback_token="tok-very-secret")
        )
        assert SECRET_KEY not in shown
        assert "tok-very-secret" not in shown
