"""The aliyun adapter's look_up: QuerySendDetails by number and China-time day, OutId matched."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from smsgate.carriers import (
    CarrierError,
    Lookup,
    LookupAnswer,
    OutcomeUnknown,
    PermanentCarrierError,
    QueriesStatus,
    RetryableCarrierError,
)
from smsgate.carriers.aliyun.adapter import AliyunCarrier, parse_settings

ENDPOINT = "https://dysmsapi.aliyuncs.com/"
PHONE = "+8613800138000"
REFERENCE = "msg_a-2"
SENT_ON = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in China
SETTINGS = parse_settings(
    {"access_key_id": "LTAItestkey", "access_key_secret": "test-secret-1234567890"}
)


def row(out_id: str, status: int = 3) -> dict[str, Any]:
    return {
        "OutId": out_id,
        "PhoneNum": "13800138000",
        "SendStatus": status,
        "ErrCode": "DELIVERED",
        "TemplateCode": "SMS_123456789",
        "Content": "【安信消费金融】…",
        "SendDate": "2024-05-01 10:00:01",
        "ReceiveDate": "2024-05-01 10:00:05",
    }


def page(rows: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Code": "OK",
        "Message": "OK",
        "RequestId": "819BE656-D2E0",
        "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows},
    }
    if total is not None:
        body["TotalCount"] = str(total)
    return body


class FakeQuerySendDetails:
    """Answers QuerySendDetails from pages per SendDate, recording what was asked."""

    def __init__(self, pages: dict[str, list[dict[str, Any]]]) -> None:
        self.pages = pages
        self.asked: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(parse_qsl(request.content.decode("ascii"), strict_parsing=True))
        self.asked.append(params)
        day_pages = self.pages.get(params["SendDate"], [page([], 0)])
        index = int(params["CurrentPage"]) - 1
        return httpx.Response(200, json=day_pages[index] if index < len(day_pages) else page([]))


@pytest.fixture
def aliyun() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def carrier() -> AsyncIterator[AliyunCarrier]:
    adapter = AliyunCarrier(SETTINGS, clock=lambda: SENT_ON, nonce=lambda: "n-1")
    yield adapter
    await adapter.aclose()


class TestQuery:
    """The query names the number, the China-time day and the page, and is signed."""

    async def test_parameters(self, aliyun: respx.MockRouter, carrier: AliyunCarrier) -> None:
        fake = FakeQuerySendDetails({"20240501": [page([row(REFERENCE)], 1)]})
        aliyun.post(ENDPOINT).mock(side_effect=fake)
        await carrier.look_up(REFERENCE, PHONE, SENT_ON)
        asked = fake.asked[0]
        assert {name: asked[name] for name in ("Action", "Version", "Format")} == {
            "Action": "QuerySendDetails",
            "Version": "2017-05-25",
            "Format": "JSON",
        }
        assert {name: asked[name] for name in ("PhoneNumber", "SendDate", "PageSize")} == {
            "PhoneNumber": "13800138000",
            "SendDate": "20240501",
            "PageSize": "50",
        }
        assert (asked["CurrentPage"], "Signature" in asked) == ("1", True)

    @pytest.mark.parametrize(
        ("sent_on", "days"),
        [
            pytest.param(datetime(2024, 5, 1, 15, 49, tzinfo=UTC), ["20240501"], id="23:49-cst"),
            pytest.param(datetime(2024, 5, 1, 16, 0, tzinfo=UTC), ["20240502"], id="00:00-cst"),
            pytest.param(
                datetime(2024, 5, 1, 15, 55, tzinfo=UTC),
                ["20240501", "20240502"],
                id="near-midnight",
            ),
        ],
    )
    async def test_china_time_days(
        self, aliyun: respx.MockRouter, carrier: AliyunCarrier, sent_on: datetime, days: list[str]
    ) -> None:
        fake = FakeQuerySendDetails({})
        aliyun.post(ENDPOINT).mock(side_effect=fake)
        assert await carrier.look_up(REFERENCE, PHONE, sent_on) == Lookup(LookupAnswer.NOT_FOUND)
        assert [asked["SendDate"] for asked in fake.asked] == days

    async def test_refuses_a_naive_time(self, carrier: AliyunCarrier) -> None:
        with pytest.raises(ValueError, match="naive"):
            await carrier.look_up(REFERENCE, PHONE, datetime(2024, 5, 1, 10, 0))

    def test_is_a_status_query(self, carrier: AliyunCarrier) -> None:
        assert isinstance(carrier, QueriesStatus)


class TestAnswers:
    """Only a row whose OutId is the attempt's reference means accepted; pages are followed."""

    @pytest.mark.parametrize(
        ("pages", "expected", "requests"),
        [
            pytest.param(
                [page([row("msg_x-1"), row(REFERENCE)], 2)], LookupAnswer.ACCEPTED, 1, id="listed"
            ),
            pytest.param(
                [page([row(REFERENCE, status=2)], 1)], LookupAnswer.ACCEPTED, 1, id="failed-row"
            ),
            pytest.param(
                [page([row("msg_a-1"), row("msg_a-3")], 2)], LookupAnswer.NOT_FOUND, 1, id="other"
            ),
            pytest.param([page([], 0)], LookupAnswer.NOT_FOUND, 1, id="empty-day"),
            pytest.param(
                [page([row("x")] * 50, 60), page([row(REFERENCE)] + [row("y")] * 9, 60)],
                LookupAnswer.ACCEPTED,
                2,
                id="second-page",
            ),
            pytest.param([page([row("x")] * 50, 50)], LookupAnswer.NOT_FOUND, 1, id="exactly-full"),
            pytest.param(
                [page([row("x")] * 50), page([row("y")] * 3)],
                LookupAnswer.NOT_FOUND,
                2,
                id="no-total-short-page",
            ),
        ],
    )
    async def test_table(
        self,
        aliyun: respx.MockRouter,
        carrier: AliyunCarrier,
        pages: list[dict[str, Any]],
        expected: LookupAnswer,
        requests: int,
    ) -> None:
        fake = FakeQuerySendDetails({"20240501": pages})
        aliyun.post(ENDPOINT).mock(side_effect=fake)
        assert await carrier.look_up(REFERENCE, PHONE, SENT_ON) == Lookup(expected)
        assert [asked["CurrentPage"] for asked in fake.asked] == [
            str(n) for n in range(1, requests + 1)
        ]

    async def test_too_many_pages_cannot_tell(
        self, aliyun: respx.MockRouter, carrier: AliyunCarrier
    ) -> None:
        fake = FakeQuerySendDetails({"20240501": [page([row("x")] * 50)] * 20})
        aliyun.post(ENDPOINT).mock(side_effect=fake)
        with pytest.raises(OutcomeUnknown, match=REFERENCE):
            await carrier.look_up(REFERENCE, PHONE, SENT_ON)
        assert len(fake.asked) == 10


