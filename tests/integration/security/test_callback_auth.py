"""Forged and replayed carrier callbacks, for every carrier that takes them over HTTP.

One gateway runs a fleet with one account of each callback-taking kind:
``peer`` (http: HMAC over timestamp and body, a 5-minute window),
``kannel``, ``aliyun`` and ``tencent`` (no signature exists in their push
formats: a secret ``?token=`` in the URL, compared in constant time, and
optionally an address allow-list), and ``fenced`` (kannel limited to
10.0.0.0/8, so 127.0.0.1 is the wrong source). SMPP is not here: its
receipts and replies arrive as ``deliver_sm`` on the session the gateway
itself opened and bound with its password, never on an HTTP endpoint.

Per carrier, what its design gives against replays:

- http: a stale timestamp is refused (401); the same signed request again
  inside the window is accepted but idempotent (receipts and replies are
  deduplicated), so it has no second effect;
- kannel, aliyun, tencent: nothing in the request is time-bound, so a
  replay is only ever idempotent: the repeat is answered 200 and changes
  nothing (one receipt, one reply, one opt-out).

Every refusal is 401 ``callback_rejected`` and leaves the message and the
reply list exactly as they were.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from smsgate.carriers import client_reference
from smsgate.signing import signature_headers
from smsgate.store import AttemptOutcome, MessageStatus, Role, SendAttempt

from ..api.api_support import GatewayUnderTest, start_gateway
from ..api.message_support import message, seed_template

PHONE = "+8613700137002"
NATIONAL = "13700137002"
TOKEN = "callback-token-0123456789abcdefghij"
PEER_SECRET = "peer-callback-secret-0123456789abcdef"
CARRIERS = """
[carriers.peer]
kind = "http"
url = "http://127.0.0.1:9/never-called"

[carriers.kannel]
kind = "kannel"
url = "http://127.0.0.1:9/cgi-bin/sendsms"
username = "smsgate"
callback_url = "http://127.0.0.1:9/v1/dlr/kannel"

[carriers.fenced]
kind = "kannel"
url = "http://127.0.0.1:9/cgi-bin/sendsms"
username = "smsgate"
callback_url = "http://127.0.0.1:9/v1/dlr/fenced"
allowed_ips = ["10.0.0.0/8"]

[carriers.aliyun]
kind = "aliyun"
access_key_id = "LTAI-test"
endpoint = "http://127.0.0.1:9/"

[carriers.tencent]
kind = "tencent"
sdk_app_id = "1400000000"
endpoint = "http://127.0.0.1:9/"
templates = { "tpl_unused" = { id = "100001", params = 1 } }

