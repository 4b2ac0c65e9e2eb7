"""Who may do what to templates: authentication, the role matrix, tenants, strict bodies.

The cases share one gateway per backend, each with an acme and a globex of
its own (``shared_gateway``).
"""

from typing import Any

import pytest

from smsgate.api import ops_routes, template_routes
from smsgate.api.openapi import openapi_document

from .api_support import GatewayUnderTest
from .shared_gateway import on_the_module_gateway
from .test_templates import create, draft, submitted

REVIEW = {"reason": "ok"}
RETIRE = {"reason": "下线"}
UNKNOWN_ID = "tpl_doesnotexist0000000000"


def route(action: str, template_id: str) -> tuple[str, str, dict[str, Any] | None]:
    """Method, path and a valid body of one template route."""
    base = f"/v1/templates/{template_id}"
    return {
        "create": ("POST", "/v1/templates", draft()),
        "list": ("GET", "/v1/templates", None),
        "get": ("GET", base, None),
        "submit": ("POST", f"{base}/submit", None),
        "approve": ("POST", f"{base}/approve", REVIEW),
        "reject": ("POST", f"{base}/reject", REVIEW),
        "retire": ("POST", f"{base}/retire", RETIRE),
    }[action]


@on_the_module_gateway
class TestAuthentication:
    """Every template route needs a valid key."""

    @pytest.mark.parametrize(
        "action", [pytest.param(a, id=a) for a in ("create", "list", "get", "approve", "retire")]
    )
    @pytest.mark.parametrize(
        "token", [pytest.param(None, id="no-key"), pytest.param("sgk_forged", id="bad-key")]
    )
    async def test_refused(self, gw: GatewayUnderTest, action: str, token: str | None) -> None:
        method, path, payload = route(action, UNKNOWN_ID)
        status, body, _ = await gw.call(method, path, token=token, json=payload)
        assert (status, body["code"]) == (401, "unauthorized")


@on_the_module_gateway
class TestRoles:
    """Authors write and submit, reviewers decide, both retire, everyone reads."""

    @pytest.mark.parametrize(
        ("role", "action"),
        [
            pytest.param("sender", "create", id="sender-create"),
            pytest.param("reviewer", "create", id="reviewer-create"),
            pytest.param("admin", "create", id="admin-create"),
            pytest.param("sender", "submit", id="sender-submit"),
            pytest.param("reviewer", "submit", id="reviewer-submit"),
            pytest.param("sender", "approve", id="sender-approve"),
            pytest.param("author", "approve", id="author-approve"),
            pytest.param("admin", "approve", id="admin-approve"),
            pytest.param("author", "reject", id="author-reject"),
            pytest.param("sender", "retire", id="sender-retire"),
            pytest.param("admin", "retire", id="admin-retire"),
        ],
    )
    async def test_forbidden(self, gw: GatewayUnderTest, role: str, action: str) -> None:
        created = await submitted(gw)
        method, path, payload = route(action, created["id"])
        token = await gw.key(gw.acme, role)
        status, body, _ = await gw.call(method, path, token=token, json=payload)
        assert (status, body["code"]) == (403, "forbidden")
        shown = await self._get(gw, created["id"])
        assert (shown["versions"][0]["status"], shown["retired_at"]) == ("submitted", None)

    @pytest.mark.parametrize(
        "role", [pytest.param(r, id=r) for r in ("sender", "author", "reviewer", "admin")]
    )
    async def test_every_role_reads(self, gw: GatewayUnderTest, role: str) -> None:
        created = await create(gw)
        token = await gw.key(gw.acme, role)
        for action in ("list", "get"):
            method, path, _ = route(action, created["id"])
            status, _, _ = await gw.call(method, path, token=token)
            assert status == 200, action

    async def _get(self, gw: GatewayUnderTest, template_id: str) -> dict[str, Any]:
        token = await gw.key(gw.acme, "sender")
        _, body, _ = await gw.call("GET", f"/v1/templates/{template_id}", token=token)
        return body  # type: ignore[no-any-return]


