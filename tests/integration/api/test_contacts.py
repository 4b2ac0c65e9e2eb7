"""Recording calls over HTTP: they land in the contact ledger, audited, within a bounded window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsgate.core.audience import Audience
from smsgate.core.policy.contacts import Channel
from smsgate.store import AuditQuery, ContactRecord, Role

from ..audit_support import sequenced_and_verified
from .api_support import DEFAULT_NOW, GatewayUnderTest
from .shared_gateway import on_the_module_gateway

PHONE = "+8613800138000"
CALL = {"debtor_id": "D-1001", "phone": PHONE, "role": "debtor"}


async def record(gw: GatewayUnderTest, creditor: str | None = None, **body: Any) -> tuple[int, Any]:
    token = await gw.key(creditor or gw.acme, Role.SENDER)
    status, got, _ = await gw.call("POST", "/v1/contacts", token=token, json={**CALL, **body})
    return status, got


async def ledger(gw: GatewayUnderTest, creditor: str | None = None) -> list[ContactRecord]:
    async with gw.gateway.store.read() as tx:
        return await tx.contacts.of_debtor(
            creditor or gw.acme,
            "D-1001",
            DEFAULT_NOW - timedelta(days=30),
            DEFAULT_NOW + timedelta(days=1),
        )


def iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


class TestRecordContact:
    """A call is stored in the caller's ledger as given, and audited."""

    async def test_defaults_to_a_call_made_now(self, gw: GatewayUnderTest) -> None:
        status, body = await record(gw)
        assert status == 201
        assert body == {
            "debtor_id": "D-1001",
            "phone": PHONE,
            "role": "debtor",
            "channel": "call",
            "at": "2026-11-23T02:00:00Z",
        }
        assert await ledger(gw) == [
            ContactRecord("acme", "D-1001", PHONE, Audience.DEBTOR, Channel.CALL, DEFAULT_NOW)
        ]

    async def test_offset_instant_is_stored_in_utc(self, gw: GatewayUnderTest) -> None:
        status, body = await record(gw, at="2026-11-23T08:30:00+08:00", channel="call")
        assert (status, body["at"]) == (201, "2026-11-23T00:30:00Z")
        [stored] = await ledger(gw)
        assert stored.at == datetime(2026, 11, 23, 0, 30, tzinfo=UTC)

    async def test_third_party_call_to_a_landline(self, gw: GatewayUnderTest) -> None:
        status, body = await record(gw, phone="+86 10 6234 5678", role="third_party")
        assert (status, body["phone"], body["role"]) == (201, "+861062345678", "third_party")
        [stored] = await ledger(gw)
        assert (stored.role, stored.message_id) == (Audience.THIRD_PARTY, None)

    async def test_every_call_counts(self, gw: GatewayUnderTest) -> None:
        for _ in range(3):
            assert (await record(gw))[0] == 201
        assert len(await ledger(gw)) == 3

    async def test_audited_and_chain_verifies(self, gw: GatewayUnderTest) -> None:
        await record(gw, at="2026-11-23T01:00:00Z")
        principal = await gw.gateway.keys.principal(await gw.key("acme", Role.SENDER))
        assert principal is not None
        async with gw.gateway.store.read() as tx:
            [entry] = await tx.audit.entries(AuditQuery(action="contact.recorded"))
        assert (entry.creditor_id, entry.actor, entry.subject) == (
            "acme",
            principal.key_id,
            "D-1001",
        )
        assert entry.at == DEFAULT_NOW
        assert entry.detail == {
            "phone": PHONE,
            "role": "debtor",
            "channel": "call",
            "contact_at": "2026-11-23T01:00:00.000000Z",
        }
        assert (await sequenced_and_verified(gw.gateway.store)).ok

    async def test_other_creditor_ledger_is_untouched(self, gw: GatewayUnderTest) -> None:
        await record(gw, creditor="globex")
        assert await ledger(gw) == []
        assert len(await ledger(gw, "globex")) == 1


