"""The do-not-contact list over HTTP: idempotent add, list, lift with a reason, per tenant."""

from __future__ import annotations

from typing import Any

import pytest

from smsgate.store import AuditEntry, AuditQuery, OptOut, OptOutKind, Role

from ..audit_support import sequenced_and_verified
from .api_support import GatewayUnderTest
from .shared_gateway import on_the_module_gateway

PHONE = "+8613800138000"
ENCODED = "%2B8613800138000"
OTHER_PHONE = "+8613900139000"


async def add(gw: GatewayUnderTest, creditor: str | None = None, **body: Any) -> tuple[int, Any]:
    token = await gw.key(creditor or gw.acme, Role.SENDER)
    status, got, _ = await gw.call(
        "POST", "/v1/opt-outs", token=token, json={"phone": PHONE, **body}
    )
    return status, got


async def remove(
    gw: GatewayUnderTest, path: str = ENCODED, creditor: str | None = None, json: Any = None
) -> tuple[int, Any]:
    token = await gw.key(creditor or gw.acme, Role.ADMIN)
    body = {"reason": "debtor asked to be contacted again"} if json is None else json
    status, got, _ = await gw.call("DELETE", f"/v1/opt-outs/{path}", token=token, json=body)
    return status, got


async def listed(
    gw: GatewayUnderTest, query: str = "", creditor: str | None = None
) -> tuple[int, Any]:
    token = await gw.key(creditor or gw.acme, Role.SENDER)
    status, got, _ = await gw.call("GET", f"/v1/opt-outs{query}", token=token)
    return status, got


async def active(
    gw: GatewayUnderTest, creditor: str | None = None, phone: str = PHONE
) -> list[OptOut]:
    async with gw.gateway.store.read() as tx:
        return await tx.opt_outs.active(creditor or gw.acme, phone)


async def key_id(gw: GatewayUnderTest, creditor: str, role: Role) -> str:
    principal = await gw.gateway.keys.principal(await gw.key(creditor, role))
    assert principal is not None
    return principal.key_id


async def audit(gw: GatewayUnderTest, action: str) -> list[AuditEntry]:
    async with gw.gateway.store.read() as tx:
        return await tx.audit.entries(AuditQuery(creditor_id=gw.acme, action=action))


class TestAddOptOut:
    """Adding records an active opt-out of the caller's creditor and audits it once."""

    async def test_created_with_defaults(self, gw: GatewayUnderTest) -> None:
        status, body = await add(gw)
        assert status == 201
        assert body == {
            "phone": PHONE,
            "kind": "opt_out",
            "source": "api",
            "reason": "",
            "at": "2026-11-23T02:00:00Z",
            "removed_at": None,
        }
        assert [o.kind for o in await active(gw)] == [OptOutKind.OPT_OUT]

    async def test_audited_with_actor_kind_and_reason(self, gw: GatewayUnderTest) -> None:
        await add(gw, kind="do_not_contact", reason="complaint to regulator")
        [entry] = await audit(gw, "opt_out.added")
        assert (entry.actor, entry.subject) == (await key_id(gw, "acme", Role.SENDER), PHONE)
        assert entry.detail == {
            "kind": "do_not_contact",
            "reason": "complaint to regulator",
            "source": "api",
        }

    async def test_adding_again_returns_the_active_one(self, gw: GatewayUnderTest) -> None:
        _, first = await add(gw, reason="replied TD")
        gw.clock.advance(hours=1)
        status, again = await add(gw, reason="retry of the same request")
        assert status == 200
        assert again == first
        assert len(await active(gw)) == 1
        assert len(await audit(gw, "opt_out.added")) == 1

    async def test_another_kind_is_a_second_record(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        status, body = await add(gw, kind="third_party_refusal", reason="colleague refused")
        assert (status, body["kind"]) == (201, "third_party_refusal")
        kinds = {o.kind for o in await active(gw)}
        assert kinds == {OptOutKind.OPT_OUT, OptOutKind.THIRD_PARTY_REFUSAL}

    async def test_third_party_refusal_is_active_for_the_send_path(
        self, gw: GatewayUnderTest
    ) -> None:
        await add(gw, kind="third_party_refusal", reason="sister refused to pass on messages")
        [refusal] = await active(gw)
        assert refusal.kind is OptOutKind.THIRD_PARTY_REFUSAL

    async def test_phone_is_stored_in_e164(self, gw: GatewayUnderTest) -> None:
        status, body = await add(gw, phone="+86 138-0013-8000")
        assert (status, body["phone"]) == (201, PHONE)
        assert len(await active(gw)) == 1

    async def test_admin_may_add(self, gw: GatewayUnderTest) -> None:
        token = await gw.key("acme", Role.ADMIN)
        status, _, _ = await gw.call("POST", "/v1/opt-outs", token=token, json={"phone": PHONE})
        assert status == 201

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param({"phone": "13800138000"}, id="no-plus"),
            pytest.param({"phone": "+861380013800"}, id="too-short"),
            pytest.param({"phone": "+86138abc0013"}, id="letters"),
            pytest.param({"phone": 8613800138000}, id="number-not-string"),
            pytest.param({}, id="missing-phone"),
            pytest.param({"phone": PHONE, "kind": "stop"}, id="unknown-kind"),
            pytest.param({"phone": PHONE, "reason": "x" * 501}, id="reason-too-long"),
            pytest.param({"phone": PHONE, "source": "mo"}, id="unknown-field"),
        ],
    )
    @on_the_module_gateway
    async def test_invalid_bodies_are_refused(
        self, gw: GatewayUnderTest, body: dict[str, Any]
    ) -> None:
        token = await gw.key(gw.acme, Role.SENDER)
        status, problem, response = await gw.call("POST", "/v1/opt-outs", token=token, json=body)
        assert (status, problem["code"]) == (400, "invalid_request")
        assert response.content_type == "application/problem+json"
        async with gw.gateway.store.read() as tx:
            assert await tx.opt_outs.of_creditor(gw.acme) == []


