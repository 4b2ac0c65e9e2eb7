"""Regression tests of the edge cases fuzzing found: each was a 500 or an undocumented answer.

Each class pins one fix: query numbers parsed as ASCII digits within bounds,
NUL refused in URLs and JSON strings, instants outside the years datetime can
shift, bodies that are not UTF-8 or nest too deep, and the refusals every
operation with a body documents.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from smsgate.store import Role

from ..api.api_support import GatewayUnderTest, start_gateway
from ..api.message_support import PHONE, message, seed_template
from ..pg_server import DATABASE_URL_FILE


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
async def gw(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[GatewayUnderTest]:
    """A gateway on SQLite, and on PostgreSQL, which refuses NUL in text where SQLite stores it."""
    if request.param == "sqlite":
        async for running in start_gateway(tmp_path):
            yield running
        return
    with request.getfixturevalue("postgres_server").fresh_database() as url:
        (tmp_path / DATABASE_URL_FILE).write_text(url)  # start_gateway opens this database
        async for running in start_gateway(tmp_path):
            yield running


async def send_raw(gw: GatewayUnderTest, path: str, raw: bytes) -> tuple[int, Any]:
    """POST ``raw`` as JSON to ``path`` as the sender; status and decoded body."""
    token = await gw.key("acme", Role.SENDER)
    headers = {"Content-Type": "application/json"}
    status, body, _ = await gw.call("POST", path, token=token, data=raw, headers=headers)
    return status, body


LIMITS = [
    pytest.param("²", id="superscript-digit"),
    pytest.param("١٢", id="arabic-indic-digits"),
    pytest.param("9" * 5000, id="5000-digits"),
    pytest.param("0", id="zero"),
    pytest.param("-1", id="negative"),
    pytest.param("+5", id="plus-sign"),
    pytest.param(" 5", id="leading-space"),
    pytest.param("5.0", id="decimal"),
    pytest.param("", id="empty"),
]


class TestQueryLimits:
    """``?limit=`` is ASCII digits within the page size; anything else is a 400, never a 500."""

    @pytest.mark.parametrize("limit", LIMITS)
    @pytest.mark.parametrize(
        ("path", "role"),
        [
            pytest.param("/v1/held", Role.REVIEWER, id="held"),
            pytest.param("/v1/replies", Role.SENDER, id="replies"),
        ],
    )
    async def test_refused(self, gw: GatewayUnderTest, path: str, role: Role, limit: str) -> None:
        headers = {"Authorization": f"Bearer {await gw.key('acme', role)}"}
        url = gw.base_url + path
        async with gw.session.get(url, params={"limit": limit}, headers=headers) as response:
            problem = await response.json(content_type=None)
        assert response.status == 400
        assert problem["code"] == "invalid_request"
        assert "limit" in problem["detail"]

    async def test_the_largest_page_is_accepted(self, gw: GatewayUnderTest) -> None:
        token = await gw.key("acme", Role.REVIEWER)
        status, body, _ = await gw.call("GET", "/v1/held?limit=500", token=token)
        assert (status, body) == (200, {"held": []})


class TestNulInUrls:
    """A NUL in the decoded path or query is a 400: no id holds one, PostgreSQL can't compare it."""

    @pytest.mark.parametrize(
        "target",
        [
            pytest.param("/v1/templates/tpl_%00", id="path"),
            pytest.param("/v1/opt-outs?phone=%2B86%00138", id="query-value"),
            pytest.param("/v1/opt-outs?ph%00one=1", id="query-name"),
        ],
    )
    async def test_refused(self, gw: GatewayUnderTest, target: str) -> None:
        token = await gw.key("acme", Role.ADMIN, Role.AUTHOR)
        status, body, _ = await gw.call("GET", target, token=token)
        assert status == 400
        assert body["code"] == "invalid_request"
        assert "NUL" in body["detail"]


class TestNulInBodies:
    """A ``\\u0000`` escape in a JSON string is a 400; ``\\\\u0000`` (a backslash) is text."""

    async def test_nul_escape_refused(self, gw: GatewayUnderTest) -> None:
        template = await seed_template(gw)
        raw = message(template, recipient={"debtor_id": "D-\u0000"})
        status, body = await send_raw(gw, "/v1/messages", _json(raw))
        assert status == 400
        assert "NUL" in body["detail"]

    async def test_escaped_backslash_is_not_a_nul(self, gw: GatewayUnderTest) -> None:
        template = await seed_template(gw)
        raw = message(template, recipient={"debtor_id": "D-\\u0000"})
        status, body = await send_raw(gw, "/v1/messages", _json(raw))
        assert status == 202, body

    async def test_a_nul_in_a_batch_item_fails_that_item_alone(self, gw: GatewayUnderTest) -> None:
        template = await seed_template(gw)
        items = [message(template), message(template, recipient={"debtor_id": "D-\u0000"})]
        status, body = await send_raw(gw, "/v1/messages:batch", _json({"messages": items}))
        assert status == 200
        assert [r["status"] for r in body["results"]] == [202, 400]
        assert "NUL" in body["results"][1]["body"]["detail"]


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