[routes]
default = ["peer"]
"""
ENVIRONMENT = {
    "SMSGATE_CARRIER_PEER_SECRET": PEER_SECRET,
    "SMSGATE_CARRIER_KANNEL_PASSWORD": "kannel-password-0123456789",
    "SMSGATE_CARRIER_KANNEL_CALLBACK_TOKEN": TOKEN,
    "SMSGATE_CARRIER_FENCED_PASSWORD": "kannel-password-0123456789",
    "SMSGATE_CARRIER_FENCED_CALLBACK_TOKEN": TOKEN,
    "SMSGATE_CARRIER_ALIYUN_ACCESS_KEY_SECRET": "aliyun-secret-0123456789",
    "SMSGATE_CARRIER_ALIYUN_CALLBACK_TOKEN": TOKEN,
    "SMSGATE_CARRIER_TENCENT_SECRET_ID": "tencent-id-0123456789",
    "SMSGATE_CARRIER_TENCENT_SECRET_KEY": "tencent-key-0123456789",
    "SMSGATE_CARRIER_TENCENT_CALLBACK_TOKEN": TOKEN,
}


@dataclass(frozen=True)
class Push:
    """A callback as a carrier sends it: method, path (with query) and body."""

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def token_query(token: str | None, **params: str) -> str:
    return urlencode({**params, **({"token": token} if token is not None else {})})


def kannel_dlr(carrier: str, reference: str, token: str | None) -> Push:
    query = token_query(token, ref=reference, status="1", answer="id:1 stat:DELIVRD err:000")
    return Push("GET", f"/v1/dlr/{carrier}?{query}")


def kannel_mo(carrier: str, token: str | None) -> Push:
    query = token_query(token, **{"from": NATIONAL, "to": "1069", "text": "退订", "id": "k-1"})
    return Push("GET", f"/v1/mo/{carrier}?{query}")


def aliyun_dlr(reference: str, token: str | None) -> Push:
    items = [{"phone_number": NATIONAL, "success": True, "err_code": "DELIVERED",
              "biz_id": "biz-1", "out_id": reference,
              "report_time": "2026-11-23 10:00:05"}]  # fmt: skip
    body = json.dumps(items).encode()
    return Push("POST", f"/v1/dlr/aliyun?{token_query(token)}", body, _json())


def aliyun_mo(token: str | None) -> Push:
    items = [{"phone_number": NATIONAL, "content": "退订", "sign_name": "安信消费金融",
              "dest_code": "1234", "sequence_id": 77,
              "send_time": "2026-11-23 10:00:00"}]  # fmt: skip
    return Push("POST", f"/v1/mo/aliyun?{token_query(token)}", json.dumps(items).encode(), _json())


def tencent_dlr(carrier_id: str, token: str | None) -> Push:
    items = [{"mobile": NATIONAL, "nationcode": "86", "report_status": "SUCCESS",
              "errmsg": "DELIVRD", "sid": carrier_id,
              "user_receive_time": "2026-11-23 10:00:05"}]  # fmt: skip
    body = json.dumps(items).encode()
    return Push("POST", f"/v1/dlr/tencent?{token_query(token)}", body, _json())


def tencent_mo(token: str | None) -> Push:
    item = {"mobile": NATIONAL, "nationcode": "86", "text": "退订", "sign": "安信消费金融",
            "extend": "", "time": 1763863200}  # fmt: skip
    return Push("POST", f"/v1/mo/tencent?{token_query(token)}", json.dumps(item).encode(), _json())


def peer_push(kind: str, document: Any, secret: str | None, at: int | None = None) -> Push:
    body = json.dumps(document).encode()
    headers = dict(_json())
    if secret is not None:
        headers.update(signature_headers(secret.encode(), body, at or int(time.time())))
    return Push("POST", f"/v1/{kind}/peer", body, tuple(headers.items()))


def peer_dlr(reference: str, secret: str | None, at: int | None = None) -> Push:
    return peer_push("dlr", {"reports": [{"reference": reference, "status": "delivered"}]},
                     secret, at)  # fmt: skip


def peer_mo(secret: str | None, at: int | None = None) -> Push:
    return peer_push(
        "mo", {"messages": [{"from": PHONE, "text": "退订", "id": "p-mo"}]}, secret, at
    )


def _json() -> tuple[tuple[str, str], ...]:
    return (("Content-Type", "application/json"),)


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[GatewayUnderTest]:
    carriers = tmp_path / "carriers.toml"
    carriers.write_text(CARRIERS)
    async for running in start_gateway(
        tmp_path, carriers_file=carriers, carrier_environment=ENVIRONMENT
    ):
        yield running


@dataclass(frozen=True)
class Sent:
    """A message recorded as handed to one carrier: its id, our reference, the carrier's id."""

    message_id: str
    reference: str
    carrier_id: str


