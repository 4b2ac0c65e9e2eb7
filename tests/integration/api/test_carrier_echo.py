"""What a carrier echoes back reaches no log line, row or API answer unmasked (#13 item 11).

A local peer speaks the ``http`` carrier contract and refuses a message with
an error ``code`` that echoes the request: the message text and the full
phone number. The real dispatcher sends through the real ``http`` adapter;
the ``message_failed`` event, the attempt row, the message history and
``GET /v1/messages/{id}`` must show neither. A delivery report whose code
echoes the message is stored the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from structlog.testing import capture_logs

from smsgate.dispatch import Dispatcher
from smsgate.signing import signature_headers
from smsgate.store import Role

from .api_support import GatewayUnderTest, start_gateway
from .message_support import PHONE, message, seed_template

SECRET = "echo-peer-secret-0123456789abcdef"
NATIONAL = PHONE.removeprefix("+86")
Answer = Callable[[dict[str, Any]], web.Response]


def echo_refusal(request: dict[str, Any]) -> web.Response:
    """A 400 whose code quotes the request verbatim, as some carriers do."""
    code = f"E_REJECTED to={request['to']} text={request['text']}"
    return web.json_response({"code": code}, status=400)


def html_refusal(request: dict[str, Any]) -> web.Response:
    """A 400 whose code is a whole page, newlines and control characters included."""
    page = "<html>\n" + "\x1b[31merror\x00 " * 2000 + f"{request['to']}</html>"
    return web.json_response({"code": page}, status=400)


def accept(request: dict[str, Any]) -> web.Response:
    return web.json_response({"id": f"sink-{request['reference']}"})


class EchoPeer:
    """The carrier's side: answers every send with the behaviour the test chose."""

    def __init__(self) -> None:
        self.answer: Answer = accept

    async def handle(self, request: web.Request) -> web.Response:
        return self.answer(await request.json())


@pytest.fixture
async def peer() -> AsyncIterator[tuple[EchoPeer, str]]:
    peer = EchoPeer()
    app = web.Application()
    app.router.add_post("/sms", peer.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield peer, f"http://127.0.0.1:{port}/sms"
    await runner.cleanup()


@pytest.fixture
async def gw(tmp_path: Path, peer: tuple[EchoPeer, str]) -> AsyncIterator[GatewayUnderTest]:
    carriers = tmp_path / "carriers.toml"
    carriers.write_text(f'[carriers.peer]\nkind = "http"\nurl = "{peer[1]}"\n')
    environment = {"SMSGATE_CARRIER_PEER_SECRET": SECRET}
    async for running in start_gateway(
        tmp_path, carriers_file=carriers, carrier_environment=environment
    ):
        yield running


def leaks(value: object, text: str) -> list[str]:
    """The full phone, or any piece of the message text of 4 characters, found in ``value``."""
    found = str(value)
    pieces = {text[i : i + 4] for i in range(len(text) - 3)} - {"1234", "34.5", "4.50"}
    return [p for p in [NATIONAL, *sorted(pieces)] if p in found]


async def send_and_dispatch(gw: GatewayUnderTest) -> tuple[str, str, list[dict[str, Any]]]:
    """Accept a message through the API and dispatch it once; id, text and the log events."""
    template_id = await seed_template(gw)
    token = await gw.key("acme", Role.SENDER)
    status, accepted, _ = await gw.call(
        "POST", "/v1/messages", token=token, json=message(template_id)
    )
    assert status == 202, accepted
    async with gw.gateway.store.read() as tx:
        stored = await tx.messages.get(accepted["id"], creditor_id="acme")
    assert stored is not None
    dispatcher = Dispatcher(gw.gateway.store, gw.gateway.carriers, owner="d1", clock=gw.clock)
    with capture_logs() as events:
        await dispatcher.run_once()
    return accepted["id"], stored.text, events


async def carrier_words(gw: GatewayUnderTest, message_id: str) -> dict[str, Any]:
    """Everything stored or served about the message that may quote the carrier."""
    token = await gw.key("acme", Role.SENDER)
    status, detail, _ = await gw.call("GET", f"/v1/messages/{message_id}", token=token)
    assert status == 200
    async with gw.gateway.store.read() as tx:
        attempts = await tx.attempts.of_message(message_id)
        history = await tx.messages.history(message_id)
        receipts = await tx.receipts.of_message(message_id)
    return {
        "attempts": [(a.error_code, a.detail) for a in attempts],
        "history": [change.detail for change in history],
        "receipts": [(r.error_code, r.description) for r in receipts],
        "api": [step["detail"] for step in detail["history"]],
    }


class TestRefusalEchoes:
    """A refusal quoting the request is bounded, masked and cut of the text everywhere."""

    async def test_the_failed_event_the_rows_and_the_api_hold_no_echo(
        self, gw: GatewayUnderTest, peer: tuple[EchoPeer, str]
    ) -> None:
        peer[0].answer = echo_refusal
        message_id, text, events = await send_and_dispatch(gw)
        [failed] = [e for e in events if e["event"] == "message_failed"]
        assert leaks(failed, text) == []
        # The code was cut at 64 characters inside the echo; what is left of it is cut out too.
        assert failed["code"] == "E_REJECTED to=+86138****8000 text=[text]…"
        words = await carrier_words(gw, message_id)
        assert leaks(words, text) == []
        assert words["attempts"][0][0] == failed["code"]
        assert f"permanent: {failed['code']}" in words["api"]

    async def test_an_over_long_echo_is_bounded(
        self, gw: GatewayUnderTest, peer: tuple[EchoPeer, str]
    ) -> None:
        peer[0].answer = html_refusal
        message_id, text, events = await send_and_dispatch(gw)
        [failed] = [e for e in events if e["event"] == "message_failed"]
        words = await carrier_words(gw, message_id)
        [(code, detail)] = words["attempts"]
        assert len(code) <= 64
        assert code.endswith("…")
        assert len(detail) <= 200
        assert failed["code"] == code
        assert not any(c in code + detail for c in "\n\x1b\x00")
        assert leaks(words, text) == []


class TestDeliveryReportEchoes:
    """A delivery report whose code quotes the message is stored bounded and masked."""

    async def test_the_receipt_and_the_history_hold_no_echo(
        self, gw: GatewayUnderTest, peer: tuple[EchoPeer, str]
    ) -> None:
        message_id, text, _ = await send_and_dispatch(gw)
        echo = f"UNDELIV {PHONE} {text} " + "x" * 500
        report = {"reference": f"{message_id}-1", "status": "failed", "code": echo}
        body = json.dumps({"reports": [report]}).encode()
        headers = {"Content-Type": "application/json"}
        headers.update(signature_headers(SECRET.encode(), body, int(time.time())))
        with capture_logs() as events:
            status, _, _ = await gw.call("POST", "/v1/dlr/peer", data=body, headers=headers)
        assert status == 200
        words = await carrier_words(gw, message_id)
        [(code, _)] = words["receipts"]
        assert code.startswith("UNDELIV +86138****8000 [text]")
        assert len(code) <= 64
        assert f"peer: {code}" in words["api"]
        assert leaks(words, text) == []
        assert leaks([e for e in events if e["event"] == "delivery_report"], text) == []