class TestListOptOuts:
    """Listing shows the creditor's active opt-outs, newest first, optionally of one phone."""

    async def test_newest_first(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        gw.clock.advance(minutes=5)
        await add(gw, phone=OTHER_PHONE, kind="do_not_contact")
        status, body = await listed(gw)
        assert status == 200
        assert [(o["phone"], o["kind"]) for o in body["opt_outs"]] == [
            (OTHER_PHONE, "do_not_contact"),
            (PHONE, "opt_out"),
        ]

    async def test_filtered_by_phone(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        await add(gw, phone=OTHER_PHONE)
        status, body = await listed(gw, f"?phone={ENCODED}")
        assert status == 200
        assert [o["phone"] for o in body["opt_outs"]] == [PHONE]

    async def test_a_phone_without_opt_outs_lists_nothing(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        assert await listed(gw, "?phone=%2B8613900139000") == (200, {"opt_outs": []})

    async def test_admin_may_list(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        token = await gw.key("acme", Role.ADMIN)
        status, body, _ = await gw.call("GET", "/v1/opt-outs", token=token)
        assert (status, len(body["opt_outs"])) == (200, 1)

    @pytest.mark.parametrize(
        ("query", "hint"),
        [
            pytest.param("?phone=+8613800138000", "%2B", id="bare-plus-decodes-to-space"),
            pytest.param("?phone=13800138000", "E.164", id="no-plus"),
            pytest.param("?phone=", "E.164", id="empty"),
            pytest.param("?phone=%2B8612", "phone", id="too-short"),
        ],
    )
    @on_the_module_gateway
    async def test_bad_phone_filter_is_refused(
        self, gw: GatewayUnderTest, query: str, hint: str
    ) -> None:
        status, problem = await listed(gw, query)
        assert (status, problem["code"]) == (400, "invalid_request")
        assert hint in problem["detail"]


class TestRemoveOptOut:
    """Lifting needs an admin and a reason, is audited, and 404s when nothing is active."""

    async def test_lifecycle(self, gw: GatewayUnderTest) -> None:
        await add(gw, reason="replied 退订")
        gw.clock.advance(days=1)
        status, body = await remove(gw)
        assert status == 200
        assert body["removed_at"] == "2026-11-24T02:00:00Z"
        assert (body["phone"], body["kind"], body["reason"]) == (PHONE, "opt_out", "replied 退订")
        assert await active(gw) == []
        assert await listed(gw) == (200, {"opt_outs": []})
        status, again = await add(gw)
        assert status == 201
        assert again["at"] == "2026-11-24T02:00:00Z"

    async def test_audited_and_chain_verifies(self, gw: GatewayUnderTest) -> None:
        await add(gw, kind="third_party_refusal")
        await remove(
            gw, f"{ENCODED}?kind=third_party_refusal", json={"reason": "entered by mistake"}
        )
        [entry] = await audit(gw, "opt_out.removed")
        assert (entry.actor, entry.subject) == (await key_id(gw, "acme", Role.ADMIN), PHONE)
        assert entry.detail == {
            "kind": "third_party_refusal",
            "reason": "entered by mistake",
            "opt_out_at": "2026-11-23T02:00:00.000000Z",
        }
        verification = await sequenced_and_verified(gw.gateway.store)
        assert verification.ok
        assert verification.checked >= 2

    @pytest.mark.parametrize(
        "path",
        [
            pytest.param(ENCODED, id="percent-encoded-plus"),
            pytest.param(PHONE, id="literal-plus"),
        ],
    )
    @on_the_module_gateway
    async def test_phone_in_path(self, gw: GatewayUnderTest, path: str) -> None:
        await add(gw)
        status, body = await remove(gw, path)
        assert (status, body["phone"]) == (200, PHONE)

    async def test_only_the_named_kind_is_lifted(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        await add(gw, kind="third_party_refusal")
        status, _ = await remove(gw, f"{ENCODED}?kind=third_party_refusal")
        assert status == 200
        assert [o.kind for o in await active(gw)] == [OptOutKind.OPT_OUT]

    @pytest.mark.parametrize(
        "path",
        [
            pytest.param(ENCODED, id="never-opted-out"),
            pytest.param(f"{ENCODED}?kind=do_not_contact", id="other-kind-active"),
        ],
    )
    @on_the_module_gateway
    async def test_nothing_active_is_404(self, gw: GatewayUnderTest, path: str) -> None:
        if "kind" in path:
            await add(gw)
        status, problem = await remove(gw, path)
        assert (status, problem["code"]) == (404, "not_found")
        assert await audit(gw, "opt_out.removed") == []

    async def test_lifting_twice_is_404(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        assert (await remove(gw))[0] == 200
        assert (await remove(gw))[0] == 404

    @pytest.mark.parametrize(
        ("path", "json", "hint"),
        [
            pytest.param(ENCODED, {}, "reason", id="missing-reason"),
            pytest.param(ENCODED, {"reason": "   "}, "reason", id="blank-reason"),
            pytest.param(ENCODED, {"reason": "ok", "by": "me"}, "by", id="unknown-field"),
            pytest.param(f"{ENCODED}?kind=stop", {"reason": "ok"}, "kind", id="unknown-kind"),
            pytest.param("13800138000", {"reason": "ok"}, "phone", id="no-plus-in-path"),
            pytest.param("%2B86123", {"reason": "ok"}, "phone", id="invalid-phone-in-path"),
        ],
    )
    @on_the_module_gateway
    async def test_invalid_requests_are_refused(
        self, gw: GatewayUnderTest, path: str, json: Any, hint: str
    ) -> None:
        await add(gw)
        status, problem = await remove(gw, path, json=json)
        assert (status, problem["code"]) == (400, "invalid_request")
        assert hint in problem["detail"]
        assert len(await active(gw)) == 1

    async def test_reason_is_required_as_a_json_body(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        token = await gw.key("acme", Role.ADMIN)
        status, problem, _ = await gw.call("DELETE", f"/v1/opt-outs/{ENCODED}", token=token)
        assert (status, problem["code"]) == (400, "invalid_request")
        assert "reason" in problem["detail"]
        assert len(await active(gw)) == 1


class TestTenantIsolation:
    """A creditor neither sees nor lifts another creditor's opt-outs."""

    async def test_other_creditor_lists_nothing(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        assert await listed(gw, creditor="globex") == (200, {"opt_outs": []})
        assert await listed(gw, f"?phone={ENCODED}", creditor="globex") == (200, {"opt_outs": []})

    async def test_other_creditor_cannot_lift(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        status, problem = await remove(gw, creditor="globex")
        assert (status, problem["code"]) == (404, "not_found")
        assert len(await active(gw)) == 1

    async def test_same_phone_is_independent_per_creditor(self, gw: GatewayUnderTest) -> None:
        await add(gw)
        status, _ = await add(gw, creditor="globex")
        assert status == 201
        assert (await remove(gw, creditor="globex"))[0] == 200
        assert len(await active(gw)) == 1
        assert await active(gw, "globex") == []
