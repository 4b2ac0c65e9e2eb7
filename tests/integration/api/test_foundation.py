"""The API's foundation: ops endpoints, problem+json everywhere, authentication, OpenAPI."""

import re

import pytest

from smsgate.api.app import create_app

from .api_support import GatewayUnderTest
from .shared_gateway import on_the_module_gateway


class TestOps:
    """Liveness, readiness and metrics answer without a key."""

    async def test_healthz(self, gw: GatewayUnderTest) -> None:
        status, body, _ = await gw.call("GET", "/healthz")
        assert (status, body) == (200, {"status": "ok"})

    async def test_readyz_names_the_wordlist_version(self, gw: GatewayUnderTest) -> None:
        status, body, _ = await gw.call("GET", "/readyz")
        assert status == 200
        assert body["wordlist_version"] == gw.gateway.wordlists.current().version

    async def test_metrics_count_requests_and_refusals(self, gw: GatewayUnderTest) -> None:
        await gw.call("GET", "/healthz")
        await gw.call("GET", "/nope")
        status, text, response = await gw.call("GET", "/metrics")
        assert status == 200
        assert response.content_type == "text/plain"
        assert 'smsgate_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
        assert 'smsgate_refusals_total{code="not_found"} 1.0' in text
        assert "smsgate_outbox_depth 0.0" in text


class TestProblems:
    """Every error is problem+json with a stable code, never a 500 for bad input."""

    @pytest.mark.parametrize(
        ("method", "path", "status", "code"),
        [
            pytest.param("GET", "/nope", 404, "not_found", id="unknown-path"),
            pytest.param("DELETE", "/healthz", 405, "method_not_allowed", id="wrong-method"),
        ],
    )
    @on_the_module_gateway
    async def test_http_errors(
        self, gw: GatewayUnderTest, method: str, path: str, status: int, code: str
    ) -> None:
        got, body, response = await gw.call(method, path)
        assert got == status
        assert response.content_type == "application/problem+json"
        assert body["code"] == code
        assert body["status"] == status
        assert body["type"].endswith(code)
        assert body["title"]
        assert body["detail"]


class TestOpenApi:
    """The served document matches the routes exactly."""

    async def test_every_route_is_documented_and_every_path_routed(
        self, gw: GatewayUnderTest
    ) -> None:
        status, document, _ = await gw.call("GET", "/openapi.json")
        assert status == 200
        assert document["openapi"] == "3.1.0"
        documented = {
            (method.upper(), path) for path, item in document["paths"].items() for method in item
        }
        app = create_app(gw.gateway)
        # The compliance UI's pages (/ui) are HTML for people, not part of the API contract.
        routed = {
            (route.method, route.resource.canonical)
            for route in app.router.routes()
            if route.method != "HEAD"
            and route.resource is not None
            and not route.resource.canonical.startswith("/ui")
        }
        assert documented == routed

    async def test_path_parameters_are_declared(self, gw: GatewayUnderTest) -> None:
        _, document, _ = await gw.call("GET", "/openapi.json")
        for path, item in document["paths"].items():
            names = set(re.findall(r"{([^}]+)}", path))
            for operation in item.values():
                declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
                assert declared == names, (path, declared)

    async def test_secured_operations_document_401_and_403(self, gw: GatewayUnderTest) -> None:
        _, document, _ = await gw.call("GET", "/openapi.json")
        for item in document["paths"].values():
            for operation in item.values():
                if "security" in operation:
                    assert {"401", "403"} <= set(operation["responses"])


class TestBodyLimits:
    """Oversized or non-JSON bodies are refused with a clear problem, never a 500."""

    async def test_oversized_body_is_413(self, gw: GatewayUnderTest) -> None:
        token = await gw.key(gw.acme, "sender")
        huge = b'{"template_id": "' + b"x" * (gw.gateway.settings.max_body_bytes + 1) + b'"}'
        status, body, response = await gw.call(
            "POST", "/v1/messages", token=token, data=huge,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert status == 413
        assert response.content_type == "application/problem+json"
        assert body["code"] == "payload_too_large"

    async def test_wrong_content_type_is_415(self, gw: GatewayUnderTest) -> None:
        token = await gw.key(gw.acme, "sender")
        status, body, _ = await gw.call(
            "POST", "/v1/messages", token=token, data=b"a=b",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        assert status == 415
        assert body["code"] == "unsupported_media_type"

    async def test_no_key_is_401_before_the_body_is_read(self, gw: GatewayUnderTest) -> None:
        status, body, _ = await gw.call("POST", "/v1/messages", json={})
        assert status == 401
        assert body["code"] == "unauthorized"
