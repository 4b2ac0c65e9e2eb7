"""One webhook post: the JSON batch, its signature, and what each kind of answer becomes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest

from smsgate.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from smsgate.store import MessageStatus, StatusEvent
from smsgate.webhooks import ReceiverAnswer, batch_body, post_batch, signed_headers

AT = datetime(2024, 5, 1, 2, 0, 7, tzinfo=UTC)
EVENTS = [
    StatusEvent(41, "msg_a", MessageStatus.SENT, AT),
    StatusEvent(42, "msg_a", MessageStatus.FAILED, AT, "空号"),
]
KEY = b"k" * 64
URL = "https://hooks.example.com/acme"


class TestBatchBody:
    """The body is the documented JSON, events in the given order, text kept as UTF-8."""

    def test_shape(self) -> None:
        body = batch_body(EVENTS)
        assert json.loads(body) == {
            "events": [
                {"id": 41, "message_id": "msg_a", "status": "sent",
                 "at": "2024-05-01T02:00:07.000000Z", "detail": ""},
                {"id": 42, "message_id": "msg_a", "status": "failed",
                 "at": "2024-05-01T02:00:07.000000Z", "detail": "空号"},
            ]
        }  # fmt: skip
        assert "空号".encode() in body


class TestSignedHeaders:
    """The headers carry a v1 signature a receiver verifies with the same key."""

    def test_verifies_with_the_key_and_the_timestamp_is_now(self) -> None:
        body = batch_body(EVENTS)
        headers = signed_headers(KEY, body, AT)
        now = int(AT.timestamp())
        assert headers[TIMESTAMP_HEADER] == str(now)
        assert headers["Content-Type"] == "application/json"
        verify(KEY, headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body, now)


def client_answering(handler: httpx.MockTransport) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=handler, follow_redirects=False)


class TestPostBatch:
    """Every outcome on the wire becomes a ReceiverAnswer; only a 2xx is accepted."""

    @pytest.mark.parametrize(
        ("status", "accepted"),
        [
            pytest.param(200, True, id="200"),
            pytest.param(204, True, id="204"),
            pytest.param(302, False, id="redirect"),
            pytest.param(401, False, id="401"),
            pytest.param(500, False, id="500"),
        ],
    )
    async def test_status(self, status: int, accepted: bool) -> None:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(status, headers={"Location": "https://elsewhere.example/"})

        async with client_answering(httpx.MockTransport(answer)) as client:
            result = await post_batch(client, URL, b"{}", {"X-Test": "1"}, 5.0)
        assert (result.status, result.accepted) == (status, accepted)
        assert result.summary() == f"HTTP {status}"
        assert [(r.method, str(r.url), r.content) for r in seen] == [("POST", URL, b"{}")]

    async def test_a_redirect_is_not_followed_even_by_a_following_client(self) -> None:
        seen: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest"})

        transport = httpx.MockTransport(answer)
        async with httpx.AsyncClient(transport=transport, follow_redirects=True) as client:
            result = await post_batch(client, URL, b"{}", {}, 5.0)
        assert (result.status, result.accepted) == (302, False)
        assert seen == [URL]

    async def test_connection_refused_is_an_error_not_an_exception(self) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        async with client_answering(httpx.MockTransport(refuse)) as client:
            result = await post_batch(client, URL, b"{}", {}, 5.0)
        assert result == ReceiverAnswer(error="ConnectError", description="connection refused")
        assert not result.accepted
        assert result.summary() == "ConnectError: connection refused"

    async def test_no_answer_within_the_time_is_a_timeout(self) -> None:
        async def hang(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(10)
            return httpx.Response(200)

        async with client_answering(httpx.MockTransport(hang)) as client:
            result = await post_batch(client, URL, b"{}", {}, 0.05)
        assert (result.status, result.error) == (None, "timeout")
