"""Every API route x every caller x own/other creditor, against the table in ``api_matrix``.

The cases are generated from the live route table (``all_operations()``)
crossed with the callers: a key of each role of acme (own) and of globex
(other), no key, a revoked key, a valid token under the wrong scheme and a
forged token. Expectations come from ``api_matrix.EXPECTED``, written from
the documents; a route the table does not list fails the run, so nobody can
add a route without deciding who may call it.

The cases share one gateway, each with an acme and a globex of its own
(``shared_gateway``).
"""

from __future__ import annotations

from typing import Any

import pytest

from smsgate.api.routes import all_operations
from smsgate.service import administration
from smsgate.store import Role

from ..api.api_support import GatewayUnderTest
from ..api.shared_gateway import on_the_module_gateway
from ..audit_support import SIGNER
from .api_matrix import EXPECTED, PEER_CARRIERS, PEER_SECRET, ROLES, SCENES, Access, Scope

OPERATIONS = {operation.operation_id: operation for operation in all_operations()}
ANONYMOUS = ("no-key", "revoked-key", "wrong-scheme", "forged-key")
CALLERS = [
    *[(role.value, creditor) for role in ROLES for creditor in ("acme", "globex")],
    *[(kind, "acme") for kind in ANONYMOUS],
]
CASES = [
    pytest.param(operation_id, caller, creditor, id=f"{operation_id}-{caller}-{creditor}")
    for operation_id in sorted(EXPECTED)
    for caller, creditor in CALLERS
]


@pytest.fixture(scope="module")
def shared_gateway_settings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    carriers = tmp_path_factory.mktemp("carriers") / "carriers.toml"
    carriers.write_text(PEER_CARRIERS)
    return {
        "carriers_file": carriers,
        "carrier_environment": {"SMSGATE_CARRIER_PEER_SECRET": PEER_SECRET},
        "auth_cache_seconds": 0,
        "audit_signer": SIGNER,
    }


@pytest.fixture
def gw(shared_gw: GatewayUnderTest) -> GatewayUnderTest:
    return shared_gw


async def authorization(gw: GatewayUnderTest, caller: str, creditor: str) -> dict[str, str]:
    """The Authorization header of ``caller`` (a role of ``creditor``, or an anonymous kind).

    ``creditor`` is ``acme`` or ``globex``: the case's own of that name.
    """
    if caller == "no-key":
        return {}
    if caller == "forged-key":
        return {"Authorization": "Bearer sgk_" + "A" * 43}
    creditor = gw.acme if creditor == "acme" else gw.globex
    key, token = await administration.create_key(
        gw.gateway.store, creditor, set(ROLES), at=gw.clock(), person=f"{creditor} {caller}"
    )
    if caller == "revoked-key":
        await administration.revoke_key(gw.gateway.store, key.id, at=gw.clock())
        return {"Authorization": f"Bearer {token}"}
    if caller == "wrong-scheme":
        return {"Authorization": f"Token {token}"}
    return {"Authorization": f"Bearer {await gw.key(creditor, Role(caller))}"}


def path_of(path: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        path = path.replace("{" + name + "}", value.replace("+", "%2B"))
    assert "{" not in path, f"no scene value for a parameter of {path}"
    return path


def text_of(body: Any) -> str:
    return body if isinstance(body, str) else str(body)


class TestTableCoversEveryRoute:
    """The expected table and the live route table list exactly the same operations."""

    def test_no_route_without_a_decision(self) -> None:
        undecided = sorted(set(OPERATIONS) - set(EXPECTED))
        assert not undecided, (
            f"routes nobody decided who may call: add them to EXPECTED: {undecided}"
        )

    def test_every_documented_route_is_served(self) -> None:
        missing = sorted(set(EXPECTED) - set(OPERATIONS))
        assert not missing, f"documented operations the gateway does not serve: {missing}"

    def test_every_route_has_a_scene(self) -> None:
        assert set(SCENES) == set(EXPECTED)


@on_the_module_gateway
class TestRoleTenantMatrix:
    """Roles first (401 without a usable key, 403 without the role), then tenants (404/own data)."""

    @pytest.mark.parametrize(("operation_id", "caller", "creditor"), CASES)
    async def test_matrix(
        self, gw: GatewayUnderTest, operation_id: str, caller: str, creditor: str
    ) -> None:
        operation = OPERATIONS.get(operation_id)
        if operation is None:
            pytest.fail(f"{operation_id} is in the expected table but not served (yet?)")
        scene, allowed = SCENES[operation_id], EXPECTED[operation_id]
        prepared = await scene.prepare(gw)
        headers = {**prepared.headers, **await authorization(gw, caller, creditor)}
        path = path_of(operation.path, dict(prepared.params))
        path += f"?{prepared.query}" if prepared.query else ""
        status, body, _ = await gw.call(operation.method, path, json=prepared.body, headers=headers)
        if allowed is Access.PUBLIC:
            assert status == scene.own_status, body
        elif allowed is Access.CARRIER:
            assert (status, body["code"]) == (401, "callback_rejected"), body
        elif caller in ANONYMOUS:
            assert (status, body["code"]) == (401, "unauthorized"), body
        elif Role(caller) not in allowed:
            assert (status, body["code"]) == (403, "forbidden"), body
        elif creditor == "acme":
            assert status == scene.own_status, body
            if scene.scope is Scope.LIST:
                assert all(mark in text_of(body) for mark in prepared.marks), body
        else:
            self._other_creditor(scene.scope, status, body, prepared.marks)
        if status >= 400:
            assert not any(mark in text_of(body) for mark in prepared.marks), body

    @staticmethod
    def _other_creditor(scope: Scope, status: int, body: Any, marks: tuple[str, ...]) -> None:
        text = text_of(body)
        if scope is Scope.PATH:
            assert (status, body["code"]) == (404, "not_found"), body
        elif scope is Scope.LIST:
            assert status == 200, body
            assert not any(mark in text for mark in marks), body
        elif scope is Scope.CREATE:
            assert status in {200, 201}, body
        elif isinstance(body, dict) and "results" in body:  # a batch: every item refused
            assert status == 200, body
            assert all(item["status"] >= 400 for item in body["results"]), body
        else:
            assert status in {404, 422}, body
