"""Key management over HTTP: list, create, rotate with grace, revoke; throttling; audit of use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from smsgate.service.principals import hash_secret
from smsgate.store import AuditQuery

from ..audit_support import sequenced_and_verified
from .api_support import GatewayUnderTest, start_gateway
from .shared_gateway import on_the_module_gateway

KEY_FIELDS = {
    "id", "label", "roles", "created_at", "revoked_at", "last_used_at", "person", "chain_id",
    "minted_by",
}  # fmt: skip


async def key_id(gw: GatewayUnderTest, token: str) -> str:
    """The id of the key presenting ``token``."""
    async with gw.gateway.store.read() as tx:
        key = await tx.api_keys.by_secret_hash(hash_secret(token))
    assert key is not None
    return key.id


async def works(gw: GatewayUnderTest, token: str) -> int:
    """The status of an admin-only read with ``token`` (200 while the key is live)."""
    status, _, _ = await gw.call("GET", "/v1/keys", token=token)
    return status


async def create(
    gw: GatewayUnderTest, admin: str, *roles: str, label: str = "", person: str = "Li Wei"
) -> dict[str, Any]:
    body = {"roles": list(roles), "label": label, "person": person}
    status, body, _ = await gw.call("POST", "/v1/keys", token=admin, json=body)
    assert status == 201, body
    return body  # type: ignore[no-any-return]


async def audit_of(gw: GatewayUnderTest, subject: str) -> list[tuple[str, str]]:
    """(action, actor) of every audit entry about ``subject``, oldest first."""
    async with gw.gateway.store.read() as tx:
        entries = await tx.audit.entries(AuditQuery(subject=subject))
    return [(entry.action, entry.actor) for entry in entries]


class TestListAndCreate:
    """An admin lists and creates its own creditor's keys; tokens are shown once only."""

    async def test_created_key_works_and_is_listed_without_its_token(
        self, gw: GatewayUnderTest
    ) -> None:
        admin = await gw.key(gw.acme, "admin")
        created = await create(gw, admin, "sender", "author", label="crm")
        assert created["token"].startswith("sgk_")
        assert created["roles"] == ["author", "sender"]
        assert datetime.fromisoformat(created["created_at"]) == gw.clock()
        status, _, _ = await gw.call("GET", "/v1/templates", token=created["token"])
        assert status == 200
        status, listing, _ = await gw.call("GET", "/v1/keys", token=admin)
        assert status == 200
        ours = next(item for item in listing["items"] if item["id"] == created["id"])
        assert set(ours) == KEY_FIELDS
        assert (ours["label"], ours["revoked_at"]) == ("crm", None)
        assert created["token"] not in str(listing)

    async def test_other_creditors_keys_are_not_listed(self, gw: GatewayUnderTest) -> None:
        globex = await key_id(gw, await gw.key(gw.globex, "sender"))
        status, listing, _ = await gw.call("GET", "/v1/keys", token=await gw.key(gw.acme, "admin"))
        assert status == 200
        assert globex not in {item["id"] for item in listing["items"]}

    async def test_creation_is_audited_with_the_acting_key(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        created = await create(gw, admin, "reviewer")
        assert await audit_of(gw, created["id"]) == [("key.created", await key_id(gw, admin))]

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param({"roles": []}, id="no-roles"),
            pytest.param({"roles": ["boss"]}, id="unknown-role"),
            pytest.param({"roles": ["sender"], "creditor": "globex"}, id="unknown-field"),
        ],
    )
    @on_the_module_gateway
    async def test_bad_body_is_400(self, gw: GatewayUnderTest, body: dict[str, Any]) -> None:
        admin = await gw.key(gw.acme, "admin")
        status, problem, _ = await gw.call("POST", "/v1/keys", token=admin, json=body)
        assert (status, problem["code"]) == (400, "invalid_request")