@on_the_module_gateway
class TestTenantIsolation:
    """Another creditor's template does not exist for the caller: 404, never 403."""

    @pytest.mark.parametrize(
        ("role", "action"),
        [
            pytest.param("sender", "get", id="get"),
            pytest.param("author", "submit", id="submit"),
            pytest.param("reviewer", "approve", id="approve"),
            pytest.param("reviewer", "reject", id="reject"),
            pytest.param("author", "retire", id="retire"),
        ],
    )
    async def test_other_creditors_template_is_not_found(
        self, gw: GatewayUnderTest, role: str, action: str
    ) -> None:
        created = await submitted(gw)
        method, path, payload = route(action, created["id"])
        token = await gw.key(gw.globex, role)
        status, body, _ = await gw.call(method, path, token=token, json=payload)
        assert (status, body["code"]) == (404, "not_found")
        async with gw.gateway.store.read() as tx:
            detail = await tx.templates.detail(gw.acme, created["id"])
        assert detail is not None
        assert (detail.versions[0].status, detail.reviews, detail.template.retired_at) == (
            "submitted", (), None,
        )  # fmt: skip

    @pytest.mark.parametrize(
        "template_id",
        [
            pytest.param(UNKNOWN_ID, id="unknown"),
            pytest.param("not-an-id", id="malformed"),
            pytest.param("%E6%B4%BE", id="non-ascii"),
        ],
    )
    async def test_unknown_ids_are_not_found(self, gw: GatewayUnderTest, template_id: str) -> None:
        token = await gw.key(gw.acme, "reviewer")
        for action in ("get", "approve"):
            method, path, payload = route(action, template_id)
            status, body, _ = await gw.call(method, path, token=token, json=payload)
            assert (status, body["code"]) == (404, "not_found"), action

    async def test_list_shows_only_own_templates(self, gw: GatewayUnderTest) -> None:
        acme = await create(gw)
        globex = await create(gw, creditor=gw.globex)
        assert acme["name"] == globex["name"]
        assert (acme["version"], globex["version"]) == (1, 1)
        for creditor, own in ((gw.acme, acme), (gw.globex, globex)):
            token = await gw.key(creditor, "sender")
            _, body, _ = await gw.call("GET", "/v1/templates", token=token)
            assert [t["id"] for t in body["templates"]] == [own["id"]]


@on_the_module_gateway
class TestRequestBodies:
    """Unknown fields, wrong types and empty reasons are 400 invalid_request."""

    @pytest.mark.parametrize(
        "payload",
        [
            pytest.param(draft(colour="red"), id="unknown-field"),
            pytest.param(draft(audience="boss"), id="bad-audience"),
            pytest.param(draft(body=123), id="body-not-text"),
            pytest.param(draft(body=""), id="empty-body"),
            pytest.param(draft(variables=["name"]), id="variables-not-object"),
            pytest.param(draft(name=" padded "), id="padded-name"),
            pytest.param({"name": "x", "audience": "debtor"}, id="missing-body"),
        ],
    )
    async def test_create(self, gw: GatewayUnderTest, payload: dict[str, Any]) -> None:
        token = await gw.key(gw.acme, "author")
        status, body, _ = await gw.call("POST", "/v1/templates", token=token, json=payload)
        assert (status, body["code"]) == (400, "invalid_request")

    @pytest.mark.parametrize(
        ("action", "payload"),
        [
            pytest.param("reject", {}, id="reject-without-reason"),
            pytest.param("approve", {}, id="approve-without-reason"),
            pytest.param("approve", {"reason": "  "}, id="blank-reason"),
            pytest.param("approve", {"reason": "ok", "version": 0}, id="version-zero"),
            pytest.param("approve", {"reason": "ok", "version": "1"}, id="version-text"),
            pytest.param("approve", {"reason": "ok", "note": "x"}, id="unknown-field"),
            pytest.param("retire", {}, id="retire-without-reason"),
        ],
    )
    async def test_decisions(
        self, gw: GatewayUnderTest, action: str, payload: dict[str, Any]
    ) -> None:
        created = await submitted(gw)
        role = "author" if action == "retire" else "reviewer"
        token = await gw.key(gw.acme, role)
        path = f"/v1/templates/{created['id']}/{action}"
        status, body, _ = await gw.call("POST", path, token=token, json=payload)
        assert (status, body["code"]) == (400, "invalid_request")

    async def test_malformed_json(self, gw: GatewayUnderTest) -> None:
        token = await gw.key(gw.acme, "author")
        status, body, _ = await gw.call(
            "POST",
            "/v1/templates",
            token=token,
            data=b'{"name": ',
            headers={"Content-Type": "application/json"},
        )
        assert (status, body["code"]) == (400, "invalid_request")


class TestOpenApi:
    """The template operations are documented with real schemas from the models."""

    def test_schemas(self) -> None:
        document = openapi_document([*ops_routes.OPERATIONS, *template_routes.OPERATIONS])
        paths, schemas = document["paths"], document["components"]["schemas"]
        create = paths["/v1/templates"]["post"]
        assert create["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/TemplateDraft"
        }
        assert set(create["responses"]) == {
            *("201", "400", "401", "403", "408", "409", "413", "415", "422", "429")
        }
        assert schemas["TemplateDraft"]["additionalProperties"] is False
        assert schemas["TemplateDraft"]["required"] == ["name", "audience", "body"]
        approve = paths["/v1/templates/{template_id}/approve"]["post"]
        assert [p["name"] for p in approve["parameters"]] == ["template_id"]
        assert set(approve["responses"]) == {
            *("200", "400", "401", "403", "404", "408", "409", "413", "415", "422", "429")
        }
        assert {"VersionChanged", "TemplateView", "TemplateList", "ReviewBody"} <= set(schemas)
