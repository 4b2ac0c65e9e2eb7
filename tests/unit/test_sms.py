"""Unit tests for SMS encoding, segment counting and the 【signature】."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.sms import (
    DEFAULT_MAX_SEGMENTS,
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    InvalidSignature,
    SegmentPolicy,
    SmsMeasure,
    TooManySegments,
    check_segments,
    encoding_of,
    measure,
    sign,
)

EMOJI = "\U0001f600"  # 😀, outside the Basic Multilingual Plane


class TestCharset:
    """The GSM 03.38 tables hold exactly the characters of the standard."""

    def test_basic_table_has_127_characters_without_escape(self) -> None:
        assert len(GSM7_BASIC) == 127
        assert "\x1b" not in GSM7_BASIC

    def test_extension_table(self) -> None:
        assert frozenset("\f^{}\\[~]|€") == GSM7_EXTENSION
        assert not GSM7_BASIC & GSM7_EXTENSION

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("Hello, world!", Encoding.GSM7, id="ascii"),
            pytest.param("€{}[]~\\|^", Encoding.GSM7, id="extension-only"),
            pytest.param("¥100 @ Müller ñ", Encoding.GSM7, id="basic-latin1"),
            pytest.param("ΔΦΓΛΩΠΨΣΘΞ", Encoding.GSM7, id="greek-capitals"),
            pytest.param("", Encoding.GSM7, id="empty"),
            pytest.param("您好", Encoding.UCS2, id="chinese"),
            pytest.param("price `5`", Encoding.UCS2, id="backtick-not-gsm"),
            pytest.param("ç", Encoding.UCS2, id="small-c-cedilla-not-gsm"),
            pytest.param("\x1b", Encoding.UCS2, id="bare-escape"),
            pytest.param("hi " + EMOJI, Encoding.UCS2, id="emoji"),
            pytest.param("￥100", Encoding.UCS2, id="fullwidth-yen"),
        ],
    )
    def test_encoding_of(self, text: str, expected: Encoding) -> None:
        assert encoding_of(text) is expected


class TestMeasure:
    """Units and segments follow the carriers' arithmetic exactly."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("", SmsMeasure(Encoding.GSM7, 0, 1), id="empty-is-one-segment"),
            pytest.param("a" * 160, SmsMeasure(Encoding.GSM7, 160, 1), id="gsm-160-fits"),
            pytest.param("a" * 161, SmsMeasure(Encoding.GSM7, 161, 2), id="gsm-161-splits"),
            pytest.param("a" * 306, SmsMeasure(Encoding.GSM7, 306, 2), id="gsm-2x153"),
            pytest.param("a" * 307, SmsMeasure(Encoding.GSM7, 307, 3), id="gsm-307"),
            pytest.param("€" * 80, SmsMeasure(Encoding.GSM7, 160, 1), id="gsm-80-escapes-fit"),
            pytest.param("€" * 81, SmsMeasure(Encoding.GSM7, 162, 2), id="gsm-81-escapes"),
            pytest.param("中" * 70, SmsMeasure(Encoding.UCS2, 70, 1), id="ucs2-70-fits"),
            pytest.param("中" * 71, SmsMeasure(Encoding.UCS2, 71, 2), id="ucs2-71-splits"),
            pytest.param("中" * 134, SmsMeasure(Encoding.UCS2, 134, 2), id="ucs2-2x67"),
            pytest.param("中" * 135, SmsMeasure(Encoding.UCS2, 135, 3), id="ucs2-135"),
            pytest.param(EMOJI * 35, SmsMeasure(Encoding.UCS2, 70, 1), id="ucs2-35-emoji-fit"),
            pytest.param("a" * 159 + "中", SmsMeasure(Encoding.UCS2, 160, 3), id="one-cjk-flips"),
        ],
    )
    def test_measure(self, text: str, expected: SmsMeasure) -> None:
        assert measure(text) == expected

    def test_escape_pair_is_not_split_across_segments(self) -> None:
        """152 septets then '€': a division says 2 segments, but the pair moves on."""
        text = "a" * 152 + "€" + "a" * 152
        # 152 + 2 + 152 = 306 = 2 * 153, yet the escape pair cannot straddle.
        assert measure(text) == SmsMeasure(Encoding.GSM7, 306, 3)

    def test_surrogate_pair_is_not_split_across_segments(self) -> None:
        text = "中" * 66 + EMOJI + "中" * 66
        # 66 + 2 + 66 = 134 = 2 * 67, yet the surrogate pair cannot straddle.
        assert measure(text) == SmsMeasure(Encoding.UCS2, 134, 3)

    def test_escape_pair_exactly_at_segment_end_fits(self) -> None:
        text = "a" * 151 + "€" + "a" * 153
        assert measure(text) == SmsMeasure(Encoding.GSM7, 306, 2)

    def test_lone_surrogate_does_not_crash(self) -> None:
        assert measure("\ud800") == SmsMeasure(Encoding.UCS2, 1, 1)


