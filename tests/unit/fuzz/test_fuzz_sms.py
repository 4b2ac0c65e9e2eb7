"""Fuzzing SMS measurement and signing against a reference written from 3GPP TS 23.038.

``measure`` promises never to raise and to count what a carrier's SMSC
bills (``core/sms.py``): GSM-7 when every character is in the basic or
extension table (an extension character costs an escape septet too), UCS-2
otherwise, counting UTF-16 code units; 160/153 septets or 70/67 units per
segment, never splitting an escape pair or a surrogate pair. The reference
below is written independently: it builds the actual stream of septets or
code units and cuts it into segments.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.sms import (
    Encoding,
    InvalidSignature,
    TooManySegments,
    check_segments,
    measure,
    sign,
)

from .support import FUZZ, hostile_text, texts

# GSM 03.38 default alphabet, rows 0x00-0x7F, with 0x1B (ESC) left out.
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "\f^{}\\[~]|€"
ESC = "\x1b"
HIGH_SURROGATES = range(0xD800, 0xDC00)


def reference_units(text: str) -> tuple[Encoding, list[str]]:
    """What a carrier sends: septets (as characters, ESC before extensions) or UTF-16 units."""
    if all(char in BASIC or char in EXTENSION for char in text):
        return Encoding.GSM7, [
            septet for c in text for septet in (ESC + c if c in EXTENSION else c)
        ]
    units = text.encode("utf-16-le", "surrogatepass")
    return Encoding.UCS2, [units[i : i + 2].decode("latin-1") for i in range(0, len(units), 2)]


def reference_segments(encoding: Encoding, stream: list[str]) -> int:
    single, part = (160, 153) if encoding is Encoding.GSM7 else (70, 67)
    if len(stream) <= single:
        return 1
    segments, start = 0, 0
    while start < len(stream):
        end = min(start + part, len(stream))
        if end < len(stream) and splits_a_pair(encoding, stream[end - 1]):
            end -= 1  # the pair moves whole into the next segment
        segments, start = segments + 1, end
    return segments


def splits_a_pair(encoding: Encoding, last: str) -> bool:
    if encoding is Encoding.GSM7:
        return last == ESC
    # A lone surrogate pair unit in the text counts alone; only a high unit followed by
    # a low one is a pair, and encode() only produces those pairs from astral characters.
    code = int.from_bytes(last.encode("latin-1"), "little")
    return code in HIGH_SURROGATES


gsm_heavy = st.text(st.sampled_from(BASIC + EXTENSION), max_size=700)
astral_heavy = st.text(st.sampled_from("中a😀𠮷{€") | st.characters(), max_size=400)
any_text = st.one_of(texts, gsm_heavy, astral_heavy)


class TestMeasure:
    """Encoding, units and segments agree with the reference for any text."""

    @FUZZ
    @given(any_text)
    def test_agrees_with_the_reference(self, text: str) -> None:
        """Promise: never raises; encoding, units and segments are what the carrier counts."""
        encoding, stream = reference_units(text)
        measured = measure(text)
        assert measured.encoding is encoding
        assert measured.units == len(stream)
        assert measured.segments == reference_segments(encoding, stream)

    @FUZZ
    @given(any_text, st.integers(1, 255))
    def test_check_segments_refuses_exactly_above_the_limit(self, text: str, limit: int) -> None:
        """Promise: TooManySegments iff the text needs more than ``limit`` segments."""
        over = measure(text).segments > limit
        if over:
            with pytest.raises(TooManySegments):
                check_segments(text, limit)
        else:
            assert check_segments(text, limit) == measure(text)


class TestSign:
    """Any signature is either refused with InvalidSignature or framed in 【】."""

    @FUZZ
    @given(hostile_text, hostile_text)
    def test_sign(self, body: str, signature: str) -> None:
        """Promise: InvalidSignature for a bad signature, else ``【name】body``."""
        name = signature.strip()
        acceptable = (
            2 <= len(name) <= 20
            and not set("【】") & set(name)
            and not any(unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp", "Cs"} for c in name)
        )
        if not acceptable:
            with pytest.raises(InvalidSignature):
                sign(body, signature)
            return
        assert sign(body, signature) == f"【{name}】{body}"
