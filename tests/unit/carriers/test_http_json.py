"""The generic ``http`` carrier: its fixed wire contract, error mapping, callbacks and settings."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from smsgate.carriers import (
    CallbackRejected,
    CallbackRequest,
    CarrierError,
    DeliveryReport,
    DeliveryState,
    InboundSms,
    InvalidCarrierConfig,
    MalformedCallback,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    ReceivesCallbacks,
    RetryableCarrierError,
    SendResult,
)
from smsgate.carriers.http_json import (
    HttpJsonCallbacks,
    HttpJsonCarrier,
    HttpJsonSettings,
    create_http,
)
from smsgate.core.sms import Encoding

URL = "https://sink.example.test/sms"
SECRET = b"shared-secret-for-tests"
T0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
NOW = int(T0.timestamp())

MESSAGE = OutboundSms(
    message_id="msg_01",
    attempt=2,
    phone="+8613800138000",
    text="【安信消费金融】张三您好，您的账单已逾期。",
    segments=1,
    encoding=Encoding.UCS2,
    creditor_id="acme",
)


@pytest.fixture
def peer() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
async def carrier() -> AsyncIterator[HttpJsonCarrier]:
    settings = HttpJsonSettings(URL, SECRET, name="inhouse")
    adapter = HttpJsonCarrier(settings, client=httpx.AsyncClient(), clock=lambda: T0)
    yield adapter
    await adapter.aclose()


def hmac_hex(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed(body: bytes, *, at: int = NOW, secret: bytes = SECRET) -> CallbackRequest:
    """A push as the peer sends it: the body signed at ``at``."""
    headers = {
        "x-smsgate-timestamp": str(at),
        "x-smsgate-signature": "v1=" + hmac_hex(secret, str(at), body),
    }
    return CallbackRequest("POST", "/v1/dlr/inhouse", headers=headers, body=body)


def push(document: Any) -> CallbackRequest:
    return signed(json.dumps(document).encode())


class TestSendRequest:
    """A send is one POST of the contract's JSON, keyed by the attempt and signed over its bytes."""

    async def test_body_is_the_contract(
        self, peer: respx.MockRouter, carrier: HttpJsonCarrier
    ) -> None:
        route = peer.post(URL).respond(200, json={"id": "c-1"})
        await carrier.send(MESSAGE)
        assert json.loads(route.calls.last.request.content) == {
            "reference": "msg_01-2",
            "to": "+8613800138000",
            "text": "【安信消费金融】张三您好，您的账单已逾期。",
            "segments": 1,
            "encoding": "ucs2",
            "creditor": "acme",
        }

    async def test_gsm7_is_named_as_such(
        self, peer: respx.MockRouter, carrier: HttpJsonCarrier
    ) -> None:
        route = peer.post(URL).respond(200, json={"id": "c-1"})
        await carrier.send(
            replace(MESSAGE, text="Pay now. STOP to opt out", encoding=Encoding.GSM7)
        )
        body = json.loads(route.calls.last.request.content)
        assert (body["encoding"], body["text"]) == ("gsm7", "Pay now. STOP to opt out")

    async def test_headers_carry_type_idempotency_and_signature(
        self, peer: respx.MockRouter, carrier: HttpJsonCarrier
    ) -> None:
        route = peer.post(URL).respond(200, json={"id": "c-1"})
        await carrier.send(MESSAGE)
        request = route.calls.last.request
        assert request.headers["content-type"] == "application/json"
        assert request.headers["idempotency-key"] == "msg_01-2"
        assert request.headers["x-smsgate-timestamp"] == str(NOW)
        expected = "v1=" + hmac_hex(SECRET, str(NOW), request.content)
        assert request.headers["x-smsgate-signature"] == expected

    async def test_an_id_in_a_2xx_answer_is_acceptance(
        self, peer: respx.MockRouter, carrier: HttpJsonCarrier
    ) -> None:
        peer.post(URL).respond(201, json={"id": "peer-42", "extra": True})
        assert await carrier.send(MESSAGE) == SendResult("inhouse", T0, "peer-42")


UNKNOWN, RETRY, REFUSED = OutcomeUnknown, RetryableCarrierError, PermanentCarrierError


