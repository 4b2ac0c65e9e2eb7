"""The kannel adapter: the sendsms request, what each answer means, its callbacks and settings."""

from __future__ import annotations

import string
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from smsgate.carriers import (
    CallbackRejected,
    CallbackRequest,
    CarrierAdapter,
    CarrierCallbacks,
    CarrierError,
    DeliveryState,
    InvalidCarrierConfig,
    MalformedCallback,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    ReceivesCallbacks,
    RetryableCarrierError,
)
from smsgate.carriers.kannel import (
    KannelCallbacks,
    KannelCarrier,
    create_kannel,
    dlr_url,
    e164_from_kannel,
    parse_settings,
    recipient,
    smsc_answer,
)
from smsgate.core.sms import Encoding

SENDSMS = "http://kannel.test:13013/cgi-bin/sendsms"
DLR = "https://gw.example/v1/dlr/kannel"
TOKEN = "tok-0123456789abcdef"
PASSWORD = "kannel-pass-secret"
NOW = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
CHINESE = "【安信消费金融】您好，请尽快还款 100% 回复TD退订"
CONFIG: dict[str, Any] = {
    "name": "kannel-backup",
    "url": SENDSMS,
    "username": "smsgate",
    "password": PASSWORD,
    "callback_url": DLR,
    "callback_token": TOKEN,
    "sender": "10690001",
}


def sms(text: str = CHINESE, encoding: Encoding = Encoding.UCS2) -> OutboundSms:
    return OutboundSms("msg_a", 2, "+8613800138000", text, 1, encoding, "acme")


def kannel_fills(pattern: str) -> str:
    """Kannel's escape-code pass over a dlr-url (urltrans_fill_escape_codes): each ``%x`` is a code.

    Every code letter becomes a marker, so a value of ours that Kannel took
    for a code would come out changed; ``%%`` is a literal ``%``.
    """
    out, index = [], 0
    while index < len(pattern):
        if pattern[index] == "%" and index + 1 < len(pattern):
            code = pattern[index + 1]
            out.append(
                "%" if code == "%" else f"<{code}>" if code in string.ascii_letters else "%" + code
            )
            index += 2
        else:
            out.append(pattern[index])
            index += 1
    return "".join(out)


@pytest.fixture
def kannel() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


async def send(config: dict[str, Any], message: OutboundSms) -> None:
    carrier = create_kannel(config)
    try:
        await carrier.send(message)
    finally:
        await carrier.aclose()


class TestSendsmsRequest:
    """One GET (or POST) per message, with every field smsbox needs."""

    @pytest.mark.parametrize(
        ("encoding", "coding"),
        [pytest.param(Encoding.UCS2, "2", id="ucs2"), pytest.param(Encoding.GSM7, "0", id="gsm7")],
    )
    async def test_get_query(
        self, kannel: respx.MockRouter, encoding: Encoding, coding: str
    ) -> None:
        route = kannel.get(SENDSMS).respond(202, text="0: Accepted for delivery")
        await send(CONFIG, sms(encoding=encoding))

        query = parse_qs(urlsplit(str(route.calls.last.request.url)).query, strict_parsing=True)
        assert {key: values[0] for key, values in query.items()} == {
            "username": "smsgate",
            "password": PASSWORD,
            "to": "8613800138000",
            "from": "10690001",
            "text": CHINESE,
            "charset": "UTF-8",
            "coding": coding,
            "dlr-mask": "31",
            "dlr-url": dlr_url(DLR, "msg_a-2", TOKEN),
        }
        assert all(len(values) == 1 for values in query.values())

    async def test_optional_fields(self, kannel: respx.MockRouter) -> None:
        route = kannel.get(SENDSMS).respond(202, text="0: Accepted for delivery")
        config = {**CONFIG, "smsc": "cmcc", "priority": "2", "dlr_mask": 3}
        del config["sender"]
        await send(config, sms())

        query = parse_qs(urlsplit(str(route.calls.last.request.url)).query)
        assert (query["smsc"], query["priority"], query["dlr-mask"]) == (["cmcc"], ["2"], ["3"])
        assert "from" not in query

    async def test_post_uses_headers_and_a_utf8_body(self, kannel: respx.MockRouter) -> None:
        route = kannel.post(SENDSMS).respond(202, text="3: Queued for later delivery")
        await send({**CONFIG, "method": "post", "smsc": "cmcc"}, sms())

        request = route.calls.last.request
        assert request.content == CHINESE.encode("utf-8")
        assert request.url.query == b""
        assert request.headers["content-type"] == "text/plain; charset=UTF-8"
        sent = {
            k.lower(): v for k, v in request.headers.items() if k.lower().startswith("x-kannel")
        }
        assert sent == {
            "x-kannel-username": "smsgate",
            "x-kannel-password": PASSWORD,
            "x-kannel-to": "8613800138000",
            "x-kannel-from": "10690001",
            "x-kannel-coding": "2",
            "x-kannel-dlr-mask": "31",
            "x-kannel-dlr-url": dlr_url(DLR, "msg_a-2", TOKEN),
            "x-kannel-smsc": "cmcc",
        }

    @pytest.mark.parametrize(
        ("answer", "events"),
        [
            pytest.param("0: Accepted for delivery", [], id="accepted"),
            pytest.param("3: Queued for later delivery", ["kannel_queued"], id="queued"),
        ],
    )
    async def test_queued_is_logged(
        self, kannel: respx.MockRouter, answer: str, events: list[str]
    ) -> None:
        kannel.get(SENDSMS).respond(202, text=answer)
        with capture_logs() as logs:
            await send(CONFIG, sms())

        assert [entry["event"] for entry in logs] == events
        flat = repr(logs)
        assert PASSWORD not in flat
        assert "8613800138000" not in flat


