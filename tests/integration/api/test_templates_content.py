"""Through the API: an all-variable template cannot be approved, and values carry no contact.

Issue #13 items 6 and 7. A template of only ``{{ t }}`` let any text ride in a
value; a value could carry a link, a phone number nobody reviewed, or a
look-alike bracket pair that phones show as a second sender's signature.
"""

from __future__ import annotations

from typing import Any

import pytest

from .api_support import GatewayUnderTest
from .message_support import PHONE, seed_template
from .shared_gateway import on_the_module_gateway

NOTE_BODY = "{{ name }}您好，{{ note }}，请尽快还款。"
NOTE_VARIABLES = {
    "name": {"type": "str", "max_length": 10},
    "note": {"type": "str", "max_length": 30},
}


async def create(gw: GatewayUnderTest, body: str, variables: dict[str, Any]) -> dict[str, Any]:
    author = await gw.key(gw.acme, "author")
    request = {"name": "t", "audience": "debtor", "body": body, "variables": variables}
    status, created, _ = await gw.call("POST", "/v1/templates", token=author, json=request)
    assert status == 201, created
    return dict(created)


async def send(gw: GatewayUnderTest, template_id: str, **values: str) -> tuple[int, Any]:
    sender = await gw.key(gw.acme, "sender")
    request = {
        "template_id": template_id,
        "variables": values,
        "recipient": {"phone": PHONE, "debtor_id": "D-1001", "role": "debtor"},
    }
    status, body, _ = await gw.call("POST", "/v1/messages", token=sender, json=request)
    return status, body


class TestAllVariableTemplates:
    """A template without fixed wording of its own is a lint error, so it cannot be submitted."""

    @pytest.mark.parametrize(
        "body",
        [pytest.param("{{ t }}", id="only-a-variable"), pytest.param("{{ t }}您好", id="greeting")],
    )
    @on_the_module_gateway
    async def test_lint_error_blocks_submit(self, gw: GatewayUnderTest, body: str) -> None:
        created = await create(gw, body, {"t": {"type": "str", "max_length": 60}})
        codes = {(issue["code"], issue["severity"]) for issue in created["lint"]}
        assert ("fixed_wording_missing", "error") in codes
        author = await gw.key(gw.acme, "author")
        status, answer, _ = await gw.call(
            "POST", f"/v1/templates/{created['id']}/submit", token=author
        )
        assert (status, answer["code"]) == (422, "template_invalid")


class TestLookAlikeSignatureInBody:
    """A body framing a look-alike signature is a lint error."""

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("〖中国工商银行〗{{ name }}您好，请尽快还款。", id="lenticular"),
            pytest.param("［中国工商银行］{{ name }}您好，请尽快还款。", id="full-width-square"),
            pytest.param("{{ name }}您好，请尽快还款。︻工商银行︼", id="vertical"),
        ],
    )
    @on_the_module_gateway
    async def test_lint_error(self, gw: GatewayUnderTest, body: str) -> None:
        created = await create(gw, body, {"name": {"type": "str", "max_length": 10}})
        assert ("signature_in_body", "error") in {
            (issue["code"], issue["severity"]) for issue in created["lint"]
        }


class TestFreeTextValues:
    """A str value with a link, a phone number or a signature bracket is 422 variable_invalid."""

    @pytest.mark.parametrize(
        ("note", "reason"),
        [
            pytest.param("点击 https://pay.example.com 还款", "link", id="url"),
            pytest.param("登录ｗｗｗ．ｐａｙ．ｃｏｍ", "link", id="full-width-url"),
            pytest.param("速回电138-0013-8000", "phone number", id="phone"),
            pytest.param("回电１３８００１３８０００", "phone number", id="full-width-phone"),
            pytest.param("〖中国工商银行〗", "signature", id="lenticular"),
            pytest.param("［工商银行］", "signature", id="full-width-square"),
            pytest.param("[工商银行", "signature", id="open-square"),
            pytest.param("︻工商银行︼", "signature", id="vertical"),
        ],
    )
    @on_the_module_gateway
    async def test_refused(self, gw: GatewayUnderTest, note: str, reason: str) -> None:
        template_id = await seed_template(gw, body=NOTE_BODY, variables=NOTE_VARIABLES)
        status, body = await send(gw, template_id, name="张三", note=note)
        assert (status, body["code"]) == (422, "variable_invalid")
        [error] = body["errors"]
        assert error["variable"] == "note"
        assert reason in error["reason"]

    async def test_a_name_is_still_a_name(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw, body=NOTE_BODY, variables=NOTE_VARIABLES)
        status, body = await send(gw, template_id, name="张三", note="本期第3期")
        assert (status, body["status"]) == (202, "queued")

    async def test_an_explicit_allowance_lets_a_link_through(self, gw: GatewayUnderTest) -> None:
        variables = {**NOTE_VARIABLES, "note": {"type": "str", "max_length": 30, "allow": ["url"]}}
        template_id = await seed_template(gw, body=NOTE_BODY, variables=variables)
        status, body = await send(gw, template_id, name="张三", note="见 pay.example.com")
        assert (status, body["status"]) == (202, "queued")

    async def test_a_rendered_look_alike_signature_is_refused(self, gw: GatewayUnderTest) -> None:
        # A version approved before the body rule: the rendered text is checked at send time.
        body = "[中国工商银行]{{ name }}您好，请尽快还款。"
        template_id = await seed_template(gw, body=body, variables={"name": NOTE_VARIABLES["name"]})
        status, answer = await send(gw, template_id, name="张三")
        assert (status, answer["code"]) == (422, "variable_invalid")
        assert "signature" in answer["detail"]