class TestAnswerMapping:
    """Every other answer becomes the CarrierError its status and body mean."""

    @pytest.mark.parametrize(
        ("status", "content", "error", "code"),
        [
            pytest.param(200, b"ok", UNKNOWN, "http_200", id="2xx-not-json"),
            pytest.param(202, b'{"status":"queued"}', UNKNOWN, "http_202", id="2xx-no-id"),
            pytest.param(200, b'{"id":""}', UNKNOWN, "http_200", id="2xx-empty-id"),
            pytest.param(200, b'{"id":17}', UNKNOWN, "http_200", id="2xx-numeric-id"),
            pytest.param(200, b'["c-1"]', UNKNOWN, "http_200", id="2xx-json-array"),
            pytest.param(204, b"", UNKNOWN, "http_204", id="204-empty"),
            pytest.param(408, b"", RETRY, "http_408", id="408"),
            pytest.param(425, b"", RETRY, "http_425", id="425"),
            pytest.param(429, b'{"code":"slow"}', RETRY, "http_429", id="429"),
            pytest.param(500, b"", RETRY, "http_500", id="500"),
            pytest.param(502, b"<html>", RETRY, "http_502", id="502"),
            pytest.param(503, b"", RETRY, "http_503", id="503"),
            pytest.param(504, b"", RETRY, "http_504", id="504"),
            pytest.param(400, b'{"code":"invalid_number"}', REFUSED, "invalid_number", id="400"),
            pytest.param(422, b'{"code":"spam","detail":"x"}', REFUSED, "spam", id="422"),
            pytest.param(401, b'{"code":7}', REFUSED, "http_401", id="code-not-text"),
            pytest.param(403, b"forbidden", REFUSED, "http_403", id="403-text"),
            pytest.param(404, b"", REFUSED, "http_404", id="404-empty"),
            pytest.param(301, b"", REFUSED, "http_301", id="redirect"),
        ],
    )
    async def test_status_and_body_decide(
        self,
        peer: respx.MockRouter,
        carrier: HttpJsonCarrier,
        status: int,
        content: bytes,
        error: type[CarrierError],
        code: str,
    ) -> None:
        peer.post(URL).respond(status, content=content)
        with pytest.raises(CarrierError) as raised:
            await carrier.send(MESSAGE)
        assert type(raised.value) is error
        assert raised.value.code == code


class TestTransportFailures:
    """Nothing written is retryable; a request that may have been written is an unknown outcome."""

    @pytest.mark.parametrize(
        ("failure", "error"),
        [
            pytest.param(httpx.ConnectError("refused"), RetryableCarrierError, id="connect"),
            pytest.param(httpx.ConnectTimeout("slow"), RetryableCarrierError, id="connect-timeout"),
            pytest.param(httpx.ReadTimeout("no answer"), OutcomeUnknown, id="read-timeout"),
            pytest.param(httpx.RemoteProtocolError("cut"), OutcomeUnknown, id="dropped"),
        ],
    )
    async def test_failure_class(
        self,
        peer: respx.MockRouter,
        carrier: HttpJsonCarrier,
        failure: Exception,
        error: type[CarrierError],
    ) -> None:
        peer.post(URL).mock(side_effect=failure)
        with pytest.raises(CarrierError) as raised:
            await carrier.send(MESSAGE)
        assert type(raised.value) is error

    async def test_aclose_closes_the_client(self) -> None:
        client = httpx.AsyncClient()
        adapter = HttpJsonCarrier(HttpJsonSettings(URL, SECRET), client=client)
        await adapter.aclose()
        assert client.is_closed