class TestDlrUrl:
    """Kannel substitutes only its own codes; our reference and token come back unchanged."""

    @pytest.mark.parametrize(
        "reference",
        [
            pytest.param("msg_01HZX3-1", id="plain"),
            pytest.param("msg_50%A%d/é+&x=1-3", id="percent-codes-and-reserved"),
        ],
    )
    def test_round_trip(self, reference: str) -> None:
        filled = kannel_fills(dlr_url(DLR, reference, TOKEN))

        parts = urlsplit(filled)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == DLR
        query = {
            key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()
        }
        assert query == {
            "ref": reference,
            "status": "<d>",
            "answer": "<A>",
            "ts": "<T>",
            "smsc": "<i>",
            "token": TOKEN,
        }

    def test_callback_url_with_a_query(self) -> None:
        url = kannel_fills(dlr_url(DLR + "?tenant=a%20b", "r-1", TOKEN))
        assert url.startswith(DLR + "?tenant=a%20b&ref=r-1&status=<d>")


class TestRecipient:
    """The number is written as the SMSC behind Kannel expects it."""

    @pytest.mark.parametrize(
        ("phone", "number_format", "expected"),
        [
            pytest.param("+8613800138000", "international", "8613800138000", id="international"),
            pytest.param("+8613800138000", "e164", "+8613800138000", id="e164"),
            pytest.param("+8613800138000", "national", "13800138000", id="national"),
            pytest.param("+85291234567", "national", "0085291234567", id="national-foreign"),
        ],
    )
    def test_formats(self, phone: str, number_format: str, expected: str) -> None:
        assert recipient(phone, number_format, "86") == expected

    @pytest.mark.parametrize("phone", ["13800138000", "+86 138", "+86１３８"])
    def test_not_e164(self, phone: str) -> None:
        with pytest.raises(PermanentCarrierError) as caught:
            recipient(phone, "international", "86")
        assert caught.value.code == "invalid_phone"


