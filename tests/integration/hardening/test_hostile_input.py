"""Hostile input at the HTTP level: oversized, malformed, explosive and slow requests.

A real gateway on 127.0.0.1 with tight limits (1 s for a request head or body,
``limited.TIGHT``), talked to over raw sockets where aiohttp's client would
sanitise the request. Every refusal the gateway writes itself is a 4xx
problem+json with a stable code; what aiohttp's HTTP parser refuses before our
code runs (over-long lines, too many headers, broken syntax) is a plain-text
400 from aiohttp, and that is what these tests pin down, too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from ..api.message_support import message, seed_template
from .limited import LimitedGateway, limited_gateway
from .raw_http import closed_within, exchange, read_answer, request_head

MAX_BODY = 64 * 1024
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
SEND = "/v1/messages"


@pytest.fixture
async def lg(tmp_path: Path) -> AsyncIterator[LimitedGateway]:
    async for running in limited_gateway(tmp_path, max_body_bytes=MAX_BODY, max_batch_items=10):
        yield running


def send_request(
    lg: LimitedGateway, body: bytes, content_type: str | None = "application/json"
) -> bytes:
    """A complete ``POST /v1/messages`` with ``body`` as the sender."""
    head = request_head("POST", SEND, token=lg.sender, content_type=content_type, length=len(body))
    return head + body


class TestOversizedBodies:
    """A body over the limit is a quick 413 ``payload_too_large``, never read in full."""

    async def test_declared_length_is_refused_before_the_body_is_sent(
        self, lg: LimitedGateway
    ) -> None:
        head = request_head("POST", SEND, token=lg.sender, length=10**9)
        answer = await exchange(lg, head, within=5)
        assert answer.status == 413
        assert answer.problem()["code"] == "payload_too_large"
        assert answer.seconds < 1.0

    async def test_chunked_body_is_cut_off_at_the_limit(self, lg: LimitedGateway) -> None:
        reader, writer = await lg.connect()
        started = time.monotonic()
        chunked = b"Transfer-Encoding: chunked\r\n"
        writer.write(request_head("POST", SEND, token=lg.sender, extra=chunked))
        answering = asyncio.create_task(read_answer(reader, started, within=5))
        chunk, sent = b"%x\r\n%s\r\n" % (4096, b"a" * 4096), 0
        with contextlib.suppress(ConnectionError):  # the server may stop reading first
            while not (answering.done() or writer.is_closing()) and sent < 40 * 2**20:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
                await asyncio.sleep(0)
        answer = await answering
        writer.close()
        assert answer.status == 413
        assert answer.problem()["code"] == "payload_too_large"
        assert sent < 40 * 2**20

    async def test_a_body_at_the_limit_is_read(self, lg: LimitedGateway) -> None:
        padding = b" " * (MAX_BODY - 2)
        answer = await exchange(lg, send_request(lg, b"{" + padding + b"}"))
        assert answer.status == 400  # read and decoded: the fields are missing
        assert "missing required field" in answer.problem()["detail"]


MALFORMED = [
    pytest.param(b'{"template_id": "\xff\xfe"}', "application/json", 400, id="invalid-utf8"),
    pytest.param(b'{"template_id": "\xed\xa0\x80"}', "application/json", 400, id="utf8-surrogate"),
    pytest.param(
        b'{"template_id": "\\ud800"}', "application/json", 400, id="lone-surrogate-escape"
    ),
    pytest.param(b'\xef\xbb\xbf{"template_id": "x"}', "application/json", 400, id="bom"),
    pytest.param(b'{"template_id": "a\x00b"}', "application/json", 400, id="raw-nul"),
    pytest.param(b'{"template_id": "a\\u0000b"}', "application/json", 400, id="nul-escape"),
    pytest.param(b"", "application/json", 400, id="empty"),
    pytest.param(b'{"template_id": "x"} trailing', "application/json", 400, id="trailing-garbage"),
    pytest.param(b"\x00" * 64, "application/json", 400, id="nul-bytes"),
    pytest.param(b'{"template_id": "x"}', "text/plain", 415, id="text-plain"),
    pytest.param(b'{"template_id": "x"}', None, 415, id="no-content-type"),
    pytest.param(b'{"template_id": "x"}', "application/json-bogus", 415, id="lookalike-type"),
]


class TestUndeclaredBodies:
    """Bytes after a head with neither Content-Length nor chunking are never read as a body."""

    async def test_after_connection_close_they_are_refused_by_the_parser(
        self, lg: LimitedGateway
    ) -> None:
        head = request_head("POST", SEND, token=lg.sender)
        answer = await exchange(lg, head + b'{"template_id": "x"}')
        assert answer.status == 400
        assert answer.content_type == "text/plain"  # aiohttp's parser: data after close


class TestMalformedBodies:
    """Bytes that are not the JSON asked for are a 400 or 415 problem, never a 500."""

    @pytest.mark.parametrize(("body", "content_type", "status"), MALFORMED)
    async def test_refused_with_a_problem(
        self, lg: LimitedGateway, body: bytes, content_type: str | None, status: int
    ) -> None:
        answer = await exchange(lg, send_request(lg, body, content_type))
        assert answer.status == status
        expected = "invalid_request" if status == 400 else "unsupported_media_type"
        assert answer.problem()["code"] == expected


def nested(depth: int, opener: bytes, closer: bytes) -> bytes:
    return opener * depth + closer * depth


TEMPLATE = b"tpl_placeholder"


def with_variables(variables: bytes) -> bytes:
    """A send body whose ``variables`` value is ``variables`` (raw JSON); its template id is
    ``TEMPLATE``, for the test to replace with a real one."""
    recipient = b'{"phone": "+8613800138000", "debtor_id": "D-1", "role": "debtor"}'
    head = b'{"template_id": "' + TEMPLATE + b'", "recipient": ' + recipient
    return head + b', "variables": ' + variables + b"}"


BOMBS = [
    pytest.param(nested(30_000, b"[", b"]"), id="deep-arrays"),
    pytest.param(b"[" * 60_000, id="deep-arrays-unclosed"),
    pytest.param(nested(10_000, b'{"a":', b"}"), id="deep-objects"),
    pytest.param(
        with_variables(b'{"v": ' + nested(20_000, b"[", b"]") + b"}"), id="deep-variables"
    ),
    pytest.param(with_variables(b'{"v": 1e999999}'), id="huge-exponent"),
    pytest.param(with_variables(b'{"v": ' + b"9" * 10_000 + b"}"), id="10000-digit-int"),
    pytest.param(with_variables(b'{"v": "' + b"x" * 60_000 + b'"}'), id="huge-string"),
    pytest.param(
        with_variables(b"{" + b",".join(b'"k%d": 1' % i for i in range(5_000)) + b"}"),
        id="many-keys",
    ),
    pytest.param(
        with_variables(b"{" + b",".join(b'"k": %d' % i for i in range(5_000)) + b"}"),
        id="duplicate-keys",
    ),
]


class TestJsonBombs:
    """Explosive JSON within the size limit is answered quickly, in bounded memory, as a 4xx."""

    @pytest.mark.parametrize("bomb", BOMBS)
    async def test_bounded_and_refused(self, lg: LimitedGateway, bomb: bytes) -> None:
        body = bomb.replace(TEMPLATE, (await seed_template(lg.gw)).encode())
        assert len(body) <= MAX_BODY
        tracemalloc.start()
        try:
            answer = await exchange(lg, send_request(lg, body), within=5)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert 400 <= answer.status < 500
        assert answer.problem()["code"] in {"invalid_request", "variable_invalid"}
        assert answer.seconds < 3.0
        assert len(answer.body) < 4096  # a refusal does not echo the bomb back
        assert peak < 32 * MAX_BODY, f"peak {peak} bytes for a {len(body)}-byte body"


class TestHostileBatches:
    """A batch over the item limit is refused whole; hostile items fail alone, in their slot."""

    async def test_too_many_items(self, lg: LimitedGateway) -> None:
        status, body, _ = await lg.gw.call(
            "POST", SEND + ":batch", token=lg.sender, json={"messages": [{}] * 11}
        )
        assert status == 400
        assert (body["code"], body["max_items"]) == ("invalid_request", 10)

    async def test_hostile_items_fail_alone(self, lg: LimitedGateway) -> None:
        template = await seed_template(lg.gw)
        items = [
            message(template),
            message(template, recipient={"phone": "+1\u0000555"}),
            message(template, send_at="0001-01-01T00:00:00+14:00"),
            message(template, recipient={"phone": "x" * 41}),
            {"template_id": template, "unexpected": True},
            [[[[[[]]]]]],
            "not an object",
        ]
        status, body, _ = await lg.gw.call(
            "POST", SEND + ":batch", token=lg.sender, json={"messages": items}
        )
        assert status == 200
        statuses = [result["status"] for result in body["results"]]
        assert statuses == [202, 400, 400, 400, 400, 400, 400]
        codes = {result["body"]["code"] for result in body["results"][1:]}
        assert codes == {"invalid_request"}

    async def test_a_lone_surrogate_refuses_the_batch(self, lg: LimitedGateway) -> None:
        raw = b'{"messages": [{"template_id": "\\ud800"}]}'
        head = request_head("POST", SEND + ":batch", token=lg.sender, length=len(raw))
        answer = await exchange(lg, head + raw)
        assert answer.status == 400  # not valid Unicode: the whole document is malformed
        assert answer.problem()["code"] == "invalid_request"

    async def test_a_deeply_nested_item_refuses_the_batch(self, lg: LimitedGateway) -> None:
        raw = b'{"messages": [' + nested(20_000, b"[", b"]") + b"]}"
        head = request_head("POST", SEND + ":batch", token=lg.sender, length=len(raw))
        answer = await exchange(lg, head + raw)
        assert answer.status == 400
        assert answer.problem()["code"] == "invalid_request"


async def healthz_seconds(lg: LimitedGateway) -> float:
    """How long a normal client waits for ``/healthz``."""
    started = time.monotonic()
    status, _, _ = await lg.gw.call("GET", "/healthz")
    assert status == 200
    return time.monotonic() - started


async def dribble(connections: list[Connection], data: bytes, within: float) -> None:
    """Send ``data`` a byte at a time on every connection still open, for ``within`` seconds."""
    started = time.monotonic()
    for index in range(len(data)):
        for reader, writer in connections:
            if not (reader.at_eof() or writer.is_closing()):
                writer.write(data[index : index + 1])
        await asyncio.sleep(0.02)
        if time.monotonic() - started > within:
            return


class TestSlowClients:
    """Slow clients are cut off after the head or body deadline, and never starve others."""

    async def test_slow_headers_are_dropped_and_others_still_served(
        self, lg: LimitedGateway
    ) -> None:
        head = request_head("GET", "/healthz")
        connections = [await lg.connect() for _ in range(40)]
        try:
            await dribble(connections, head[:-2], within=2 * lg.limits.head_seconds)
            latencies = [await healthz_seconds(lg) for _ in range(5)]
            dropped = [await closed_within(reader, 2.0) for reader, _ in connections]
        finally:
            for _, writer in connections:
                writer.close()
        assert all(dropped)
        assert max(latencies) < 1.0

    async def test_an_idle_connection_is_dropped(self, lg: LimitedGateway) -> None:
        reader, writer = await lg.connect()
        assert await closed_within(reader, lg.limits.head_seconds + 2.0)
        writer.close()

    async def test_a_slow_body_is_a_408(self, lg: LimitedGateway) -> None:
        body = b'{"template_id": "x"}'
        slow = []
        try:
            for _ in range(10):
                reader, writer = await lg.connect()
                head = request_head("POST", SEND, token=lg.sender, length=len(body))
                writer.write(head + body[:5])
                slow.append((reader, writer, time.monotonic()))
            latencies = [await healthz_seconds(lg) for _ in range(5)]
            answers = [await read_answer(reader, started, within=5) for reader, _, started in slow]
        finally:
            for _, writer, _ in slow:
                writer.close()
        assert max(latencies) < 1.0
        assert {a.status for a in answers} == {408}
        assert {a.problem()["code"] for a in answers} == {"request_timeout"}
        assert max(a.seconds for a in answers) < lg.limits.body_seconds + 2.0


LONG_HEADER = b"X-A: " + b"a" * 20_000 + b"\r\n"
NUL_HEADER = b"X-A: a\x00b\r\n"
MANY_HEADERS = b"".join(b"X-%d: 1\r\n" % i for i in range(500))


class TestOversizedHeads:
    """aiohttp's parser refuses over-long or broken request heads itself: a plain-text 400."""

    @pytest.mark.parametrize(
        "head",
        [
            pytest.param(request_head("GET", "/healthz", extra=LONG_HEADER), id="long-header"),
            pytest.param(request_head("GET", "/healthz?" + "a" * 20_000), id="long-url"),
            pytest.param(request_head("GET", "/healthz", extra=MANY_HEADERS), id="many-headers"),
            pytest.param(request_head("GET", "/healthz", extra=NUL_HEADER), id="nul-header"),
            pytest.param(b"NOT AN HTTP REQUEST\r\n\r\n", id="garbage"),
        ],
    )  # fmt: skip
    async def test_plain_400_and_the_server_carries_on(
        self, lg: LimitedGateway, head: bytes
    ) -> None:
        answer = await exchange(lg, head, within=5)
        assert answer.status == 400
        assert answer.content_type == "text/plain"
        assert await healthz_seconds(lg) < 1.0

    async def test_refused_bytes_never_reach_the_logs(
        self, lg: LimitedGateway, caplog: pytest.LogCaptureFixture
    ) -> None:
        secret = "sgk_" + "s" * 43
        header = f"Authorization: Bearer {secret}\x00\r\n".encode()
        with capture_logs() as events:
            answer = await exchange(lg, request_head("GET", "/v1/templates", extra=header))
        assert answer.status == 400
        refused = [e for e in events if e["event"] == "request_refused"]
        assert len(refused) == 1
        assert secret not in str(events) + caplog.text
