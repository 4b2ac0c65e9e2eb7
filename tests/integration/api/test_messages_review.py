"""Held messages (review findings) released or rejected by a reviewer; tenancy and roles."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from smsgate.store import AuditQuery, MessageStatus

from .api_support import GatewayUnderTest
from .message_support import PHONE, SIGNATURE, message, opt_out, seed_template
from .shared_gateway import on_the_module_gateway

# 律师 (lawyer) is a review term: a creditor may really have instructed one.
REVIEW_VARIABLES = {"name": "律师", "amount": "1234.50", "days": 5}


async def send_held(gw: GatewayUnderTest, creditor: str | None = None) -> dict[str, Any]:
    template_id = await seed_template(gw, creditor)
    token = await gw.key(creditor or gw.acme, "sender")
    body = message(template_id, variables=REVIEW_VARIABLES)
    status, accepted, _ = await gw.call("POST", "/v1/messages", token=token, json=body)
    assert (status, accepted["status"]) == (202, "held")
    return dict(accepted)


async def review(
    gw: GatewayUnderTest,
    message_id: str,
    action: str,
    creditor: str | None = None,
    **body: Any,
) -> tuple[int, Any]:
    token = await gw.key(creditor or gw.acme, "reviewer")
    payload = body or {"reason": "checked: a real lawyer's letter was sent"}
    status, answer, _ = await gw.call(
        "POST", f"/v1/held/{message_id}/{action}", token=token, json=payload
    )
    return status, answer


async def outbox_depth(gw: GatewayUnderTest) -> int:
    async with gw.gateway.store.read() as tx:
        return await tx.outbox.depth()


class TestHeld:
    """A review finding holds the message: no outbox row, no contact slot, listed for reviewers."""

    async def test_held_message_is_not_queued(self, gw: GatewayUnderTest) -> None:
        held = await send_held(gw)
        assert held["verdict"] == "review"
        assert held["send_at"] is None
        assert [f["matched_text"] for f in held["findings"]] == ["律师"]
        assert await outbox_depth(gw) == 0

    async def test_held_list_shows_text_and_findings(self, gw: GatewayUnderTest) -> None:
        first = await send_held(gw)
        gw.clock.advance(minutes=1)
        second = await send_held(gw)
        token = await gw.key(gw.acme, "reviewer")
        status, body, _ = await gw.call("GET", "/v1/held", token=token)
        assert status == 200
        assert [m["id"] for m in body["held"]] == [first["id"], second["id"]]
        listed = body["held"][0]
        assert listed["text"].startswith(SIGNATURE + "律师")
        [finding] = listed["findings"]
        assert listed["text"][finding["start"] : finding["end"]] == "律师"
        assert listed["phone"] != PHONE
        assert "****" in listed["phone"]

    async def test_held_messages_take_no_contact_slot(self, gw: GatewayUnderTest) -> None:
        for _ in range(3):
            await send_held(gw)
        template_id = await seed_template(gw)
        token = await gw.key(gw.acme, "sender")
        status, _, _ = await gw.call("POST", "/v1/messages", token=token, json=message(template_id))
        assert status == 202


class TestAllowListPrecision:
    """#13 item 8: a variable that puts a threat beside an allowed phrase is held, not sent."""

    @pytest.mark.parametrize(
        "name",
        [
            pytest.param("不还就上门服务", id="就上门服务"),
            pytest.param("派人上门回收欠款", id="派人上门回收欠款"),
        ],
    )
    @on_the_module_gateway
    async def test_threat_beside_an_allowed_phrase_is_held(
        self, gw: GatewayUnderTest, name: str
    ) -> None:
        template_id = await seed_template(gw)
        token = await gw.key(gw.acme, "sender")
        body = message(template_id, variables={**REVIEW_VARIABLES, "name": name})
        status, accepted, _ = await gw.call("POST", "/v1/messages", token=token, json=body)
        assert (status, accepted["status"]) == (202, "held")
        assert [f["matched_text"] for f in accepted["findings"]] == ["上门"]
        assert await outbox_depth(gw) == 0

    async def test_the_harmless_reading_is_queued(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        token = await gw.key(gw.acme, "sender")
        body = message(template_id, variables={**REVIEW_VARIABLES, "name": "预约上门服务的"})
        status, accepted, _ = await gw.call("POST", "/v1/messages", token=token, json=body)
        assert (status, accepted["status"]) == (202, "queued")


class TestRelease:
    """Release decides again at release time, then queues; a refusal leaves the message held."""

    async def test_release_queues_and_audits(self, gw: GatewayUnderTest) -> None:
        held = await send_held(gw)
        status, body = await review(gw, held["id"], "release")
        assert (status, body["status"]) == (200, "queued")
        assert body["send_at"] == "2026-11-23T02:00:00Z"
        assert await outbox_depth(gw) == 1
        token = await gw.key(gw.acme, "sender")
        _, detail, _ = await gw.call("GET", f"/v1/messages/{held['id']}", token=token)
        assert [step["status"] for step in detail["history"]] == ["held", "queued"]
        async with gw.gateway.store.read() as tx:
            entries = await tx.audit.entries(AuditQuery(subject=held["id"]))
        assert [entry.action for entry in entries] == ["message.held", "message.released"]

    async def test_release_in_quiet_hours_defers(self, gw: GatewayUnderTest) -> None:
        held = await send_held(gw)
        gw.clock.advance(hours=12)  # 22:00 in Shanghai
        status, body = await review(gw, held["id"], "release")
        assert (status, body["status"], body["send_at"]) == (
            200,
            "scheduled",
            "2026-11-24T00:00:00Z",
        )

    async def test_release_after_opt_out_is_refused_and_stays_held(
        self, gw: GatewayUnderTest
    ) -> None:
        held = await send_held(gw)
        await opt_out(gw)
        status, body = await review(gw, held["id"], "release")
        assert (status, body["code"]) == (422, "opted_out")
        token = await gw.key(gw.acme, "sender")
        _, detail, _ = await gw.call("GET", f"/v1/messages/{held['id']}", token=token)
        assert detail["status"] == "held"
        assert await outbox_depth(gw) == 0

    async def test_release_when_the_cap_is_full_is_429(self, gw: GatewayUnderTest) -> None:
        held = await send_held(gw)
        template_id = await seed_template(gw)
        token = await gw.key(gw.acme, "sender")
        for _ in range(3):
            await gw.call("POST", "/v1/messages", token=token, json=message(template_id))
        status, body = await review(gw, held["id"], "release")
        assert (status, body["code"]) == (429, "contact_limit")
        assert body["retry_at"] == "2026-11-24T00:00:00Z"

    async def test_release_twice_is_409(self, gw: GatewayUnderTest) -> None:
        held = await send_held(gw)
        await review(gw, held["id"], "release")
        status, body = await review(gw, held["id"], "release")
        assert (status, body["code"]) == (409, "invalid_state")


class TestReject:
    """Reject ends a held message for good, with the reviewer's reason."""

    async def test_reject(self, gw: GatewayUnderTest) -> None:
        held = await send_held(gw)
        status, body = await review(gw, held["id"], "reject", reason="misleading")
        assert (status, body["status"]) == (200, "rejected")
        token = await gw.key(gw.acme, "sender")
        _, detail, _ = await gw.call("GET", f"/v1/messages/{held['id']}", token=token)
        assert detail["history"][-1] == {
            "status": "rejected",
            "at": "2026-11-23T02:00:00Z",
            "detail": "misleading",
        }
        assert (await review(gw, held["id"], "release"))[1]["code"] == "invalid_state"

    async def test_a_reject_racing_another_reviewer_is_409(self, gw: GatewayUnderTest) -> None:
        """The other reviewer's rejection (another instance, still committing) comes first:
        this one read the message held, but the store refuses its move (on PostgreSQL)."""
        held = await send_held(gw)
        moved, commit = asyncio.Event(), asyncio.Event()

        async def rejected_elsewhere() -> None:
            async with gw.gateway.store.transaction() as tx:
                await tx.messages.set_status(held["id"], MessageStatus.REJECTED, gw.clock(), "x")
                moved.set()
                await commit.wait()

        elsewhere = asyncio.create_task(rejected_elsewhere())
        await moved.wait()
        second = asyncio.create_task(review(gw, held["id"], "reject", reason="misleading"))
        await asyncio.sleep(0.2)  # it read ``held`` and waits for the row (on PostgreSQL)
        commit.set()
        async with asyncio.timeout(10):
            await elsewhere
            status, body = await second
        assert (status, body["code"]) == (409, "invalid_state")
        token = await gw.key("acme", "sender")
        _, detail, _ = await gw.call("GET", f"/v1/messages/{held['id']}", token=token)
        assert [step["detail"] for step in detail["history"]][-1] == "x"
        assert [step["status"] for step in detail["history"]].count("rejected") == 1

    @pytest.mark.parametrize(
        "payload",
        [
            pytest.param({}, id="missing"),
            pytest.param({"reason": "  "}, id="blank"),
            pytest.param({"reason": "ok", "force": True}, id="unknown-field"),
        ],
    )
    @on_the_module_gateway
    async def test_reason_is_required(self, gw: GatewayUnderTest, payload: dict[str, Any]) -> None:
        held = await send_held(gw)
        token = await gw.key(gw.acme, "reviewer")
        for action in ("release", "reject"):
            status, body, _ = await gw.call(
                "POST", f"/v1/held/{held['id']}/{action}", token=token, json=payload
            )
            assert (status, body["code"]) == (400, "invalid_request")

    async def test_queued_message_cannot_be_rejected(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        token = await gw.key(gw.acme, "sender")
        _, sent, _ = await gw.call("POST", "/v1/messages", token=token, json=message(template_id))
        status, body = await review(gw, sent["id"], "reject", reason="no")
        assert (status, body["code"]) == (409, "invalid_state")


class TestTenancy:
    """Another creditor's messages are 404 everywhere; its held list is its own."""

    async def test_other_creditor_cannot_read_or_review(self, gw: GatewayUnderTest) -> None:
        held = await send_held(gw)
        token = await gw.key(gw.globex, "sender", "reviewer")
        status, body, _ = await gw.call("GET", f"/v1/messages/{held['id']}", token=token)
        assert (status, body["code"]) == (404, "not_found")
        status, body, _ = await gw.call("GET", "/v1/held", token=token)
        assert (status, body["held"]) == (200, [])
        for action in ("release", "reject"):
            status, _ = await review(gw, held["id"], action, creditor="globex")
            assert status == 404
        assert (await review(gw, held["id"], "release"))[0] == 200


class TestRoles:
    """Each route checks its role; a key without it gets 403."""

    @pytest.mark.parametrize(
        ("role", "method", "path"),
        [
            pytest.param("author", "POST", "/v1/messages", id="author-cannot-send"),
            pytest.param("reviewer", "POST", "/v1/messages", id="reviewer-cannot-send"),
            pytest.param("author", "POST", "/v1/messages:batch", id="author-cannot-batch"),
            pytest.param("sender", "GET", "/v1/held", id="sender-cannot-list-held"),
            pytest.param("sender", "POST", "/v1/held/msg_x/release", id="sender-cannot-release"),
            pytest.param("admin", "POST", "/v1/held/msg_x/reject", id="admin-cannot-reject"),
            pytest.param("author", "GET", "/v1/messages/msg_x", id="author-cannot-read"),
        ],
    )
    @on_the_module_gateway
    async def test_forbidden(self, gw: GatewayUnderTest, role: str, method: str, path: str) -> None:
        token = await gw.key(gw.acme, role)
        status, body, _ = await gw.call(method, path, token=token, json={})
        assert (status, body["code"]) == (403, "forbidden")

    async def test_no_key_is_401(self, gw: GatewayUnderTest) -> None:
        status, body, _ = await gw.call("POST", "/v1/messages", json={})
        assert (status, body["code"]) == (401, "unauthorized")

    @pytest.mark.parametrize("role", ["sender", "reviewer", "admin"])
    @on_the_module_gateway
    async def test_readers(self, gw: GatewayUnderTest, role: str) -> None:
        held = await send_held(gw)
        token = await gw.key(gw.acme, role)
        status, _, _ = await gw.call("GET", f"/v1/messages/{held['id']}", token=token)
        assert status == 200