class TestRotation:
    """A rotated key keeps working for its grace period; its successor has the same roles."""

    async def test_old_key_works_until_the_grace_period_ends(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        old = await create(gw, admin, "sender", label="crm")
        assert await works(gw, admin) == 200
        status, new, _ = await gw.call(
            "POST", f"/v1/keys/{old['id']}/rotate", token=admin, json={"grace_seconds": 3600}
        )
        assert status == 201, new
        assert (new["roles"], new["label"], new["replaces"]) == (["sender"], "crm", old["id"])
        old_token, new_token = old["token"], new["token"]
        sender_read = "/v1/templates"
        assert (await gw.call("GET", sender_read, token=old_token))[0] == 200
        gw.clock.advance(seconds=3599)
        assert (await gw.call("GET", sender_read, token=old_token))[0] == 200
        gw.clock.advance(seconds=1)
        assert (await gw.call("GET", sender_read, token=old_token))[0] == 401
        assert (await gw.call("GET", sender_read, token=new_token))[0] == 200

    async def test_rotating_an_admin_key_with_no_grace_ends_it_at_once(
        self, gw: GatewayUnderTest
    ) -> None:
        admin = await gw.key(gw.acme, "admin")
        assert await works(gw, admin) == 200  # cached now
        status, new, _ = await gw.call(
            "POST", f"/v1/keys/{await key_id(gw, admin)}/rotate", token=admin
        )
        assert status == 201
        assert await works(gw, admin) == 401
        assert await works(gw, new["token"]) == 200

    async def test_a_key_is_rotated_once(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        old = await create(gw, admin, "author")
        path = f"/v1/keys/{old['id']}/rotate"
        assert (await gw.call("POST", path, token=admin, json={"grace_seconds": 60}))[0] == 201
        status, problem, _ = await gw.call("POST", path, token=admin, json={})
        assert (status, problem["code"]) == (409, "invalid_state")

    async def test_rotation_is_audited(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        actor = await key_id(gw, admin)
        old = await create(gw, admin, "author")
        _, new, _ = await gw.call("POST", f"/v1/keys/{old['id']}/rotate", token=admin, json={})
        assert await audit_of(gw, old["id"]) == [("key.created", actor), ("key.rotated", actor)]
        assert await audit_of(gw, new["id"]) == [("key.created", actor)]

    @pytest.mark.parametrize(
        "grace", [pytest.param(-1, id="negative"), pytest.param(604801, id="over-a-week")]
    )
    @on_the_module_gateway
    async def test_grace_is_bounded(self, gw: GatewayUnderTest, grace: int) -> None:
        admin = await gw.key(gw.acme, "admin")
        old = await create(gw, admin, "author")
        status, _, _ = await gw.call(
            "POST", f"/v1/keys/{old['id']}/rotate", token=admin, json={"grace_seconds": grace}
        )
        assert status == 400


class TestRevocation:
    """Revocation works at once, is idempotent, and never strands a creditor without an admin."""

    async def test_revoked_key_fails_at_once_even_when_cached(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        victim = await create(gw, admin, "sender")
        assert (await gw.call("GET", "/v1/templates", token=victim["token"]))[0] == 200
        status, body, _ = await gw.call("DELETE", f"/v1/keys/{victim['id']}", token=admin)
        assert status == 200
        assert set(body) == {"id", "revoked_at"}
        status, problem, _ = await gw.call("GET", "/v1/templates", token=victim["token"])
        assert (status, problem["code"]) == (401, "unauthorized")

    async def test_revoking_twice_answers_the_first_revocation(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        victim = await create(gw, admin, "sender")
        _, first, _ = await gw.call("DELETE", f"/v1/keys/{victim['id']}", token=admin)
        gw.clock.advance(minutes=5)
        status, second, _ = await gw.call("DELETE", f"/v1/keys/{victim['id']}", token=admin)
        assert (status, second) == (200, first)
        actions = [action for action, _ in await audit_of(gw, victim["id"])]
        assert actions == ["key.created", "key.revoked"]

    async def test_revocation_cuts_a_grace_period_short(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        old = await create(gw, admin, "sender")
        path = f"/v1/keys/{old['id']}"
        await gw.call("POST", f"{path}/rotate", token=admin, json={"grace_seconds": 3600})
        assert (await gw.call("DELETE", path, token=admin))[0] == 200
        assert (await gw.call("GET", "/v1/templates", token=old["token"]))[0] == 401

    async def test_last_admin_key_cannot_be_revoked(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        status, problem, _ = await gw.call(
            "DELETE", f"/v1/keys/{await key_id(gw, admin)}", token=admin
        )
        assert (status, problem["code"]) == (409, "last_admin_key")
        assert await works(gw, admin) == 200

    async def test_an_admin_key_may_go_while_another_stays(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        second = await create(gw, admin, "admin")
        status, _, _ = await gw.call("DELETE", f"/v1/keys/{await key_id(gw, admin)}", token=admin)
        assert status == 200  # it revoked itself: the second admin key remains
        assert await works(gw, admin) == 401
        status, problem, _ = await gw.call(
            "DELETE", f"/v1/keys/{second['id']}", token=second["token"]
        )
        assert (status, problem["code"]) == (409, "last_admin_key")

    async def test_a_rotated_admin_key_does_not_count_as_staying(
        self, gw: GatewayUnderTest
    ) -> None:
        admin = await gw.key(gw.acme, "admin")
        _, successor, _ = await gw.call(
            "POST", f"/v1/keys/{await key_id(gw, admin)}/rotate", token=admin,
            json={"grace_seconds": 600},
        )  # fmt: skip
        status, problem, _ = await gw.call(
            "DELETE", f"/v1/keys/{successor['id']}", token=successor["token"]
        )
        assert (status, problem["code"]) == (409, "last_admin_key")


class TestAccess:
    """Admins of the key's own creditor only: others get 403, or 404 for another tenant's key."""

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            pytest.param("GET", "/v1/keys", id="list"),
            pytest.param("POST", "/v1/keys", id="create"),
            pytest.param("POST", "/v1/keys/{id}/rotate", id="rotate"),
            pytest.param("DELETE", "/v1/keys/{id}", id="revoke"),
        ],
    )
    @on_the_module_gateway
    async def test_non_admin_is_forbidden(
        self, gw: GatewayUnderTest, method: str, path: str
    ) -> None:
        token = await gw.key(gw.acme, "sender", "author", "reviewer")
        target = await key_id(gw, token)
        status, problem, _ = await gw.call(
            method, path.format(id=target), token=token, json={"roles": ["sender"]}
        )
        assert (status, problem["code"]) == (403, "forbidden")

    @pytest.mark.parametrize(
        ("method", "suffix"),
        [pytest.param("POST", "/rotate", id="rotate"), pytest.param("DELETE", "", id="revoke")],
    )
    @on_the_module_gateway
    async def test_another_creditors_key_is_not_found(
        self, gw: GatewayUnderTest, method: str, suffix: str
    ) -> None:
        globex = await gw.key(gw.globex, "sender")
        for target in (await key_id(gw, globex), "key_unknown"):
            status, problem, _ = await gw.call(
                method, f"/v1/keys/{target}{suffix}", token=await gw.key(gw.acme, "admin"), json={}
            )
            assert (status, problem["code"]) == (404, "not_found")
        assert (await gw.call("GET", "/v1/templates", token=globex))[0] == 200


class TestKeyUse:
    """When a key was last used is recorded, at most once a minute, and the chain holds."""

    async def test_last_used_at_follows_use(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        first_use = gw.clock()
        assert await works(gw, admin) == 200
        await gw.gateway.keys.usage.settle()
        assert await self._last_used(gw, admin) == first_use
        gw.clock.advance(seconds=59)
        assert await works(gw, admin) == 200
        await gw.gateway.keys.usage.settle()
        assert await self._last_used(gw, admin) == first_use  # not within the minute
        gw.clock.advance(seconds=1)
        assert await works(gw, admin) == 200
        await gw.gateway.keys.usage.settle()
        assert await self._last_used(gw, admin) == first_use + timedelta(seconds=60)

    async def test_key_changes_keep_the_audit_chain_intact(self, gw: GatewayUnderTest) -> None:
        admin = await gw.key(gw.acme, "admin")
        victim = await create(gw, admin, "sender")
        await gw.call("POST", f"/v1/keys/{victim['id']}/rotate", token=admin, json={})
        result = await sequenced_and_verified(gw.gateway.store)
        assert result.ok
        assert result.checked >= 6  # 2 creditors, 2 created keys, a rotation, its successor

    @staticmethod
    async def _last_used(gw: GatewayUnderTest, token: str) -> Any:
        async with gw.gateway.store.read() as tx:
            key = await tx.api_keys.by_secret_hash(hash_secret(token))
        assert key is not None
        return key.last_used_at


@pytest.fixture
async def strict(tmp_path: Path) -> AsyncIterator[GatewayUnderTest]:
    """A gateway that throttles an address after 3 failures in 1 second."""
    async for running in start_gateway(
        tmp_path, auth_failure_limit=3, auth_failure_window_seconds=1
    ):
        yield running


class TestThrottle:
    """Too many failed keys from one address: 429 for every keyed request until the window ends."""

    async def test_limited_after_failures_valid_key_too_then_recovers(
        self, strict: GatewayUnderTest
    ) -> None:
        valid = await strict.key("acme", "admin")
        for _ in range(3):
            status, _, _ = await strict.call("GET", "/v1/keys", token="sgk_guess")
            assert status == 401
        status, problem, response = await strict.call("GET", "/v1/keys", token=valid)
        assert (status, problem["code"]) == (429, "auth_rate_limited")
        assert response.headers["Retry-After"] == "1"
        assert response.content_type == "application/problem+json"
        await asyncio.sleep(1.05)
        assert await works(strict, valid) == 200

    async def test_requests_without_a_key_do_not_count(self, strict: GatewayUnderTest) -> None:
        for _ in range(5):
            assert (await strict.call("GET", "/v1/keys"))[0] == 401
        assert await works(strict, await strict.key("acme", "admin")) == 200

    async def test_public_operations_stay_open(self, strict: GatewayUnderTest) -> None:
        for _ in range(3):
            await strict.call("GET", "/v1/keys", token="sgk_guess")
        assert (await strict.call("GET", "/healthz"))[0] == 200

    async def test_failures_are_logged_and_counted_without_the_token(
        self, strict: GatewayUnderTest
    ) -> None:
        guess = "sgk_" + "x" * 43
        with capture_logs() as events:
            for _ in range(3):
                await strict.call("GET", "/v1/keys", token=guess)
        failed = [e for e in events if e["event"] == "auth_failed"]
        assert [(e["reason"], e["client"]) for e in failed] == [("unknown_key", "127.0.0.1")] * 3
        assert [e["event"] for e in events].count("auth_rate_limited") == 1
        assert guess not in str(events)
        assert hash_secret(guess) not in str(events)
        _, metrics, _ = await strict.call("GET", "/metrics")
        assert 'smsgate_auth_failures_total{reason="unknown_key",surface="api"} 3.0' in metrics


class TestOpenApi:
    """The key operations are in the document, and keyed operations document the 429."""

    async def test_documented(self, gw: GatewayUnderTest) -> None:
        _, document, _ = await gw.call("GET", "/openapi.json")
        operations = {
            op["operationId"]: op for item in document["paths"].values() for op in item.values()
        }
        assert {"list_keys", "create_key", "rotate_key", "revoke_key"} <= set(operations)
        for operation in operations.values():
            if "security" in operation:
                assert "429" in operation["responses"], operation["operationId"]
        problem_codes = document["components"]["schemas"]["Problem"]["properties"]["code"]
        assert {"auth_rate_limited", "last_admin_key"} <= set(problem_codes["enum"])
