"""Carrier callbacks through HTTP: ``/v1/dlr/{carrier}``, ``/v1/mo/{carrier}`` and ``/v1/replies``.

The gateway runs with a fleet of one generic ``http`` carrier account named
``peer`` whose callbacks are HMAC-signed; the tests play that carrier,
signing with the real clock as a carrier would.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smsgate.carriers import client_reference
from smsgate.signing import signature_headers
from smsgate.store import AttemptOutcome, MessageStatus, Role, SendAttempt

from .api_support import GatewayUnderTest, start_gateway
from .message_support import PHONE, message, seed_template

SECRET = "peer-callback-secret-0123456789"
CARRIERS = """
[carriers.peer]
kind = "http"
url = "http://127.0.0.1:9/never-called"

[routes]
default = ["peer"]
"""


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[GatewayUnderTest]:
    carriers = tmp_path / "carriers.toml"
    carriers.write_text(CARRIERS)
    environment = {"SMSGATE_CARRIER_PEER_SECRET": SECRET}
    async for running in start_gateway(
        tmp_path, carriers_file=carriers, carrier_environment=environment
    ):
        yield running


async def signed(gw: GatewayUnderTest, path: str, document: Any, secret: str = SECRET) -> Any:
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/json",
               **signature_headers(secret.encode(), body, int(time.time()))}  # fmt: skip
    return await gw.call("POST", path, data=body, headers=headers)


async def sent_message(gw: GatewayUnderTest) -> str:
    """A message accepted through the API and recorded as handed to ``peer`` (attempt 1)."""
    template_id = await seed_template(gw)
    token = await gw.key("acme", Role.SENDER)
    status, body, _ = await gw.call("POST", "/v1/messages", token=token, json=message(template_id))
    assert status == 202
    now = gw.clock()
    reference = client_reference(body["id"], 1)
    async with gw.gateway.store.transaction() as tx:
        await tx.attempts.start(SendAttempt(body["id"], 1, "peer", reference, now))
        await tx.messages.set_status(body["id"], MessageStatus.SENDING, now, "attempt 1")
        await tx.attempts.finish(body["id"], 1, AttemptOutcome.SENT, now, carrier_message_id="p-1")
        await tx.messages.set_status(body["id"], MessageStatus.SENT, now)
    return str(body["id"])


async def status_of(gw: GatewayUnderTest, message_id: str) -> str:
    token = await gw.key("acme", Role.SENDER)
    status, body, _ = await gw.call("GET", f"/v1/messages/{message_id}", token=token)
    assert status == 200
    return str(body["status"])


class TestDeliveryReports:
    """A signed report moves the message; anything else gets a clear problem, never a 500."""

    async def test_a_signed_report_delivers_the_message(self, gw: GatewayUnderTest) -> None:
        message_id = await sent_message(gw)
        report = {"reports": [{"reference": f"{message_id}-1", "status": "delivered"}]}
        status, body, _ = await signed(gw, "/v1/dlr/peer", report)
        assert (status, body) == (200, {"ok": True})
        assert await status_of(gw, message_id) == "delivered"

    async def test_the_carriers_id_matches_too_and_a_repeat_is_harmless(
        self, gw: GatewayUnderTest
    ) -> None:
        message_id = await sent_message(gw)
        report = {"reports": [{"id": "p-1", "status": "failed", "code": "UNDELIV"}]}
        for _ in range(2):
            status, _, _ = await signed(gw, "/v1/dlr/peer", report)
            assert status == 200
        assert await status_of(gw, message_id) == "failed"
        async with gw.gateway.store.read() as tx:
            assert len(await tx.receipts.of_message(message_id)) == 1

    async def test_an_unknown_id_is_accepted_and_kept(self, gw: GatewayUnderTest) -> None:
        report = {"reports": [{"id": "nobody", "status": "delivered"}]}
        status, _, _ = await signed(gw, "/v1/dlr/peer", report)
        assert status == 200
        async with gw.gateway.store.read() as tx:
            assert [r.carrier_message_id for r in await tx.receipts.unmatched()] == ["nobody"]

    @pytest.mark.parametrize(
        ("secret", "code", "status"),
        [
            pytest.param("not-the-secret-at-all-000000000", "callback_rejected", 401, id="bad-sig"),
        ],
    )
    async def test_a_forged_report_is_rejected(
        self, gw: GatewayUnderTest, secret: str, code: str, status: int
    ) -> None:
        message_id = await sent_message(gw)
        report = {"reports": [{"reference": f"{message_id}-1", "status": "delivered"}]}
        answer, problem, response = await signed(gw, "/v1/dlr/peer", report, secret)
        assert (answer, problem["code"]) == (status, code)
        assert response.content_type == "application/problem+json"
        assert await status_of(gw, message_id) == "sent"

    async def test_an_unsigned_report_is_rejected(self, gw: GatewayUnderTest) -> None:
        status, problem, _ = await gw.call("POST", "/v1/dlr/peer", json={"reports": []})
        assert (status, problem["code"]) == (401, "callback_rejected")

    async def test_a_replayed_old_report_is_rejected(self, gw: GatewayUnderTest) -> None:
        body = json.dumps({"reports": []}).encode()
        headers = {"Content-Type": "application/json",
                   **signature_headers(SECRET.encode(), body, int(time.time()) - 3600)}  # fmt: skip
        status, problem, _ = await gw.call("POST", "/v1/dlr/peer", data=body, headers=headers)
        assert (status, problem["code"]) == (401, "callback_rejected")

    async def test_a_signed_but_unreadable_body_is_a_400(self, gw: GatewayUnderTest) -> None:
        status, problem, _ = await signed(gw, "/v1/dlr/peer", {"reports": "nope"})
        assert (status, problem["code"]) == (400, "callback_invalid")

    async def test_an_unknown_carrier_is_a_404(self, gw: GatewayUnderTest) -> None:
        status, problem, _ = await signed(gw, "/v1/dlr/nobody", {"reports": []})
        assert (status, problem["code"]) == (404, "not_found")


class TestReplies:
    """A signed stop opts the phone out at once; replies are listed per creditor only."""

    async def test_stop_opts_out_and_is_listed(self, gw: GatewayUnderTest) -> None:
        await sent_message(gw)
        mo = {"messages": [{"from": PHONE, "text": "退订", "id": "mo-1"}]}
        status, _, _ = await signed(gw, "/v1/mo/peer", mo)
        assert status == 200
        admin = await gw.key("acme", Role.ADMIN)
        _, opt_outs, _ = await gw.call("GET", "/v1/opt-outs", token=admin)
        assert [(o["phone"], o["kind"], o["source"]) for o in opt_outs["opt_outs"]] == [
            (PHONE, "opt_out", "mo")
        ]
        reviewer = await gw.key("acme", Role.REVIEWER)
        status, listed, _ = await gw.call("GET", "/v1/replies", token=reviewer)
        assert status == 200
        [reply] = listed["replies"]
        assert (reply["phone"], reply["text"], reply["intents"]) == (PHONE, "退订", ["stop"])

    async def test_another_creditor_sees_none_of_it(self, gw: GatewayUnderTest) -> None:
        await sent_message(gw)
        await signed(gw, "/v1/mo/peer", {"messages": [{"from": PHONE, "text": "好的"}]})
        other = await gw.key("globex", Role.SENDER)
        status, listed, _ = await gw.call("GET", "/v1/replies", token=other)
        assert (status, listed) == (200, {"replies": []})

    async def test_listing_needs_a_key(self, gw: GatewayUnderTest) -> None:
        status, problem, _ = await gw.call("GET", "/v1/replies")
        assert (status, problem["code"]) == (401, "unauthorized")

    async def test_a_bad_limit_is_a_400(self, gw: GatewayUnderTest) -> None:
        token = await gw.key("acme", Role.SENDER)
        status, problem, _ = await gw.call("GET", "/v1/replies?limit=0", token=token)
        assert (status, problem["code"]) == (400, "invalid_request")