async def sent_through(gw: GatewayUnderTest, carrier: str) -> Sent:
    template_id = await seed_template(gw)
    token = await gw.key("acme", Role.SENDER)
    body = message(template_id, recipient={"phone": PHONE})
    status, accepted, _ = await gw.call("POST", "/v1/messages", token=token, json=body)
    assert status == 202, accepted
    now, message_id = gw.clock(), accepted["id"]
    reference, carrier_id = client_reference(message_id, 1), f"{carrier}-sid-1"
    async with gw.gateway.store.transaction() as tx:
        await tx.attempts.start(SendAttempt(message_id, 1, carrier, reference, now))
        await tx.messages.set_status(message_id, MessageStatus.SENDING, now, "attempt 1")
        await tx.attempts.finish(
            message_id, 1, AttemptOutcome.SENT, now, carrier_message_id=carrier_id
        )
        await tx.messages.set_status(message_id, MessageStatus.SENT, now)
    return Sent(message_id, reference, carrier_id)


async def push(gw: GatewayUnderTest, sent: Push) -> tuple[int, Any]:
    status, body, _ = await gw.call(sent.method, sent.path, data=sent.body or None,
                                    headers=dict(sent.headers))  # fmt: skip
    return status, body


async def state(gw: GatewayUnderTest, message_id: str) -> tuple[str, int, int, int]:
    """The message's status, its receipts, the creditor's replies and its opt-outs."""
    async with gw.gateway.store.read() as tx:
        detail = await tx.messages.get(message_id, creditor_id="acme")
        receipts = await tx.receipts.of_message(message_id)
        replies = await tx.replies.of_creditor("acme", phone=None, limit=100)
        opt_outs = await tx.opt_outs.of_creditor("acme")
    assert detail is not None
    return str(detail.status), len(receipts), len(replies), len(opt_outs)


DlrMaker = Callable[[Sent, str | None], Push]
MoMaker = Callable[[str | None], Push]
#: carrier -> (a DLR push, an MO push), each given the credential to put in it.
PUSHES: dict[str, tuple[DlrMaker, MoMaker]] = {
    "peer": (lambda s, c: peer_dlr(s.reference, c), peer_mo),
    "kannel": (lambda s, c: kannel_dlr("kannel", s.reference, c), lambda c: kannel_mo("kannel", c)),
    "aliyun": (lambda s, c: aliyun_dlr(s.reference, c), aliyun_mo),
    "tencent": (lambda s, c: tencent_dlr(s.carrier_id, c), tencent_mo),
}
GOOD = {"peer": PEER_SECRET, "kannel": TOKEN, "aliyun": TOKEN, "tencent": TOKEN}
FORGED = {
    "missing": lambda carrier: None,
    "wrong": lambda carrier: "x" * len(GOOD[carrier]),
    "near-miss": lambda carrier: GOOD[carrier][:-1] + "X",
}
CARRIER_IDS = [pytest.param(name, id=name) for name in PUSHES]


class TestForgedCallbacksAreRejected:
    """Unsigned, wrongly signed or wrong-token callbacks: 401 and nothing changes."""

    @pytest.mark.parametrize("forgery", [pytest.param(f, id=f) for f in FORGED])
    @pytest.mark.parametrize("kind", [pytest.param("dlr", id="dlr"), pytest.param("mo", id="mo")])
    @pytest.mark.parametrize("carrier", CARRIER_IDS)
    async def test_forged(
        self, gw: GatewayUnderTest, carrier: str, kind: str, forgery: str
    ) -> None:
        sent = await sent_through(gw, carrier)
        credential = FORGED[forgery](carrier)
        dlr, mo = PUSHES[carrier]
        before = await state(gw, sent.message_id)
        status, body = await push(gw, dlr(sent, credential) if kind == "dlr" else mo(credential))
        assert (status, body["code"]) == (401, "callback_rejected"), body
        assert await state(gw, sent.message_id) == before == ("sent", 0, 0, 0)

    @pytest.mark.parametrize("kind", [pytest.param("dlr", id="dlr"), pytest.param("mo", id="mo")])
    async def test_wrong_source_address(self, gw: GatewayUnderTest, kind: str) -> None:
        sent = await sent_through(gw, "fenced")
        made = (
            kannel_dlr("fenced", sent.reference, TOKEN)
            if kind == "dlr"
            else kannel_mo("fenced", TOKEN)
        )
        status, body = await push(gw, made)
        assert (status, body["code"]) == (401, "callback_rejected"), body
        assert await state(gw, sent.message_id) == ("sent", 0, 0, 0)

    @pytest.mark.parametrize("carrier", CARRIER_IDS)
    async def test_an_api_key_is_no_carrier_credential(
        self, gw: GatewayUnderTest, carrier: str
    ) -> None:
        sent = await sent_through(gw, carrier)
        made = PUSHES[carrier][0](sent, None)
        admin = await gw.key("acme", Role.ADMIN)
        headers = (*made.headers, ("Authorization", f"Bearer {admin}"))
        status, body = await push(gw, Push(made.method, made.path, made.body, headers))
        assert (status, body["code"]) == (401, "callback_rejected"), body
        assert await state(gw, sent.message_id) == ("sent", 0, 0, 0)


