"""The UI says how a finding was disguised: in the mark's class and title, and in the table."""

from __future__ import annotations

import pytest

from .ui_client import UiClient
from .web_support import UiWorld, csrf_of


class TestEvasionShown:
    """The scratch box marks each finding with its evasion kind, in words a reviewer reads."""

    @pytest.mark.parametrize(
        ("text", "kind", "words"),
        [
            pytest.param("请到公 安局说明情况", "spaced", ("插入间隔", "spaced out"), id="spaced"),
            pytest.param(
                "请到派出锁说明情况", "homophone", ("谐音字", "homophone"), id="homophone"
            ),
            pytest.param("请到gong'an局说明情况", "pinyin", ("拼音", "pinyin"), id="pinyin"),
            pytest.param("请到派出所说明情况", "plain", ("原词", "as listed"), id="plain"),
        ],
    )
    async def test_scratch_box(
        self, world: UiWorld, client: UiClient, text: str, kind: str, words: tuple[str, str]
    ) -> None:
        await client.sign_in(world.tokens["reviewer"])
        token = csrf_of((await client.get("/ui/wordlists")).text)
        page = await client.post("/ui/wordlists/scan", {"csrf": token, "text": text})
        assert page.status == 200
        assert 'class="finding sev-' in page.text
        assert f" ev-{kind}" in page.text
        assert f'class="evasion ev-{kind}"' in page.text
        assert any(word in page.text for word in words)
