"""The kannel adapter: the sendsms request, what each answer means, and its settings."""

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
    CarrierError,
    InvalidCarrierConfig,
    OutboundSms,
    OutcomeUnknown,
    PermanentCarrierError,
    RetryableCarrierError,
)
from smsgate.carriers.kannel.adapter import (
    KannelCarrier,
    create_kannel,
    dlr_url,
    parse_settings,
    recipient,
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
            pytest.param({"password": None}, "needs password", id="no-password"),
            pytest.param({"callback_url": None}, "callback_url is required", id="no-callback-url"),
            pytest.param({"callback_token": None}, "needs callback_token", id="no-token"),
            pytest.param({"callback_token": "short"}, "at least 16", id="short-token"),
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