@on_the_module_gateway
class TestRecordingWindow:
    """A call may be up to 5 minutes ahead of our clock and at most 7 days old."""

    @pytest.mark.parametrize(
        "at",
        [
            pytest.param(DEFAULT_NOW + timedelta(minutes=5), id="five-minutes-ahead"),
            pytest.param(DEFAULT_NOW - timedelta(days=7), id="seven-days-ago"),
            pytest.param(DEFAULT_NOW - timedelta(days=1), id="yesterday"),
        ],
    )
    async def test_accepted(self, gw: GatewayUnderTest, at: datetime) -> None:
        status, body = await record(gw, at=iso(at))
        assert (status, body["at"]) == (201, iso(at))

    @pytest.mark.parametrize(
        ("at", "hint"),
        [
            pytest.param(DEFAULT_NOW + timedelta(minutes=6), "future", id="six-minutes-ahead"),
            pytest.param(DEFAULT_NOW + timedelta(days=1), "future", id="tomorrow"),
            pytest.param(DEFAULT_NOW - timedelta(days=7, seconds=1), "7 days", id="too-old"),
        ],
    )
    async def test_refused(self, gw: GatewayUnderTest, at: datetime, hint: str) -> None:
        status, problem = await record(gw, at=iso(at))
        assert (status, problem["code"]) == (400, "invalid_request")
        assert hint in problem["detail"]
        assert await ledger(gw) == []


@on_the_module_gateway
class TestValidation:
    """Malformed calls are 400 ``invalid_request`` problems and record nothing."""

    @pytest.mark.parametrize(
        ("change", "hint"),
        [
            pytest.param({"phone": "13800138000"}, "phone", id="phone-without-plus"),
            pytest.param({"phone": "+8613800"}, "phone", id="phone-too-short"),
            pytest.param({"phone": "+86138001380001234"}, "phone", id="phone-too-long"),
            pytest.param({"phone": "call me"}, "phone", id="phone-not-a-number"),
            pytest.param({"channel": "sms"}, "call", id="sms-channel"),
            pytest.param({"channel": "email"}, "channel", id="unknown-channel"),
            pytest.param({"role": "guarantor"}, "role", id="unknown-role"),
            pytest.param({"debtor_id": ""}, "debtor_id", id="empty-debtor"),
            pytest.param({"debtor_id": " D-1001"}, "debtor_id", id="padded-debtor"),
            pytest.param({"debtor_id": 1001}, "debtor_id", id="numeric-debtor"),
            pytest.param({"at": "2026-11-23T01:00:00"}, "timezone", id="naive-at"),
            pytest.param({"at": "yesterday"}, "at", id="unparseable-at"),
            pytest.param({"duration": 60}, "duration", id="unknown-field"),
        ],
    )
    async def test_refused(self, gw: GatewayUnderTest, change: dict[str, Any], hint: str) -> None:
        status, problem = await record(gw, **change)
        assert (status, problem["code"]) == (400, "invalid_request")
        assert hint in problem["detail"]
        assert await ledger(gw) == []

    @pytest.mark.parametrize("field", [pytest.param(name, id=f"missing-{name}") for name in CALL])
    async def test_required_fields(self, gw: GatewayUnderTest, field: str) -> None:
        token = await gw.key(gw.acme, Role.SENDER)
        body = {name: value for name, value in CALL.items() if name != field}
        status, problem, response = await gw.call("POST", "/v1/contacts", token=token, json=body)
        assert (status, problem["code"]) == (400, "invalid_request")
        assert field in problem["detail"]
        assert response.content_type == "application/problem+json"

    async def test_malformed_json(self, gw: GatewayUnderTest) -> None:
        token = await gw.key(gw.acme, Role.SENDER)
        status, problem, _ = await gw.call(
            "POST",
            "/v1/contacts",
            token=token,
            data=b'{"debtor_id": ',
            headers={"Content-Type": "application/json"},
        )
        assert (status, problem["code"]) == (400, "invalid_request")
