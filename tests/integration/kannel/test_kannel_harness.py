"""The harness itself: it refuses to run without Kannel and reads fakesmsc's lines exactly."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .harness import FakesmscMessage, KannelBinaries


class TestBinaries:
    """Missing Kannel binaries are an error that says how to install them, not a skip."""

    def test_missing_binary_is_named(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KANNEL_FAKESMSC", "/nonexistent/fakesmsc")
        with pytest.raises(FileNotFoundError, match=r"fakesmsc not found.*apt-get install"):
            KannelBinaries.locate()


class TestFakesmscLines:
    """An MT line as smsc_fake writes it gives back the exact text."""

    @pytest.mark.parametrize(
        ("line", "kind", "text"),
        [
            pytest.param("10690001 8613800138000 text Hi there", "text", "Hi there", id="7-bit"),
            pytest.param(
                "1 2 ucs-2 " + quote("退订 TD".encode("utf-16-be"), safe="").replace("%20", "+"),
                "ucs-2",
                "退订 TD",
                id="ucs2-with-space-as-plus",
            ),
            pytest.param("1 2 ucs-2 %00%2B%00a", "ucs-2", "+a", id="ucs2-literal-plus"),
            pytest.param("1 2 data %E9t%E9", "data", "été", id="8-bit"),
        ],
    )
    def test_parse(self, line: str, kind: str, text: str) -> None:
        message = FakesmscMessage.parse(line)
        assert (message.kind, message.text, message.raw) == (kind, text, line)

    def test_numbers(self) -> None:
        message = FakesmscMessage.parse("10690001 8613800138000 text TD")
        assert (message.sender, message.receiver) == ("10690001", "8613800138000")