class TestMeasureProperties:
    """Invariants that must hold for every text."""

    @given(st.text())
    def test_never_crashes_and_is_consistent(self, text: str) -> None:
        result = measure(text)
        assert result.encoding is encoding_of(text)
        assert result.segments >= 1
        assert result.units >= len(text)

    @given(st.text(), st.text(min_size=1))
    def test_segments_monotone_when_appending(self, text: str, more: str) -> None:
        assert measure(text + more).segments >= measure(text).segments

    @given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION)), st.text(min_size=1))
    def test_segments_monotone_from_gsm_text(self, text: str, more: str) -> None:
        assert measure(text + more).segments >= measure(text).segments

    @given(st.text())
    def test_ucs2_units_are_utf16_code_units(self, text: str) -> None:
        text += "中"
        assert measure(text).units == len(text.encode("utf-16-le")) // 2

    @given(st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION)))
    def test_gsm_units_count_escapes_twice(self, text: str) -> None:
        expected = len(text) + sum(char in GSM7_EXTENSION for char in text)
        assert measure(text).units == expected

    @given(st.text(max_size=600))
    def test_segments_hold_at_least_the_units(self, text: str) -> None:
        result = measure(text)
        per_segment = 160 if result.encoding is Encoding.GSM7 else 70
        if result.segments > 1:
            per_segment = 153 if result.encoding is Encoding.GSM7 else 67
        assert result.units <= result.segments * per_segment


class TestSegmentPolicy:
    """A message over the segment ceiling is refused with the measured count."""

    def test_default_is_six(self) -> None:
        assert DEFAULT_MAX_SEGMENTS == 6
        assert SegmentPolicy().max_segments == 6

    def test_within_limit_returns_measure(self) -> None:
        assert check_segments("中" * 402) == SmsMeasure(Encoding.UCS2, 402, 6)

    def test_over_limit_raises_with_count(self) -> None:
        with pytest.raises(TooManySegments) as caught:
            check_segments("中" * 403)
        assert caught.value.segments == 7
        assert caught.value.max_segments == 6
        assert caught.value.measure == SmsMeasure(Encoding.UCS2, 403, 7)
        assert caught.value.code == "too_many_segments"
        assert "7 segments" in str(caught.value)

    def test_configurable_limit(self) -> None:
        assert SegmentPolicy(max_segments=1).check("a" * 160).segments == 1
        with pytest.raises(TooManySegments):
            SegmentPolicy(max_segments=1).check("a" * 161)

    @pytest.mark.parametrize(
        "bad",
        [
            pytest.param(0, id="zero"),
            pytest.param(-1, id="negative"),
            pytest.param(256, id="over-255"),
            pytest.param(True, id="bool"),
        ],
    )
    def test_rejects_nonsense_limits(self, bad: int) -> None:
        with pytest.raises(ValueError, match="max_segments"):
            SegmentPolicy(max_segments=bad)


class TestSign:
    """The creditor signature is prepended in 【】 and validated first."""

    @pytest.mark.parametrize(
        ("signature", "expected"),
        [
            pytest.param("安信消费金融", "【安信消费金融】您好", id="plain"),
            pytest.param("  安信  ", "【安信】您好", id="stripped"),
            pytest.param("AB", "【AB】您好", id="two-chars"),
            pytest.param("信" * 20, "【" + "信" * 20 + "】您好", id="twenty-chars"),
        ],
    )
    def test_signs(self, signature: str, expected: str) -> None:
        assert sign("您好", signature) == expected

    @pytest.mark.parametrize(
        ("signature", "reason"),
        [
            pytest.param("", "2–20 characters", id="empty"),
            pytest.param("   ", "2–20 characters", id="blank"),
            pytest.param("安", "2–20 characters", id="one-char"),
            pytest.param("信" * 21, "2–20 characters", id="twenty-one-chars"),
            pytest.param("安信】【公安", "【 or 】", id="brackets"),
            pytest.param("【安信", "【 or 】", id="open-bracket"),
            pytest.param("安\n信", "control characters", id="newline"),
            pytest.param("安\u200b信", "control characters", id="zero-width-space"),
        ],
    )
    def test_rejects_invalid(self, signature: str, reason: str) -> None:
        with pytest.raises(InvalidSignature) as caught:
            sign("您好", signature)
        assert reason in caught.value.reason
        assert caught.value.signature == signature
        assert isinstance(caught.value, ValueError)

    def test_signature_costs_segments(self) -> None:
        assert measure(sign("中" * 64, "安信消费金融")).segments == 2
        assert measure(sign("中" * 62, "安信消费金融")).segments == 1
