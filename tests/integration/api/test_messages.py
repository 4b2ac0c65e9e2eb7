"""POST /v1/messages end to end: vetting, every refusal code, caps under load, idempotency."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from structlog.testing import capture_logs

from smsgate.store import AuditQuery, OptOutKind, Role, VersionStatus

from .api_support import GatewayUnderTest
from .message_support import (
    OTHER_PHONE,
    PHONE,
    SIGNATURE,
    call_back,
    message,
    opt_out,
    record_call,
    seed_call_back,
    seed_template,
)
from .shared_gateway import on_the_module_gateway

SEND = "/v1/messages"
# 21:30 in Shanghai: quiet hours; the next slot is 08:00 the next local day.
LATE_EVENING = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
NEXT_MORNING = "2026-11-24T00:00:00Z"


async def send(gw: GatewayUnderTest, body: Any, **headers: str) -> tuple[int, Any, Any]:
    token = await gw.key(gw.acme, "sender")
    return await gw.call("POST", SEND, token=token, json=body, headers=headers or None)


async def outbox_depth(gw: GatewayUnderTest) -> int:
    async with gw.gateway.store.read() as tx:
        return await tx.outbox.depth()


class TestAccepted:
    """A valid message is signed, rendered from the newest approved version and queued."""

    async def test_queued_with_signature_and_exact_version(self, gw: GatewayUnderTest) -> None:
        statuses = (VersionStatus.APPROVED, VersionStatus.APPROVED, VersionStatus.SUBMITTED)
        template_id = await seed_template(gw, statuses=statuses)
        status, body, _ = await send(gw, message(template_id))
        assert status == 202
        assert body["status"] == "queued"
        assert (body["template_id"], body["template_version"]) == (template_id, 2)
        assert (body["segments"], body["encoding"], body["verdict"]) == (1, "ucs2", "pass")
        assert body["send_at"] == "2026-11-23T02:00:00Z"
        assert body["wordlist_version"] == gw.gateway.wordlists.current().version
        token = await gw.key(gw.acme, "sender")
        status, detail, _ = await gw.call("GET", f"{SEND}/{body['id']}", token=token)
        assert status == 200
        assert detail["text"] == f"{SIGNATURE}张三您好，您的账单1234.50元已逾期5天，请尽快还款。"
        assert detail["template_version"] == 2
        assert detail["phone"] == PHONE
        assert [step["status"] for step in detail["history"]] == ["queued"]
        assert await outbox_depth(gw) == 1

    async def test_acceptance_is_audited(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        _, body, _ = await send(gw, message(template_id))
        async with gw.gateway.store.read() as tx:
            entries = await tx.audit.entries(AuditQuery(action="message.accepted"))
        assert [entry.subject for entry in entries] == [body["id"]]
        assert "****" in str(entries[0].detail["phone"])
        assert PHONE not in str(entries[0].detail)


class TestObservability:
    """One log event per outcome with masked phone and no text; verdicts and acceptances counted."""

    async def test_log_events(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        with capture_logs() as events:
            await send(gw, message(template_id))
            await send(
                gw, message(template_id, variables={"name": "派出所", "amount": "1", "days": 1})
            )
        outcomes = [e for e in events if e["event"].startswith("message_")]
        assert [e["event"] for e in outcomes] == ["message_accepted", "message_refused"]
        assert outcomes[1]["code"] == "sensitive_term"
        for event in outcomes:
            assert event["template_id"] == template_id
            assert event["template_version"] == 1
            assert PHONE not in str(event)
            assert "还款" not in str(event)
        assert outcomes[0]["verdict"] == "pass"

    async def test_metrics(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await send(gw, message(template_id))
        _, text, _ = await gw.call("GET", "/metrics")
        assert 'smsgate_scan_verdicts_total{verdict="pass"} 1.0' in text
        assert 'smsgate_messages_accepted_total{status="queued"} 1.0' in text


class TestContentRefusals:
    """Template, audience, variables, length and scan refusals are 404/422 with stable codes."""

    async def test_unknown_template_is_404(self, gw: GatewayUnderTest) -> None:
        status, body, _ = await send(gw, message("tpl_nope"))
        assert (status, body["code"]) == (404, "not_found")

    async def test_other_creditors_template_is_404(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw, "globex")
        status, body, _ = await send(gw, message(template_id))
        assert (status, body["code"]) == (404, "not_found")

    @pytest.mark.parametrize(
        ("statuses", "retired"),
        [
            pytest.param((VersionStatus.DRAFT,), False, id="draft-only"),
            pytest.param((VersionStatus.SUBMITTED, VersionStatus.REJECTED), False, id="unapproved"),
            pytest.param((VersionStatus.APPROVED,), True, id="retired"),
        ],
    )
    @on_the_module_gateway
    async def test_template_not_approved(
        self, gw: GatewayUnderTest, statuses: tuple[VersionStatus, ...], retired: bool
    ) -> None:
        template_id = await seed_template(gw, statuses=statuses, retired=retired)
        status, body, _ = await send(gw, message(template_id))
        assert (status, body["code"]) == (422, "template_not_approved")

    async def test_variable_invalid_names_the_variable(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        variables = {"name": "张三", "amount": "1234.50", "days": 99999}
        status, body, _ = await send(gw, message(template_id, variables=variables))
        assert (status, body["code"]) == (422, "variable_invalid")
        assert [error["variable"] for error in body["errors"]] == ["days"]
        assert body["errors"][0]["reason"]

    async def test_sensitive_term_spans_index_the_signed_text(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        variables = {"name": "派出所", "amount": "1", "days": 1}
        status, body, _ = await send(gw, message(template_id, variables=variables))
        assert (status, body["code"]) == (422, "sensitive_term")
        [finding] = body["findings"]
        text = f"{SIGNATURE}派出所您好，您的账单1.00元已逾期1天，请尽快还款。"
        assert text[finding["start"] : finding["end"]] == finding["matched_text"] == "派出所"
        assert finding["start"] == len(SIGNATURE)
        assert body["wordlist_version"] == gw.gateway.wordlists.current().version
        assert await outbox_depth(gw) == 0

    async def test_message_too_long(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw, body="请尽快还款。" * 80, variables={})
        status, body, _ = await send(gw, message(template_id, variables={}))
        assert (status, body["code"]) == (422, "message_too_long")
        assert body["max_segments"] == gw.gateway.settings.max_segments

    async def test_refusals_are_audited(self, gw: GatewayUnderTest) -> None:
        await send(gw, message("tpl_nope"))
        async with gw.gateway.store.read() as tx:
            entries = await tx.audit.entries(AuditQuery(action="message.refused"))
        assert [entry.detail["code"] for entry in entries] == ["not_found"]


class TestInvalidRequest:
    """Malformed bodies, bad phones and zones are 400 invalid_request naming the field."""

    @pytest.mark.parametrize(
        ("changes", "needle"),
        [
            pytest.param({"recipient": {"phone": "13800138000"}}, "recipient.phone", id="no-plus"),
            pytest.param({"recipient": {"phone": "+86138"}}, "recipient.phone", id="too-short"),
            pytest.param({"recipient": {"phone": "+861012345678"}}, "mobile", id="landline"),
            pytest.param({"recipient": {"phone": "+8613800l38000"}}, "recipient.phone", id="typo"),
            pytest.param({"recipient": {"timezone": "Mars/Base"}}, "recipient.timezone", id="tz"),
            pytest.param({"recipient": {"role": "friend"}}, "$.recipient.role", id="role"),
            pytest.param({"recipient": {"shoe": 42}}, "shoe", id="unknown-nested-field"),
            pytest.param({"priority": "high"}, "priority", id="unknown-field"),
            pytest.param({"variables": []}, "$.variables", id="wrong-type"),
            pytest.param({"send_at": "2026-11-24T09:00:00"}, "$.send_at", id="naive-send-at"),
            pytest.param({"on_quiet_hours": "ignore"}, "$.on_quiet_hours", id="quiet-choice"),
        ],
    )
    @on_the_module_gateway
    async def test_bad_fields(
        self, gw: GatewayUnderTest, changes: dict[str, Any], needle: str
    ) -> None:
        template_id = await seed_template(gw)
        status, body, response = await send(gw, message(template_id, **changes))
        assert (status, body["code"]) == (400, "invalid_request")
        assert response.content_type == "application/problem+json"
        assert needle in body["detail"]

    async def test_malformed_json(self, gw: GatewayUnderTest) -> None:
        token = await gw.key(gw.acme, "sender")
        status, body, _ = await gw.call(
            "POST",
            SEND,
            token=token,
            data=b'{"template_id": ',
            headers={"Content-Type": "application/json"},
        )
        assert (status, body["code"]) == (400, "invalid_request")
        assert "malformed JSON" in body["detail"]

    async def test_missing_recipient(self, gw: GatewayUnderTest) -> None:
        status, body, _ = await send(gw, {"template_id": "tpl_x", "variables": {}})
        assert (status, body["code"]) == (400, "invalid_request")
        assert "recipient" in body["detail"]


class TestOptOut:
    """A phone on the do-not-contact list is refused."""

    async def test_opted_out(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await opt_out(gw)
        status, body, _ = await send(gw, message(template_id))
        assert (status, body["code"]) == (422, "opted_out")
        assert await outbox_depth(gw) == 0

    async def test_a_complaint_flag_holds_for_a_reviewer_and_release_stays_refused(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        await opt_out(gw, kind=OptOutKind.DO_NOT_CONTACT)
        status, body, _ = await send(gw, message(template_id))
        assert (status, body["status"]) == (202, "held")
        assert "complained" in body["detail"]
        assert await outbox_depth(gw) == 0
        reviewer = await gw.key(gw.acme, Role.REVIEWER)
        path = f"/v1/held/{body['id']}/release"
        status, refused, _ = await gw.call("POST", path, token=reviewer, json={"reason": "ok"})
        assert (status, refused["code"]) == (422, "opted_out")


class TestContactCap:
    """Three contacts per debtor per local day, SMS and calls, all phones; exact under load."""

    async def test_fourth_message_is_429_until_next_morning(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        for _ in range(3):
            assert (await send(gw, message(template_id)))[0] == 202
        status, body, response = await send(gw, message(template_id))
        assert (status, body["code"]) == (429, "contact_limit")
        assert body["retry_at"] == NEXT_MORNING
        # 10:00 to 08:00 the next day in Shanghai.
        assert response.headers["Retry-After"] == str(22 * 3600)

    async def test_cap_counts_other_phones_and_recorded_calls(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await record_call(gw, phone=OTHER_PHONE)
        assert (await send(gw, message(template_id)))[0] == 202
        second = message(template_id, recipient={"phone": OTHER_PHONE})
        assert (await send(gw, second))[0] == 202
        status, body, _ = await send(gw, message(template_id))
        assert (status, body["code"]) == (429, "contact_limit")

    async def test_other_debtors_are_not_counted(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        for _ in range(3):
            await send(gw, message(template_id))
        other = {"debtor_id": "D-2002", "phone": OTHER_PHONE}
        status, _, _ = await send(gw, message(template_id, recipient=other))
        assert status == 202

    async def test_fifty_concurrent_requests_take_exactly_three_slots(
        self, gw: GatewayUnderTest
    ) -> None:
        template_id = await seed_template(gw)
        await gw.key(gw.acme, "sender")
        results = await asyncio.gather(*(send(gw, message(template_id)) for _ in range(50)))
        statuses = Counter(status for status, _, _ in results)
        assert statuses == {202: 3, 429: 47}
        assert await outbox_depth(gw) == 3


class TestQuietHours:
    """Outside 08:00-21:00 local: defer to the next slot, or refuse with when it opens."""

    async def test_reject_is_422_with_retry_at(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = LATE_EVENING
        status, body, response = await send(gw, message(template_id, on_quiet_hours="reject"))
        assert (status, body["code"]) == (422, "quiet_hours")
        assert body["retry_at"] == NEXT_MORNING
        assert "Retry-After" not in response.headers

    async def test_defer_is_scheduled_next_morning(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = LATE_EVENING
        status, body, _ = await send(gw, message(template_id))
        assert (status, body["status"], body["send_at"]) == (202, "scheduled", NEXT_MORNING)
        assert "deferred" in body["detail"]

    async def test_deferred_message_books_the_next_days_slot(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        gw.clock.now = LATE_EVENING
        for _ in range(3):
            assert (await send(gw, message(template_id)))[1]["send_at"] == NEXT_MORNING
        _, body, _ = await send(gw, message(template_id))
        # Tomorrow is full: the deferral passes over it.
        assert body["send_at"] == "2026-11-25T00:00:00Z"

    async def test_dst_fall_back_defers_to_the_right_instant(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        # 01:30 EDT on 1 November 2026, the night New York falls back to EST.
        gw.clock.now = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
        recipient = {"phone": "+12015550123", "timezone": "America/New_York"}
        status, body, _ = await send(gw, message(template_id, recipient=recipient))
        assert (status, body["status"]) == (202, "scheduled")
        # 08:00 EST (UTC-5), not 08:00 EDT (12:00 UTC).
        assert body["send_at"] == "2026-11-01T13:00:00Z"

    async def test_future_send_at_is_scheduled(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        status, body, _ = await send(gw, message(template_id, send_at="2026-11-23T15:00:00+08:00"))
        assert (status, body["status"], body["send_at"]) == (
            202,
            "scheduled",
            "2026-11-23T07:00:00Z",
        )


class TestThirdParty:
    """Third parties get only call-back templates, at most once a day per phone."""

    async def test_debtor_template_to_third_party_is_refused(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        third = message(template_id, recipient={"phone": OTHER_PHONE, "role": "third_party"})
        status, body, _ = await send(gw, third)
        assert (status, body["code"]) == (422, "audience_mismatch")

    async def test_call_back_template_to_debtor_is_refused(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_call_back(gw)
        body = call_back(template_id)
        body["recipient"]["role"] = "debtor"
        status, problem, _ = await send(gw, body)
        assert (status, problem["code"]) == (422, "audience_mismatch")

    async def test_once_a_day_per_phone(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_call_back(gw)
        assert (await send(gw, call_back(template_id)))[0] == 202
        # Another debtor's referee at the same phone: the phone's cap is spent.
        status, body, _ = await send(gw, call_back(template_id, debtor="D-2002"))
        assert (status, body["code"]) == (429, "contact_limit")
        # The debtor's own cap is separate.
        debtor_template = await seed_template(gw)
        assert (await send(gw, message(debtor_template)))[0] == 202


class TestIdempotency:
    """The same key and body replay the first response; another body with the key is 409."""

    async def test_replay_returns_the_first_response(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        first = await send(gw, message(template_id), **{"Idempotency-Key": "k-1"})
        again = await send(gw, message(template_id), **{"Idempotency-Key": "k-1"})
        assert (again[0], again[1]) == (first[0], first[1]) == (202, first[1])
        assert again[2].headers["Idempotent-Replayed"] == "true"
        assert await outbox_depth(gw) == 1

    async def test_refusals_are_replayed(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await opt_out(gw)
        first = await send(gw, message(template_id), **{"Idempotency-Key": "k-2"})
        again = await send(gw, message(template_id), **{"Idempotency-Key": "k-2"})
        assert first[0] == again[0] == 422
        assert first[1] == again[1]

    async def test_other_body_is_409(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await send(gw, message(template_id), **{"Idempotency-Key": "k-3"})
        other = message(template_id, recipient={"debtor_id": "D-2002"})
        status, body, _ = await send(gw, other, **{"Idempotency-Key": "k-3"})
        assert (status, body["code"]) == (409, "idempotency_conflict")

    async def test_concurrent_retries_create_one_message(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        await gw.key(gw.acme, "sender")
        headers = {"Idempotency-Key": "k-4"}
        results = await asyncio.gather(
            *(send(gw, message(template_id), **headers) for _ in range(10))
        )
        assert {status for status, _, _ in results} == {202}
        assert len({body["id"] for _, body, _ in results}) == 1
        assert await outbox_depth(gw) == 1

    async def test_bad_requests_are_not_remembered(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        bad = message(template_id, recipient={"phone": "123"})
        assert (await send(gw, bad, **{"Idempotency-Key": "k-5"}))[0] == 400
        assert (await send(gw, message(template_id), **{"Idempotency-Key": "k-5"}))[0] == 202

    async def test_keys_are_per_creditor(self, gw: GatewayUnderTest) -> None:
        acme_template = await seed_template(gw)
        globex_template = await seed_template(gw, "globex")
        await send(gw, message(acme_template), **{"Idempotency-Key": "shared"})
        token = await gw.key(gw.globex, "sender")
        status, _, _ = await gw.call(
            "POST",
            SEND,
            token=token,
            json=message(globex_template),
            headers={"Idempotency-Key": "shared"},
        )
        assert status == 202


class TestBatch:
    """A batch settles each item alone, in order, and reports per-item results."""

    async def test_mixed_results(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        items = [
            message(template_id),
            {**message(template_id), "colour": "red"},
            message(template_id, recipient={"phone": "+861012345678"}),
            message(template_id, variables={"name": "派出所", "amount": "1", "days": 1}),
            message(template_id),
            message(template_id),
            message(template_id),
        ]
        token = await gw.key(gw.acme, "sender")
        status, body, _ = await gw.call(
            "POST", f"{SEND}:batch", token=token, json={"messages": items}
        )
        assert status == 200
        got = [(r["index"], r["status"], r["body"].get("code")) for r in body["results"]]
        assert got == [
            (0, 202, None),
            (1, 400, "invalid_request"),
            (2, 400, "invalid_request"),
            (3, 422, "sensitive_term"),
            (4, 202, None),
            (5, 202, None),
            (6, 429, "contact_limit"),
        ]
        assert await outbox_depth(gw) == 3

    async def test_item_keys_replay(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw)
        token = await gw.key(gw.acme, "sender")
        items = [{**message(template_id), "idempotency_key": "b-1"}] * 2
        _, body, _ = await gw.call("POST", f"{SEND}:batch", token=token, json={"messages": items})
        first, second = body["results"]
        assert first == {**second, "index": 0}
        # The same key on the single endpoint with the same message replays too.
        status, single, _ = await send(gw, message(template_id), **{"Idempotency-Key": "b-1"})
        assert (status, single) == (202, first["body"])

    @pytest.mark.parametrize(
        "count", [pytest.param(0, id="empty"), pytest.param(101, id="over-the-limit")]
    )
    @on_the_module_gateway
    async def test_item_limit(self, gw: GatewayUnderTest, count: int) -> None:
        token = await gw.key(gw.acme, "sender")
        items = [message("tpl_x")] * count
        status, body, _ = await gw.call(
            "POST", f"{SEND}:batch", token=token, json={"messages": items}
        )
        assert (status, body["code"]) == (400, "invalid_request")
        assert body["max_items"] == gw.gateway.settings.max_batch_items
        assert await outbox_depth(gw) == 0