class TestCallbackAuthentication:
    """Only a push signed with the shared secret inside the five-minute window gets through."""

    @pytest.fixture
    def callbacks(self) -> HttpJsonCallbacks:
        return HttpJsonCallbacks(SECRET, clock=lambda: T0)

    def test_a_fresh_signed_push_passes(self, callbacks: HttpJsonCallbacks) -> None:
        callbacks.authenticate(signed(b'{"reports":[]}', at=NOW - 299))

    @pytest.mark.parametrize(
        ("request_", "fault"),
        [
            pytest.param(CallbackRequest("POST", "/", body=b"{}"), "missing", id="unsigned"),
            pytest.param(signed(b"{}", secret=b"guess"), "mismatch", id="other-secret"),
            pytest.param(
                CallbackRequest("POST", "/", headers=signed(b"{}").headers, body=b'{"x":1}'),
                "mismatch",
                id="tampered-body",
            ),
            pytest.param(signed(b"{}", at=NOW - 301), "expired", id="replayed"),
            pytest.param(signed(b"{}", at=NOW + 301), "future", id="future"),
        ],
    )
    def test_refused_pushes(
        self, callbacks: HttpJsonCallbacks, request_: CallbackRequest, fault: str
    ) -> None:
        with pytest.raises(CallbackRejected, match=f"signature refused: {fault}") as raised:
            callbacks.authenticate(request_)
        assert SECRET.decode() not in str(raised.value)

    async def test_the_adapter_checks_with_its_own_secret(self) -> None:
        adapter = HttpJsonCarrier(HttpJsonSettings(URL, b"other"), clock=lambda: T0)
        adapter.callbacks.authenticate(signed(b"{}", secret=b"other"))
        with pytest.raises(CallbackRejected):
            adapter.callbacks.authenticate(signed(b"{}"))
        await adapter.aclose()


class TestDeliveryReports:
    """A reports push becomes one DeliveryReport per item; anything unreadable is malformed."""

    callbacks = HttpJsonCallbacks(SECRET, clock=lambda: T0)

    def test_every_field_is_read(self) -> None:
        failed = {
            "id": "c-1",
            "reference": "msg_01-2",
            "status": "failed",
            "code": "UNDELIV",
            "at": "2024-05-01T10:00:05+08:00",
        }
        delivered = {"reference": "msg_02-1", "status": "delivered", "at": "2024-05-01T02:00Z"}
        batch = {"reports": [failed, delivered, {"id": "c-3", "status": "accepted"}]}
        reports = self.callbacks.delivery_reports(push(batch))
        assert reports == [
            DeliveryReport(DeliveryState.FAILED, "c-1", "msg_01-2", "UNDELIV",
                           reported_at=datetime(2024, 5, 1, 2, 0, 5, tzinfo=UTC)),
            DeliveryReport(DeliveryState.DELIVERED, None, "msg_02-1", reported_at=T0),
            DeliveryReport(DeliveryState.ACCEPTED, "c-3"),
        ]  # fmt: skip
        assert reports[0].reported_at is not None
        assert reports[0].reported_at.utcoffset() == timedelta(hours=8)

    def test_an_empty_batch_is_no_reports(self) -> None:
        assert self.callbacks.delivery_reports(push({"reports": []})) == []

    @pytest.mark.parametrize(
        "document",
        [
            pytest.param({"messages": []}, id="wrong-kind"),
            pytest.param([{"id": "c-1", "status": "delivered"}], id="bare-list"),
            pytest.param({"reports": {"id": "c-1"}}, id="not-a-list"),
            pytest.param({"reports": ["c-1"]}, id="item-not-object"),
            pytest.param({"reports": [{"status": "delivered"}]}, id="no-id-or-reference"),
            pytest.param({"reports": [{"id": "c-1", "status": "DELIVRD"}]}, id="unknown-status"),
            pytest.param({"reports": [{"id": "c-1", "status": ["x"]}]}, id="status-not-text"),
            pytest.param({"reports": [{"id": 5, "status": "failed"}]}, id="id-not-text"),
            pytest.param(
                {"reports": [{"id": "c-1", "status": "failed", "at": "2024-05-01 10:00"}]},
                id="time-without-offset",
            ),
            pytest.param(
                {"reports": [{"id": "c-1", "status": "failed", "at": "yesterday"}]},
                id="time-not-rfc3339",
            ),
        ],
    )
    def test_unreadable_pushes_are_malformed(self, document: Any) -> None:
        with pytest.raises(MalformedCallback):
            self.callbacks.delivery_reports(push(document))

    def test_a_body_that_is_not_json_is_malformed(self) -> None:
        with pytest.raises(MalformedCallback):
            self.callbacks.delivery_reports(signed(b"\xff\xfe not json"))


