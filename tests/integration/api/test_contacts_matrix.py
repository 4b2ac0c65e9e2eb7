"""Who may call the contact and opt-out routes: every route x role x own/other creditor.

``acme`` holds one opt-out of ``PHONE``. Each route is called by a key of
acme (own) or of globex (other) with exactly one role. A missing role is 403
whatever the creditor; with the role, acme's opt-out is visible and
removable only by acme: globex sees an empty list and gets 404 on removal.
Creating (a call, an opt-out) always lands in the caller's own creditor.

The cases share one gateway per backend, each with an acme and a globex of
its own (``shared_gateway``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from smsgate.store import Role

from .api_support import GatewayUnderTest
from .shared_gateway import on_the_module_gateway

PHONE = "+8613800138000"


@dataclass(frozen=True)
class Route:
    """One route of the table, with a valid request and its outcome by tenant."""

    method: str
    path: str
    body: Any
    allowed: frozenset[Role]
    own: int
    other: int


ROUTES = {
    "record-contact": Route(
        "POST",
        "/v1/contacts",
        {"debtor_id": "D-1", "phone": PHONE, "role": "debtor"},
        frozenset({Role.SENDER}),
        own=201,
        other=201,
    ),
    "list-opt-outs": Route(
        "GET", "/v1/opt-outs", None, frozenset({Role.SENDER, Role.ADMIN}), own=200, other=200
    ),
    "add-opt-out": Route(
        "POST",
        "/v1/opt-outs",
        {"phone": "+8613900139000"},
        frozenset({Role.SENDER, Role.ADMIN}),
        own=201,
        other=201,
    ),
    "remove-opt-out": Route(
        "DELETE",
        "/v1/opt-outs/%2B8613800138000",
        {"reason": "matrix"},
        frozenset({Role.ADMIN}),
        own=200,
        other=404,
    ),
}

CASES = [
    pytest.param(name, role, creditor, id=f"{name}-{role.value}-{tenant}")
    for name in ROUTES
    for role in Role
    for creditor, tenant in (("acme", "own"), ("globex", "other"))
]


@pytest_asyncio.fixture(loop_scope="module")
async def seeded(gw: GatewayUnderTest) -> GatewayUnderTest:
    token = await gw.key(gw.acme, Role.ADMIN)
    status, _, _ = await gw.call("POST", "/v1/opt-outs", token=token, json={"phone": PHONE})
    assert status == 201
    return gw


async def acme_phones(gw: GatewayUnderTest) -> list[str]:
    async with gw.gateway.store.read() as tx:
        return [opt_out.phone for opt_out in await tx.opt_outs.of_creditor(gw.acme)]


@on_the_module_gateway
class TestRoleTenantMatrix:
    """Each route answers per the table: role first (403), then tenant (404 or own data)."""

    @pytest.mark.parametrize(("name", "role", "creditor"), CASES)
    async def test_matrix(
        self, seeded: GatewayUnderTest, name: str, role: Role, creditor: str
    ) -> None:
        route = ROUTES[name]
        token = await seeded.key(seeded.acme if creditor == "acme" else seeded.globex, role)
        status, body, _ = await seeded.call(route.method, route.path, token=token, json=route.body)
        if role not in route.allowed:
            assert (status, body["code"]) == (403, "forbidden")
        else:
            assert status == (route.own if creditor == "acme" else route.other), body
        if name == "list-opt-outs" and status == 200:
            expected = [PHONE] if creditor == "acme" else []
            assert [o["phone"] for o in body["opt_outs"]] == expected
        lifted = name == "remove-opt-out" and status == 200
        assert (PHONE in await acme_phones(seeded)) is not lifted

    @pytest.mark.parametrize("name", [pytest.param(name, id=name) for name in ROUTES])
    @pytest.mark.parametrize(
        "token", [pytest.param(None, id="no-key"), pytest.param("sgk_not-a-key", id="bad-key")]
    )
    async def test_without_a_valid_key(
        self, seeded: GatewayUnderTest, name: str, token: str | None
    ) -> None:
        route = ROUTES[name]
        status, body, _ = await seeded.call(route.method, route.path, token=token, json=route.body)
        assert (status, body["code"]) == (401, "unauthorized")
        assert PHONE in await acme_phones(seeded)