class TestUndecodableBodies:
    """Bodies msgspec cannot decode for reasons other than syntax are a 400, not a 500."""

    async def test_invalid_utf8(self, gw: GatewayUnderTest) -> None:
        status, body = await send_raw(gw, "/v1/messages", b'{"template_id": "\xff"}')
        assert status == 400
        assert "UTF-8" in body["detail"]

    async def test_nesting_past_the_recursion_limit(self, gw: GatewayUnderTest) -> None:
        template = await seed_template(gw)
        raw = _json(message(template)).replace(
            b'"days": 5', b'"days": ' + b"[" * 5000 + b"]" * 5000
        )
        status, body = await send_raw(gw, "/v1/messages", raw)
        assert status == 400
        assert "nested too deeply" in body["detail"]

    async def test_nesting_within_the_limit_is_judged_on_its_merits(
        self, gw: GatewayUnderTest
    ) -> None:
        template = await seed_template(gw)
        raw = _json(message(template)).replace(b'"days": 5', b'"days": ' + b"[" * 200 + b"]" * 200)
        status, body = await send_raw(gw, "/v1/messages", raw)
        assert status == 422
        assert body["code"] == "variable_invalid"


class TestVariableCounts:
    """At most 100 variables in a send or a draft, so a refusal listing each stays small."""

    async def test_a_send_with_too_many(self, gw: GatewayUnderTest) -> None:
        template = await seed_template(gw)
        many = {f"v{i}": 1 for i in range(101)}
        status, body = await send_raw(gw, "/v1/messages", _json(message(template, variables=many)))
        assert status == 400
        assert "$.variables" in body["detail"]

    async def test_a_draft_with_too_many(self, gw: GatewayUnderTest) -> None:
        token = await gw.key("acme", Role.AUTHOR)
        draft = {
            "name": "many",
            "audience": "debtor",
            "body": "{{ v0 }}",
            "variables": {f"v{i}": {"type": "str"} for i in range(101)},
        }
        status, body, _ = await gw.call("POST", "/v1/templates", token=token, json=draft)
        assert status == 400
        assert "$.variables" in body["detail"]


class TestInstants:
    """Instants outside the years 1970..9000 are a 400 naming the field, not an overflow."""

    @pytest.mark.parametrize(
        "at",
        [
            pytest.param("0001-01-01T00:00:00+14:00", id="year-1-east"),
            pytest.param("9999-12-31T23:59:59-14:00", id="year-9999-west"),
            pytest.param("1969-12-31T23:59:59Z", id="before-1970"),
        ],
    )
    async def test_contact_at(self, gw: GatewayUnderTest, at: str) -> None:
        contact = {"debtor_id": "D-1", "phone": PHONE, "role": "debtor", "at": at}
        status, body = await send_raw(gw, "/v1/contacts", _json(contact))
        assert status == 400
        assert (body["code"], body["field"]) == ("invalid_request", "at")

    @pytest.mark.parametrize(
        "send_at",
        [
            pytest.param("9999-12-31T00:00:00Z", id="year-9999"),
            pytest.param("0001-01-01T00:00:00+14:00", id="year-1"),
        ],
    )
    async def test_send_at(self, gw: GatewayUnderTest, send_at: str) -> None:
        template = await seed_template(gw)
        status, body = await send_raw(gw, "/v1/messages", _json(message(template, send_at=send_at)))
        assert status == 400
        assert (body["code"], body["field"]) == ("invalid_request", "send_at")

    async def test_a_send_at_in_range_is_scheduled(self, gw: GatewayUnderTest) -> None:
        template = await seed_template(gw)
        later = message(template, send_at="2027-01-05T02:00:00Z")
        status, body = await send_raw(gw, "/v1/messages", _json(later))
        assert status == 202, body
        assert body["status"] == "scheduled"


class TestDocumentedRefusals:
    """Every operation with a body documents the refusals any body may get: 400, 408, 413, 415."""

    async def test_every_body_operation(self, gw: GatewayUnderTest) -> None:
        _, document, _ = await gw.call("GET", "/openapi.json")
        with_body = [
            (path, method, operation)
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if "requestBody" in operation
        ]
        assert len(with_body) >= 10
        for path, method, operation in with_body:
            for status in ("400", "408", "413", "415"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (method, path, status)

    async def test_a_413_names_the_limit(self, gw: GatewayUnderTest) -> None:
        limit = gw.gateway.settings.max_body_bytes
        status, body = await send_raw(gw, "/v1/messages", b"[" + b" " * limit + b"]")
        assert status == 413
        assert (body["code"], body["max_bytes"]) == ("payload_too_large", limit)