class TestInboundMessages:
    """A messages push becomes one InboundSms per reply, the sender in E.164."""

    callbacks = HttpJsonCallbacks(SECRET, clock=lambda: T0)

    def test_every_field_is_read(self) -> None:
        body = {
            "messages": [
                {"from": "+8613800138000", "text": "退订", "id": "mo-1",
                 "at": "2024-05-01T02:00:00Z", "to": "106900001234"},
                {"from": "+14155552671", "text": "STOP"},
            ]
        }  # fmt: skip
        assert self.callbacks.inbound_messages(push(body)) == [
            InboundSms("+8613800138000", "退订", T0, "mo-1", extension="106900001234"),
            InboundSms("+14155552671", "STOP"),
        ]

    @pytest.mark.parametrize(
        "item",
        [
            pytest.param({"from": "13800138000", "text": "TD"}, id="not-e164"),
            pytest.param({"from": "+86 138 0013 8000", "text": "TD"}, id="spaces"),
            pytest.param({"text": "TD"}, id="no-sender"),
            pytest.param({"from": "+8613800138000"}, id="no-text"),
            pytest.param({"from": "+8613800138000", "text": 1}, id="text-not-string"),
        ],
    )
    def test_unreadable_replies_are_malformed(self, item: dict[str, Any]) -> None:
        with pytest.raises(MalformedCallback):
            self.callbacks.inbound_messages(push({"messages": [item]}))

    def test_the_reply_is_ok_json(self) -> None:
        reply = self.callbacks.reply()
        assert (reply.status, json.loads(reply.body)) == (200, {"ok": True})


HTTP_CONFIG: dict[str, Any] = {"url": URL, "secret": "s"}


class TestCreateHttp:
    """The factory checks every setting and says which environment variable holds the secret."""

    @pytest.mark.parametrize(
        ("change", "name"),
        [
            pytest.param({"name": "inhouse", "timeout_seconds": 3}, "inhouse", id="named"),
            pytest.param({"url": "http://127.0.0.1:9/sms"}, "http", id="default-name"),
            pytest.param({"timeout_seconds": "2.5"}, "http", id="timeout-as-env-text"),
        ],
    )
    async def test_builds_an_adapter_that_receives_callbacks(
        self, change: dict[str, Any], name: str
    ) -> None:
        adapter = create_http({**HTTP_CONFIG, **change})
        assert (adapter.name, isinstance(adapter, ReceivesCallbacks)) == (name, True)
        await adapter.aclose()

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            pytest.param({"token": "x"}, "unknown setting", id="typo"),
            pytest.param({"url": None}, "needs an http", id="no-url"),
            pytest.param({"url": "ftp://x/y"}, "needs an http", id="ftp"),
            pytest.param({"url": "https:///path"}, "needs an http", id="no-host"),
            pytest.param({"secret": None}, "SMSGATE_CARRIER_HTTP_SECRET", id="no-secret"),
            pytest.param({"name": "inhouse-main", "secret": ""},
                         "SMSGATE_CARRIER_INHOUSE_MAIN_SECRET", id="empty-secret-named"),
            pytest.param({"timeout_seconds": 0}, "positive", id="timeout-zero"),
            pytest.param({"timeout_seconds": "five"}, "positive", id="timeout-words"),
            pytest.param({"timeout_seconds": "nan"}, "positive", id="timeout-nan"),
            pytest.param({"timeout_seconds": "inf"}, "positive", id="timeout-inf"),
            pytest.param({"timeout_seconds": True}, "positive", id="timeout-bool"),
            pytest.param({"name": ""}, "name", id="empty-name"),
        ],
    )  # fmt: skip
    def test_bad_settings_are_refused(self, change: dict[str, Any], message: str) -> None:
        config = {
            key: value for key, value in {**HTTP_CONFIG, **change}.items() if value is not None
        }
        with pytest.raises(InvalidCarrierConfig, match=message):
            create_http(config)

    def test_a_misplaced_secret_is_not_echoed(self) -> None:
        with pytest.raises(InvalidCarrierConfig) as raised:
            create_http({"url": URL, "secret": 982734561})
        assert "982734561" not in str(raised.value)

    def test_settings_never_show_the_secret(self) -> None:
        assert SECRET.decode() not in repr(HttpJsonSettings(URL, SECRET))
