"""Through the API: the #15 evasions are found in values and in template bodies, and say how.

A value that reads as a term only once folded (a look-alike letter, leet,
toned pinyin) is refused like the plain term; a value holding an invisible
letter (a Hangul filler) is refused at the value check; template lint finds
the same spellings and names the evasion. Every test runs on both stores.
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


async def send(gw: GatewayUnderTest, template_id: str, **values: str) -> tuple[int, Any]:
    sender = await gw.key(gw.acme, "sender")
    request = {
        "template_id": template_id,
        "variables": values,
        "recipient": {"phone": PHONE, "debtor_id": "D-1001", "role": "debtor"},
    }
    status, body, _ = await gw.call("POST", "/v1/messages", token=sender, json=request)
    return status, body


class TestValues:
    """POST /v1/messages: folded values are scanned, invisible letters refused."""

    @pytest.mark.parametrize(
        ("note", "term", "evasion"),
        [
            pytest.param("明天p\u03bflice上门", "police", "confusable", id="greek-omicron"),
            pytest.param("you face \u0430rr\u0435st", "arrest", "confusable", id="cyrillic"),
            pytest.param(
                "\U0001d423\U0001d41a\U0001d422\U0001d425 awaits",
                "jail",
                "confusable",
                id="math-bold",
            ),
            pytest.param("straight to pr1s0n", "prison", "leet", id="leet"),
            pytest.param("请联系j\u0456ngcha", "警察", "pinyin", id="pinyin-cyrillic-i"),
            pytest.param("pài chū suǒ 来电", "派出所", "pinyin", id="toned-pinyin"),
            pytest.param("案件移交檢察", "检察", "traditional", id="traditional"),
            pytest.param("已通知pai4chu1suo3", "派出所", "pinyin", id="tone-numbers"),
            pytest.param("明天jing察上门", "警察", "pinyin", id="mixed-syllables"),
        ],
    )
    @on_the_module_gateway
    async def test_refused_with_the_evasion(
        self, gw: GatewayUnderTest, note: str, term: str, evasion: str
    ) -> None:
        template_id = await seed_template(gw, body=NOTE_BODY, variables=NOTE_VARIABLES)
        status, body = await send(gw, template_id, name="张三", note=note)
        assert (status, body["code"]) == (422, "sensitive_term"), body
        assert (term, evasion) in {(f["term"], f["evasion"]) for f in body["findings"]}

    @pytest.mark.parametrize(
        "note",
        [
            pytest.param("公\u3164安", id="U+3164"),
            pytest.param("派\u115f出所", id="U+115F"),
            pytest.param("您好\uffa0", id="U+FFA0-alone"),
            pytest.param("法\u1160院", id="U+1160"),
        ],
    )
    @on_the_module_gateway
    async def test_invisible_letters_are_refused(self, gw: GatewayUnderTest, note: str) -> None:
        template_id = await seed_template(gw, body=NOTE_BODY, variables=NOTE_VARIABLES)
        status, body = await send(gw, template_id, name="张三", note=note)
        assert (status, body["code"]) == (422, "variable_invalid"), body
        assert [error["variable"] for error in body["errors"]] == ["note"]
        assert "invisible" in body["errors"][0]["reason"]

    async def test_held_finding_is_stored_with_its_evasion(self, gw: GatewayUnderTest) -> None:
        template_id = await seed_template(gw, body=NOTE_BODY, variables=NOTE_VARIABLES)
        status, body = await send(gw, template_id, name="张三", note="we will \u0455ue you")
        assert (status, body["status"]) == (202, "held"), body
        assert {(f["term"], f["evasion"]) for f in body["findings"]} == {
            ("will sue", "confusable"),
            ("sue you", "confusable"),
        }
        sender = await gw.key(gw.acme, "sender")
        status, detail, _ = await gw.call("GET", f"/v1/messages/{body['id']}", token=sender)
        assert status == 200
        assert [f["evasion"] for f in detail["findings"]] == ["confusable", "confusable"]


class TestTemplateLint:
    """POST /v1/templates: lint finds the folded spellings in the body and names them."""

    @pytest.mark.parametrize(
        ("body", "term", "evasion"),
        [
            pytest.param(
                "{{ name }}您好，否则sh\u0435riff上门。", "sheriff", "confusable", id="confusable"
            ),
            pytest.param("{{ name }}您好，否则j@il。", "jail", "leet", id="leet"),
            pytest.param("{{ name }}您好，gōng ān已立案。", "公安", "pinyin", id="toned-pinyin"),
            pytest.param(
                "{{ name }}您好，公\u3164安已介入。", "公安", "spaced", id="hangul-filler"
            ),
            pytest.param("{{ name }}您好，gong1an1已介入。", "公安", "pinyin", id="tone-numbers"),
            pytest.param("{{ name }}您好，派chu所来电。", "派出所", "pinyin", id="mixed"),
        ],
    )
    @on_the_module_gateway
    async def test_lint_names_the_evasion(
        self, gw: GatewayUnderTest, body: str, term: str, evasion: str
    ) -> None:
        author = await gw.key(gw.acme, "author")
        request = {"name": "t", "audience": "debtor", "body": body, "variables": NOTE_VARIABLES}
        status, created, _ = await gw.call("POST", "/v1/templates", token=author, json=request)
        assert status == 201, created
        assert (term, evasion) in {(f["term"], f["evasion"]) for f in created["findings"]}
        messages = [i["message"] for i in created["lint"] if i["code"] == "sensitive_term"]
        assert any(f"(written {evasion})" in message for message in messages), messages
