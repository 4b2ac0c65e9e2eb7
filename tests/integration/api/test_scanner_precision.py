"""Through the API: homophones are held, ordinary words and place names pass, and a
creditor's own registered name never trips its own messages or templates (#15 items 2-3).

Every test runs on both stores.
"""

from __future__ import annotations

from typing import Any

import pytest

from smsgate.service import administration

from .api_support import GatewayUnderTest
from .message_support import PHONE, seed_template
from .shared_gateway import on_the_module_gateway

NOTE_BODY = "{{ name }}您好，{{ note }}，请尽快还款。"
NOTE_VARIABLES = {
    "name": {"type": "str", "max_length": 10},
    "note": {"type": "str", "max_length": 30},
}
CREDIT_UNION = "Police and Fire FCU"


async def send(
    gw: GatewayUnderTest, template_id: str, creditor: str | None = None, **values: str
) -> tuple[int, Any]:
    sender = await gw.key(creditor or gw.acme, "sender")
    request = {
        "template_id": template_id,
        "variables": values,
        "recipient": {"phone": PHONE, "debtor_id": "D-1001", "role": "debtor"},
    }
    status, body, _ = await gw.call("POST", "/v1/messages", token=sender, json=request)
    return status, body


class TestHomophoneValues:
    """A value spelling a term with a same-sounding character is held for a reviewer."""

    @pytest.mark.parametrize(
        ("note", "term"),
        [
            pytest.param("派出锁已备案", "派出所", id="pai-chu-suo"),
            pytest.param("检查院已介入", "检察院", id="jian-cha-yuan"),
            pytest.param("否则准备坐劳", "坐牢", id="zuo-lao"),
        ],
    )
    @on_the_module_gateway
    async def test_held(self, gw: GatewayUnderTest, note: str, term: str) -> None:
        template_id = await seed_template(gw, body=NOTE_BODY, variables=NOTE_VARIABLES)
        status, body = await send(gw, template_id, name="张三", note=note)
        assert (status, body["status"]) == (202, "held"), body
        assert (term, "homophone", "review") in {
            (f["term"], f["evasion"], f["severity"]) for f in body["findings"]
        }


class TestOrdinaryValues:
    """Values in which a term only straddles two words, or names a place, are sent."""

    @pytest.mark.parametrize(
        "note",
        [
            pytest.param("家畜生病已处理", id="jiachu-shengbing"),
            pytest.param("建立案卷后通知您", id="jianli-anjuan"),
            pytest.param("湖北省公安县营业部", id="gongan-county"),
            pytest.param("这是一桩公案", id="gongan-homophone-word"),
        ],
    )
    @on_the_module_gateway
    async def test_queued(self, gw: GatewayUnderTest, note: str) -> None:
        template_id = await seed_template(gw, body=NOTE_BODY, variables=NOTE_VARIABLES)
        status, body = await send(gw, template_id, name="张三", note=note)
        assert (status, body["status"]) == (202, "queued"), body


class TestOwnName:
    """A credit union with "Police" in its registered name sends and lints in its own name."""

    @pytest.fixture
    async def credit_union(self, gw: GatewayUnderTest) -> str:
        await administration.create_creditor(
            gw.gateway.store,
            "pffcu",
            name="Police and Fire Federal Credit Union",
            signature=CREDIT_UNION,
            profile="cn-shenzhen",
            at=gw.clock(),
        )
        return "pffcu"

    async def test_its_signature_does_not_block_its_messages(
        self, gw: GatewayUnderTest, credit_union: str
    ) -> None:
        body = "{{ name }}, your payment is overdue. Please call us."
        variables = {"name": {"type": "str", "max_length": 10}}
        template_id = await seed_template(gw, credit_union, body=body, variables=variables)
        status, answer = await send(gw, template_id, credit_union, name="Ann")
        assert (status, answer["status"]) == (202, "queued"), answer

    async def test_another_creditor_signing_so_is_blocked(self, gw: GatewayUnderTest) -> None:
        body = "Police and Fire FCU: {{ name }}, your payment is overdue."
        variables = {"name": {"type": "str", "max_length": 10}}
        template_id = await seed_template(gw, body=body, variables=variables)
        status, answer = await send(gw, template_id, name="Ann")
        assert (status, answer["code"]) == (422, "sensitive_term"), answer

    async def test_lint_of_its_name_in_the_body(
        self, gw: GatewayUnderTest, credit_union: str
    ) -> None:
        author = await gw.key(credit_union, "author")
        request = {
            "name": "reminder",
            "audience": "debtor",
            "body": "Police and Fire Federal Credit Union reminds {{ name }} to pay, "
            "or we tell the police.",
            "variables": {"name": {"type": "str", "max_length": 10}},
        }
        status, created, _ = await gw.call("POST", "/v1/templates", token=author, json=request)
        assert status == 201, created
        found = [(f["term"], f["start"]) for f in created["findings"]]
        assert found == [("police", request["body"].rindex("police"))]


class TestTemplateLint:
    """POST /v1/templates: lint reads the body as the scanner does, homophones named."""

    async def draft(self, gw: GatewayUnderTest, body: str) -> Any:
        author = await gw.key(gw.acme, "author")
        request = {"name": "t", "audience": "debtor", "body": body, "variables": NOTE_VARIABLES}
        status, created, _ = await gw.call("POST", "/v1/templates", token=author, json=request)
        assert status == 201, created
        return created

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param("{{ name }}您好，建立案卷后我们将通知您。", id="jianli-anjuan"),
            pytest.param("{{ name }}您好，湖北省公安县营业部已搬迁。", id="gongan-county"),
            pytest.param("{{ name }}您好，网上流传票证信息请勿轻信。", id="liuchuan-piaozheng"),
        ],
    )
    @on_the_module_gateway
    async def test_ordinary_bodies_have_no_findings(self, gw: GatewayUnderTest, body: str) -> None:
        created = await self.draft(gw, body)
        assert created["findings"] == []
        assert not [i for i in created["lint"] if i["code"] == "sensitive_term"]

    async def test_homophone_in_the_body(self, gw: GatewayUnderTest) -> None:
        created = await self.draft(gw, "{{ name }}您好，检查院已介入，请回电。")
        assert [(f["term"], f["evasion"]) for f in created["findings"]] == [("检察院", "homophone")]
        messages = [i["message"] for i in created["lint"] if i["code"] == "sensitive_term"]
        assert any("(written homophone)" in message for message in messages), messages
