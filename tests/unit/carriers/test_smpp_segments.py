"""Splitting messages into submit_sm parts, and the GSM 03.38 / UCS-2 octets they carry."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.carriers.smpp.alphabet import (
    decode_gsm7,
    decode_text,
    encode_text,
)
from smsgate.carriers.smpp.pdu import TlvTag, find_tlv
from smsgate.carriers.smpp.segments import Concatenation, Part, split_message
from smsgate.core.sms import GSM7_BASIC, GSM7_EXTENSION, Encoding, measure

CHINESE = "【安信消费金融】" + "".join(
    itertools.islice(itertools.cycle("您好您的账单已逾期请尽快还款😀谢谢配合𠮷"), 200)
)
GSM_CHARS = "".join(sorted(GSM7_BASIC | GSM7_EXTENSION))


def body_octets(part: Part) -> bytes:
    """short_message without its user-data header."""
    return part.short_message[6:] if part.esm_class & 0x40 else part.short_message


class TestUcs2:
    """A long Chinese text with astral characters is cut between characters, never inside."""

    def test_parts_hold_at_most_67_units_and_join_to_the_text(self) -> None:
        parts = split_message(CHINESE, Concatenation.UDH, reference=0x1A2B)

        # 8 + 200 characters, 20 of them astral: 228 units, so four parts of at most 67.
        assert len(parts) == measure(CHINESE).segments == 4
        assert all(len(body_octets(part)) <= 134 for part in parts)
        assert all(part.data_coding == 8 and part.esm_class == 0x40 for part in parts)
        # Each part decodes on its own strictly: no surrogate pair was split.
        texts = [body_octets(part).decode("utf-16-be") for part in parts]
        assert "".join(texts) == CHINESE

    def test_the_header_numbers_the_parts(self) -> None:
        parts = split_message(CHINESE, Concatenation.UDH, reference=0x1A2B)
        headers = [part.short_message[:6] for part in parts]
        assert headers == [bytes([5, 0, 3, 0x2B, 4, n]) for n in range(1, 5)]

    def test_a_pair_that_would_straddle_a_boundary_moves_whole(self) -> None:
        text = "汉" * 66 + "😀" + "汉" * 10
        first, second = split_message(text, Concatenation.UDH, reference=1)
        assert body_octets(first).decode("utf-16-be") == "汉" * 66
        assert body_octets(second).decode("utf-16-be") == "😀" + "汉" * 10

    def test_a_short_text_is_one_plain_part(self) -> None:
        [part] = split_message("【安信】您好", Concatenation.UDH, reference=1)
        assert part == Part("【安信】您好".encode("utf-16-be"), 8)

    @given(st.text(max_size=400).filter(lambda t: not any(0xD800 <= ord(c) < 0xE000 for c in t)))
    def test_any_text_splits_as_measured(self, text: str) -> None:
        parts = split_message(text, Concatenation.UDH, reference=9)
        encoding = measure(text).encoding
        decoded = [decode_text(part.data_coding, body_octets(part)) for part in parts]
        assert len(parts) == measure(text).segments
        assert "".join(decoded) == text or encoding is Encoding.GSM7


class TestGsm7:
    """GSM texts go as unpacked septets with data_coding 0, 153 septets a part."""

    def test_a_161_character_text_needs_two_parts(self) -> None:
        text = "A" * 161
        parts = split_message(text, Concatenation.UDH, reference=3)
        assert [len(body_octets(part)) for part in parts] == [153, 8]
        assert {part.data_coding for part in parts} == {0}

    def test_an_escape_pair_is_never_split(self) -> None:
        text = "A" * 152 + "€" + "B" * 10
        first, second = split_message(text, Concatenation.UDH, reference=3)
        assert body_octets(first) == b"A" * 152
        assert body_octets(second)[:2] == bytes([0x1B, 0x65])

    @given(st.text(alphabet=GSM_CHARS, max_size=500))
    def test_septets_decode_back_to_the_text(self, text: str) -> None:
        parts = split_message(text, Concatenation.UDH, reference=3)
        assert "".join(decode_gsm7(body_octets(part)) for part in parts) == text
        assert len(parts) == measure(text).segments

    def test_known_codes(self) -> None:
        assert encode_text("@A{", Encoding.GSM7) == bytes([0x00, 0x41, 0x1B, 0x28])

    def test_gsm_cannot_carry_chinese(self) -> None:
        with pytest.raises(ValueError, match=r"U\+4E00"):
            encode_text("一", Encoding.GSM7)


class TestOtherConcatenations:
    """SAR puts the numbering in TLVs; payload sends everything in one submit."""

    def test_sar_tlvs(self) -> None:
        parts = split_message(CHINESE, Concatenation.SAR, reference=0x1A2B)
        numbering = [
            tuple(find_tlv(part.tlvs, tag).value for tag in _SAR_TAGS)  # type: ignore[union-attr]
            for part in parts
        ]
        assert numbering == [(b"\x1a\x2b", b"\x04", bytes([n])) for n in range(1, 5)]
        assert all(part.esm_class == 0 for part in parts)
        assert b"".join(part.short_message for part in parts).decode("utf-16-be") == CHINESE

    def test_payload_is_one_part(self) -> None:
        [part] = split_message(CHINESE, Concatenation.PAYLOAD, reference=1)
        payload = find_tlv(part.tlvs, TlvTag.MESSAGE_PAYLOAD)
        assert payload is not None
        assert (part.short_message, payload.value.decode("utf-16-be")) == (b"", CHINESE)

    def test_more_than_255_parts_is_refused(self) -> None:
        with pytest.raises(ValueError, match="255"):
            split_message("汉" * 67 * 256, Concatenation.UDH, reference=1)


_SAR_TAGS = (TlvTag.SAR_MSG_REF_NUM, TlvTag.SAR_TOTAL_SEGMENTS, TlvTag.SAR_SEGMENT_SEQNUM)


class TestInboundDecoding:
    """Inbound octets decode by their data_coding without ever raising."""

    @pytest.mark.parametrize(
        ("coding", "octets", "text"),
        [
            pytest.param(8, "退订".encode("utf-16-be"), "退订", id="ucs2"),
            pytest.param(0, bytes([0x00, 0x1B, 0x65, 0x41]), "@€A", id="gsm"),
            pytest.param(1, b"TD", "TD", id="ia5"),
            pytest.param(3, "é".encode("latin-1"), "é", id="latin1"),
            pytest.param(8, b"\xd8\x3d", "\ufffd", id="lone-surrogate"),
        ],
    )
    def test_codings(self, coding: int, octets: bytes, text: str) -> None:
        assert decode_text(coding, octets) == text
