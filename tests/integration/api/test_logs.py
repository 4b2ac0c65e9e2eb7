"""The operator log of real requests: one JSON event per state change, no phone or key in clear."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from smsgate.logs import configure_logging, mask_phone
from smsgate.store import Role

from .api_support import GatewayUnderTest

PHONE = "+8613800138000"
NATIONAL = "13800138000"
REASON = "本人来电要求停止催收短信"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """structlog writing JSON into a buffer for the test; the previous configuration after."""
    previous = structlog.get_config()
    stream = io.StringIO()
    configure_logging("json", stream)
    yield stream
    structlog.configure(**previous)


async def exercise(gw: GatewayUnderTest) -> list[str]:
    """Add, list, lift an opt-out, record a call, and fail a few requests; the tokens used."""
    sender, admin = await gw.key("acme", Role.SENDER), await gw.key("acme", Role.ADMIN)
    opt_out = {"phone": PHONE, "kind": "do_not_contact", "reason": REASON}
    assert (await gw.call("POST", "/v1/opt-outs", token=sender, json=opt_out))[0] == 201
    assert (await gw.call("GET", "/v1/opt-outs?phone=%2B8613800138000", token=sender))[0] == 200
    call = {"debtor_id": "D-1001", "phone": PHONE, "role": "debtor"}
    assert (await gw.call("POST", "/v1/contacts", token=sender, json=call))[0] == 201
    lift = {"reason": REASON}
    path = f"/v1/opt-outs/{PHONE}?kind=do_not_contact"
    assert (await gw.call("DELETE", path, token=admin, json=lift))[0] == 200
    bogus = "sgk_this-key-does-not-exist"
    assert (await gw.call("POST", "/v1/opt-outs", token=bogus, json=opt_out))[0] == 401
    assert (await gw.call("DELETE", path, token=sender, json=lift))[0] == 403
    assert (await gw.call("DELETE", path, token=admin, json=lift))[0] == 404
    return [sender, admin, bogus]


def events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestLogSafety:
    """Requests that carry full phones and keys leave neither in any log line."""

    async def test_every_line_is_json_with_an_event(
        self, gw: GatewayUnderTest, log_stream: io.StringIO
    ) -> None:
        await exercise(gw)
        lines = log_stream.getvalue().splitlines()
        assert lines
        for line in lines:
            assert isinstance(json.loads(line)["event"], str), line

    async def test_no_full_phone_number_token_or_reason(
        self, gw: GatewayUnderTest, log_stream: io.StringIO
    ) -> None:
        tokens = await exercise(gw)
        text = log_stream.getvalue()
        assert NATIONAL not in text
        for token in tokens:
            assert token not in text
        assert "Bearer" not in text
        assert REASON not in text


class TestStateChangeEvents:
    """Each add, lift and recorded call is one event with creditor, kind, masked phone, actor."""

    async def test_events(self, gw: GatewayUnderTest, log_stream: io.StringIO) -> None:
        await exercise(gw)
        sender = await gw.gateway.keys.principal(await gw.key("acme", Role.SENDER))
        admin = await gw.gateway.keys.principal(await gw.key("acme", Role.ADMIN))
        assert sender is not None
        assert admin is not None
        masked = mask_phone(PHONE)
        got = [
            {k: e.get(k) for k in ("event", "creditor", "kind", "phone", "actor")}
            for e in events(log_stream)
            if e["event"] in {"opt_out_added", "opt_out_removed", "contact_recorded"}
        ]
        assert got == [
            {
                "event": "opt_out_added",
                "creditor": "acme",
                "kind": "do_not_contact",
                "phone": masked,
                "actor": sender.key_id,
            },
            {
                "event": "contact_recorded",
                "creditor": "acme",
                "kind": "call",
                "phone": masked,
                "actor": sender.key_id,
            },
            {
                "event": "opt_out_removed",
                "creditor": "acme",
                "kind": "do_not_contact",
                "phone": masked,
                "actor": admin.key_id,
            },
        ]

    async def test_repeated_add_changes_nothing_and_logs_nothing(
        self, gw: GatewayUnderTest, log_stream: io.StringIO
    ) -> None:
        sender = await gw.key("acme", Role.SENDER)
        for expected in (201, 200):
            status, _, _ = await gw.call(
                "POST", "/v1/opt-outs", token=sender, json={"phone": PHONE}
            )
            assert status == expected
        changes = [e["event"] for e in events(log_stream) if e["event"].startswith("opt_out")]
        assert changes == ["opt_out_added"]