class TestGenuineCallbacksAct:
    """The same pushes with the right credential work: the refusals above are not vacuous."""

    @pytest.mark.parametrize("carrier", CARRIER_IDS)
    async def test_genuine(self, gw: GatewayUnderTest, carrier: str) -> None:
        sent = await sent_through(gw, carrier)
        dlr, mo = PUSHES[carrier]
        assert (await push(gw, dlr(sent, GOOD[carrier])))[0] == 200
        assert (await push(gw, mo(GOOD[carrier])))[0] == 200
        status, receipts, replies, opt_outs = await state(gw, sent.message_id)
        assert (status, receipts, replies, opt_outs) == ("delivered", 1, 1, 1)


class TestReplays:
    """A replayed callback is refused (stale signature) or has no second effect (idempotent)."""

    @pytest.mark.parametrize("carrier", CARRIER_IDS)
    async def test_the_same_request_again_has_no_second_effect(
        self, gw: GatewayUnderTest, carrier: str
    ) -> None:
        sent = await sent_through(gw, carrier)
        dlr, mo = PUSHES[carrier]
        report, reply = dlr(sent, GOOD[carrier]), mo(GOOD[carrier])
        for _ in range(2):
            assert (await push(gw, report))[0] == 200
            assert (await push(gw, reply))[0] == 200
        assert await state(gw, sent.message_id) == ("delivered", 1, 1, 1)

    @pytest.mark.parametrize("kind", [pytest.param("dlr", id="dlr"), pytest.param("mo", id="mo")])
    async def test_a_signature_outside_the_window_is_refused(
        self, gw: GatewayUnderTest, kind: str
    ) -> None:
        sent = await sent_through(gw, "peer")
        stale = int(time.time()) - 3600
        made = (
            peer_dlr(sent.reference, PEER_SECRET, stale)
            if kind == "dlr"
            else peer_mo(PEER_SECRET, stale)
        )
        status, body = await push(gw, made)
        assert (status, body["code"]) == (401, "callback_rejected"), body
        assert await state(gw, sent.message_id) == ("sent", 0, 0, 0)

    async def test_a_signature_from_the_future_is_refused(self, gw: GatewayUnderTest) -> None:
        sent = await sent_through(gw, "peer")
        status, body = await push(
            gw, peer_dlr(sent.reference, PEER_SECRET, int(time.time()) + 3600)
        )
        assert (status, body["code"]) == (401, "callback_rejected"), body
        assert await state(gw, sent.message_id) == ("sent", 0, 0, 0)

    async def test_a_signature_does_not_carry_over_to_another_body(
        self, gw: GatewayUnderTest
    ) -> None:
        sent = await sent_through(gw, "peer")
        genuine = peer_dlr("someone-else-1", PEER_SECRET)
        swapped = peer_dlr(sent.reference, None)
        status, body = await push(gw, Push("POST", swapped.path, swapped.body, genuine.headers))
        assert (status, body["code"]) == (401, "callback_rejected"), body
        assert await state(gw, sent.message_id) == ("sent", 0, 0, 0)