class TestFailures:
    """A refused or failed query raises a CarrierError, never NOT_FOUND."""

    @pytest.mark.parametrize(
        ("response", "kind", "code"),
        [
            pytest.param(
                httpx.Response(400, json={"Code": "Throttling.User", "Message": "flow"}),
                RetryableCarrierError,
                "Throttling.User",
                id="throttled",
            ),
            pytest.param(
                httpx.Response(200, json={"Code": "isv.INVALID_PARAMETERS", "Message": "date"}),
                PermanentCarrierError,
                "isv.INVALID_PARAMETERS",
                id="refused",
            ),
            pytest.param(httpx.Response(502), RetryableCarrierError, "http_502", id="bad-gateway"),
            pytest.param(httpx.Response(200, text="<html>"), OutcomeUnknown, "", id="garbled"),
        ],
    )
    async def test_answers(
        self,
        aliyun: respx.MockRouter,
        carrier: AliyunCarrier,
        response: httpx.Response,
        kind: type[CarrierError],
        code: str,
    ) -> None:
        aliyun.post(ENDPOINT).mock(return_value=response)
        with pytest.raises(CarrierError) as raised:
            await carrier.look_up(REFERENCE, PHONE, SENT_ON)
        assert (type(raised.value), raised.value.code) == (kind, code)

    async def test_connection_refused(
        self, aliyun: respx.MockRouter, carrier: AliyunCarrier
    ) -> None:
        aliyun.post(ENDPOINT).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(RetryableCarrierError):
            await carrier.look_up(REFERENCE, PHONE, SENT_ON)