class TestAnswers:
    """smsbox's answers: 202 is taken; each refusal is retryable or permanent as Kannel means it."""

    @pytest.mark.parametrize(
        "text", ["0: Accepted for delivery", "3: Queued for later delivery", "Sent."]
    )
    async def test_accepted(self, kannel: respx.MockRouter, text: str) -> None:
        kannel.get(SENDSMS).respond(202, text=text)
        carrier = KannelCarrier(parse_settings(CONFIG), name="kb", clock=lambda: NOW)
        result = await carrier.send(sms())
        await carrier.aclose()
        assert (result.carrier, result.accepted_at, result.carrier_message_id) == ("kb", NOW, None)

    @pytest.mark.parametrize(
        ("status", "text", "kind"),
        [
            pytest.param(403, "Authorization failed for sendsms", PermanentCarrierError, id="auth"),
            pytest.param(403, "Not routable. Do not try again.", PermanentCarrierError, id="route"),
            pytest.param(
                400, "Sender missing and no global set, rejected", PermanentCarrierError, id="field"
            ),
            pytest.param(404, "Unknown request.", PermanentCarrierError, id="wrong-path"),
            pytest.param(
                415, "Unsupported content-type, rejected", PermanentCarrierError, id="type"
            ),
            pytest.param(
                503, "Temporal failure, try again later.", RetryableCarrierError, id="temporal"
            ),
            pytest.param(500, "Sending failed.", RetryableCarrierError, id="bearerbox"),
            pytest.param(429, "", RetryableCarrierError, id="throttled"),
        ],
    )
    async def test_refused(
        self, kannel: respx.MockRouter, status: int, text: str, kind: type[CarrierError]
    ) -> None:
        kannel.get(SENDSMS).respond(status, text=text)
        with pytest.raises(kind) as caught:
            await send(CONFIG, sms())
        assert type(caught.value) is kind
        assert caught.value.code == str(status)
        assert text in str(caught.value)
        assert "msg_a-2" in str(caught.value)
        assert PASSWORD not in str(caught.value)

    @pytest.mark.parametrize(
        ("error", "kind"),
        [
            pytest.param(httpx.ConnectError("refused"), RetryableCarrierError, id="connect"),
            pytest.param(httpx.ReadTimeout("slow"), OutcomeUnknown, id="read-timeout"),
        ],
    )
    async def test_transport(
        self, kannel: respx.MockRouter, error: Exception, kind: type[CarrierError]
    ) -> None:
        kannel.get(SENDSMS).mock(side_effect=error)
        with pytest.raises(kind):
            await send(CONFIG, sms())


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


class TestSettings:
    """create_kannel names every bad setting; environment strings are read as numbers."""

    def test_defaults(self) -> None:
        settings = parse_settings({k: v for k, v in CONFIG.items() if k != "sender"})
        assert (settings.method, settings.number_format, settings.dlr_mask) == (
            "GET",
            "international",
            31,
        )
        assert (settings.sender, settings.smsc, settings.priority, settings.timeout) == (
            "",
            "",
            None,
            10.0,
        )

    def test_name(self) -> None:
        assert create_kannel(CONFIG).name == "kannel-backup"
        assert create_kannel({k: v for k, v in CONFIG.items() if k != "name"}).name == "kannel"

    def test_strings_from_the_environment(self) -> None:
        settings = parse_settings({**CONFIG, "dlr_mask": "3", "priority": "1", "timeout": "2.5"})
        assert (settings.dlr_mask, settings.priority, settings.timeout) == (3, 1, 2.5)

    def test_secrets_stay_out_of_repr(self) -> None:
        assert PASSWORD not in repr(parse_settings(CONFIG))
        assert TOKEN not in repr(parse_settings(CONFIG))

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            pytest.param({"url": None}, "url is required", id="no-url"),
            pytest.param({"url": "kannel:13013"}, "url must be an http", id="bad-url"),
            pytest.param({"username": ""}, "username", id="no-username"),
            pytest.param({"password": None}, "password is required", id="no-password"),
            pytest.param({"callback_url": None}, "callback_url is required", id="no-callback-url"),
            pytest.param({"callback_token": None}, "callback_token is required", id="no-token"),
            pytest.param({"callback_token": "short"}, "16 or more", id="short-token"),
            pytest.param({"callback_token": "a%d" * 8}, "16 or more", id="token-with-percent"),
            pytest.param({"method": "PUT"}, "GET or POST", id="method"),
            pytest.param({"number_format": "local"}, "number_format", id="number-format"),
            pytest.param({"dlr_mask": 0}, "dlr_mask", id="dlr-mask-zero"),
            pytest.param({"dlr_mask": True}, "dlr_mask", id="dlr-mask-bool"),
            pytest.param({"priority": 4}, "priority", id="priority"),
            pytest.param({"country_code": "+86"}, "country_code", id="country-code"),
            pytest.param({"country_code": 999}, "country calling code", id="no-such-country"),
            pytest.param({"timeout": "soon"}, "timeout", id="timeout"),
            pytest.param({"allowed_ips": "10.0.0.0/33"}, "allowed_ips", id="bad-cidr"),
            pytest.param({"allowed_ips": 10}, "allowed_ips", id="not-a-list"),
            pytest.param({"passwd": "x"}, "unknown setting", id="misspelt"),
        ],
    )
    def test_invalid(self, change: dict[str, Any], problem: str) -> None:
        config = {**CONFIG, **change}
        config = {key: value for key, value in config.items() if value is not None}
        with pytest.raises(InvalidCarrierConfig, match=problem) as caught:
            create_kannel(config)
        assert "kannel" in str(caught.value)
        assert PASSWORD not in str(caught.value)
