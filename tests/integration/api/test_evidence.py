"""``GET /v1/evidence`` on both stores: one subject, reviewer/admin, the caller's creditor only.

Packs are fetched over HTTP from a gateway holding the tests' audit key and
checked as a regulator would: parsed from the body and verified offline.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from smsgate.api.evidence_models import EvidencePackBody
from smsgate.core.evidence import from_json, verify_pack
from smsgate.store import Role

from ..audit_support import SIGNER
from .api_support import GatewayUnderTest, start_gateway
from .message_support import DEBTOR, PHONE, message, seed_template

NATIONAL = PHONE.removeprefix("+86")


@pytest.fixture
async def gw(tmp_path: Path) -> AsyncIterator[GatewayUnderTest]:
    async for running in start_gateway(tmp_path, audit_signer=SIGNER):
        yield running


async def sent(gw: GatewayUnderTest) -> str:
    """acme's message to DEBTOR at PHONE, accepted through the API; its id."""
    template_id = await seed_template(gw, "acme")
    token = await gw.key("acme", Role.SENDER)
    status, body, _ = await gw.call("POST", "/v1/messages", token=token, json=message(template_id))
    assert status == 202, body
    return str(body["id"])


async def evidence(
    gw: GatewayUnderTest, query: str, creditor: str = "acme", role: Role = Role.REVIEWER
) -> tuple[int, Any, dict[str, str]]:
    token = await gw.key(creditor, role)
    status, body, response = await gw.call("GET", f"/v1/evidence?{query}", token=token)
    return status, body, dict(response.headers)


def filename(headers: dict[str, str]) -> str:
    found = re.fullmatch(r'attachment; filename="([^"]+)"', headers["Content-Disposition"])
    assert found, headers["Content-Disposition"]
    return found.group(1)


class TestOneSubject:
    """Exactly one of debtor_id, phone, message_id, each well formed, else a 400 problem."""

    @pytest.mark.parametrize(
        "query",
        [
            pytest.param("", id="none"),
            pytest.param("format=json", id="only-format"),
            pytest.param(f"debtor_id={DEBTOR}&message_id=msg_x", id="two"),
            pytest.param(f"debtor_id={DEBTOR}&debtor_id=D-2", id="one-twice"),
        ],
    )
    async def test_not_exactly_one(self, gw: GatewayUnderTest, query: str) -> None:
        status, body, headers = await evidence(gw, query)
        assert (status, body["code"]) == (400, "invalid_request"), body
        assert headers["Content-Type"].startswith("application/problem+json")
        assert "exactly one of debtor_id, phone, message_id" in body["detail"]

    async def test_a_malformed_phone(self, gw: GatewayUnderTest) -> None:
        status, body, _ = await evidence(gw, "phone=13800138000")
        assert (status, body["code"], body["field"]) == (400, "invalid_request", "phone"), body

    async def test_an_unknown_format(self, gw: GatewayUnderTest) -> None:
        status, body, _ = await evidence(gw, f"debtor_id={DEBTOR}&format=pdf")
        assert (status, body["field"]) == (400, "format"), body


class TestThePack:
    """The pack of the caller's own subject holds its facts, verifies, downloads safely."""

    async def test_a_debtors_pack_as_json(self, gw: GatewayUnderTest) -> None:
        message_id = await sent(gw)
        status, body, headers = await evidence(gw, f"debtor_id={DEBTOR}")
        assert status == 200, body
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert filename(headers) == f"evidence-debtor-{DEBTOR}-2026-11-23.json"
        msgspec.convert(body, EvidencePackBody)  # the body is what the OpenAPI document says
        pack = from_json(body)
        assert verify_pack(pack, SIGNER.verifier.verifies) is None
        accepted = [fact.event() for fact in pack.facts]
        assert [e["subject"] for e in accepted if e["action"] == "message.accepted"] == [message_id]
        assert pack.pending == ()

    @pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMIN])
    async def test_a_phones_pack_names_no_phone_in_its_file_name(
        self, gw: GatewayUnderTest, role: Role
    ) -> None:
        await sent(gw)
        status, body, headers = await evidence(gw, "phone=%2B8613800138000", role=role)
        assert status == 200, body
        assert len(from_json(body).facts) >= 1
        name = filename(headers)
        assert NATIONAL not in name
        assert name.startswith("evidence-phone-86138xxxx8000-"), name

    async def test_a_messages_pack_as_html(self, gw: GatewayUnderTest) -> None:
        message_id = await sent(gw)
        status, body, headers = await evidence(gw, f"message_id={message_id}&format=html")
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert filename(headers) == f"evidence-message-{message_id}-2026-11-23.html"
        for expected in ("证据包", "短信已受理", message_id):
            assert expected in body


class TestOtherCreditors:
    """Another creditor's reviewer asking for acme's subjects gets a valid pack with no facts."""

    @pytest.mark.parametrize("kind", ["debtor_id", "phone", "message_id"])
    async def test_an_empty_valid_pack(self, gw: GatewayUnderTest, kind: str) -> None:
        message_id = await sent(gw)
        value = {"debtor_id": DEBTOR, "phone": "%2B8613800138000", "message_id": message_id}
        status, body, _ = await evidence(gw, f"{kind}={value[kind]}", creditor="globex")
        assert status == 200, body
        pack = from_json(body)
        assert pack.subject.creditor_id == "globex"
        assert pack.facts == ()
        assert pack.pending == ()
        assert verify_pack(pack, SIGNER.verifier.verifies) is None
        # The caller's own query is echoed as the subject; nothing else may name acme's data.
        rest = json.dumps({k: v for k, v in body.items() if k != "subject"}, ensure_ascii=False)
        for mark in ('"acme"', NATIONAL, "138****8000", DEBTOR, message_id):
            assert mark not in rest, mark


class TestAccess:
    """Senders and authors get 403; an instance without the audit key a 503, never a 500."""

    @pytest.mark.parametrize("role", [Role.SENDER, Role.AUTHOR])
    async def test_forbidden(self, gw: GatewayUnderTest, role: Role) -> None:
        status, body, _ = await evidence(gw, f"debtor_id={DEBTOR}", role=role)
        assert (status, body["code"]) == (403, "forbidden"), body

    async def test_no_audit_key(self, tmp_path: Path) -> None:
        async for bare in start_gateway(tmp_path):
            status, body, _ = await evidence(bare, f"debtor_id={DEBTOR}")
            assert (status, body["code"]) == (503, "evidence_unavailable"), body
            assert "SMSGATE_AUDIT_SIGNING_KEY" in body["detail"]


class TestDocumented:
    """The OpenAPI document describes both formats and the tenant rule."""

    async def test_openapi(self, gw: GatewayUnderTest) -> None:
        _, document, _ = await gw.call("GET", "/openapi.json")
        operation = document["paths"]["/v1/evidence"]["get"]
        assert operation["description"].startswith("Roles: admin, reviewer. ")
        assert (
            "another creditor's debtor, phone or message gives a valid pack with no facts"
            in (operation["description"])
        )
        assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/html"}
        names = [parameter["name"] for parameter in operation["parameters"]]
        assert names == ["debtor_id", "phone", "message_id", "format"]
