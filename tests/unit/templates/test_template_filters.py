"""Unit tests for the template filters: money, date, mask and the ASCII-only text filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.core.templates import FILTERS, DateStyle, format_date, format_money, mask
from smsgate.core.templates.filters import ascii_lower, ascii_upper, trim


class TestFilterSet:
    """Exactly the documented filters exist; Jinja's builtins are absent."""

    def test_names(self) -> None:
        assert set(FILTERS) == {"money", "date", "mask", "upper", "lower", "trim"}

    def test_only_date_takes_an_argument(self) -> None:
        assert {name for name, f in FILTERS.items() if f.takes_argument} == {"date"}
        assert FILTERS["date"].argument_choices == {"cn", "iso", "md"}


class TestMoney:
    """Amounts render as ¥ with thousands separators and two decimals, rounded half up."""

    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            pytest.param(Decimal("1234.5"), "¥1,234.50", id="design-example"),
            pytest.param(Decimal("1234.50"), "¥1,234.50", id="two-places"),
            pytest.param(0, "¥0.00", id="zero-int"),
            pytest.param(999, "¥999.00", id="no-separator"),
            pytest.param(10_000_000, "¥10,000,000.00", id="ten-million"),
            pytest.param(Decimal("0.005"), "¥0.01", id="half-up-not-half-even"),
            pytest.param(Decimal("2.675"), "¥2.68", id="half-up-2675"),
            pytest.param(Decimal("0.004"), "¥0.00", id="rounds-down"),
            pytest.param(Decimal("999.995"), "¥1,000.00", id="carries"),
            pytest.param(Decimal("-0"), "¥0.00", id="negative-zero"),
            pytest.param(Decimal("1E+3"), "¥1,000.00", id="exponent"),
        ],
    )
    def test_formats(self, amount: Decimal | int, expected: str) -> None:
        assert format_money(amount) == expected

    @pytest.mark.parametrize(
        ("amount", "error"),
        [
            pytest.param(Decimal("-0.01"), ValueError, id="negative-decimal"),
            pytest.param(-1, ValueError, id="negative-int"),
            pytest.param(Decimal("NaN"), ValueError, id="nan"),
            pytest.param(Decimal("Infinity"), ValueError, id="infinity"),
            pytest.param(1.5, TypeError, id="float"),
            pytest.param(True, TypeError, id="bool"),
            pytest.param("12", TypeError, id="string"),
        ],
    )
    def test_refuses(self, amount: object, error: type[Exception]) -> None:
        with pytest.raises(error):
            format_money(amount)  # type: ignore[arg-type]


class TestDate:
    """Dates render in a named style only; no strftime patterns."""

    @pytest.mark.parametrize(
        ("day", "style", "expected"),
        [
            pytest.param(date(2026, 11, 23), None, "2026年11月23日", id="default-cn"),
            pytest.param(date(2026, 11, 23), "cn", "2026年11月23日", id="cn"),
            pytest.param(date(2026, 11, 23), "iso", "2026-11-23", id="iso"),
            pytest.param(date(2026, 11, 23), "md", "11月23日", id="md"),
            pytest.param(date(2026, 1, 5), "cn", "2026年1月5日", id="cn-unpadded"),
            pytest.param(date(2026, 1, 5), "iso", "2026-01-05", id="iso-padded"),
            pytest.param(date(2026, 1, 5), "md", "1月5日", id="md-unpadded"),
        ],
    )
    def test_formats(self, day: date, style: str | None, expected: str) -> None:
        assert (format_date(day) if style is None else format_date(day, style)) == expected

    @pytest.mark.parametrize(
        "style",
        [pytest.param("%Y", id="strftime"), pytest.param("ISO", id="upper-case")],
    )
    def test_refuses_unknown_style(self, style: str) -> None:
        with pytest.raises(ValueError, match="is not a valid DateStyle"):
            format_date(date(2026, 11, 23), style)

    def test_refuses_datetime_and_text(self) -> None:
        with pytest.raises(TypeError):
            format_date(datetime(2026, 11, 23, 9))
        with pytest.raises(TypeError):
            format_date("2026-11-23")  # type: ignore[arg-type]

    def test_styles(self) -> None:
        assert list(DateStyle) == ["cn", "iso", "md"]


class TestMask:
    """Only the last four characters survive, and only when at least four stay hidden."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param("6222020200112345678", "****5678", id="card-number"),
            pytest.param("12345678", "****5678", id="eight-chars"),
            pytest.param("1234567", "****", id="seven-chars-fully-masked"),
            pytest.param("95555", "****", id="hotline-fully-masked"),
            pytest.param("", "****", id="empty"),
            pytest.param(13800138000, "****8000", id="int"),
            pytest.param("D-1001-ABCD", "****ABCD", id="letters"),
        ],
    )
    def test_masks(self, value: str | int, expected: str) -> None:
        assert mask(value) == expected

    def test_refuses_bool(self) -> None:
        with pytest.raises(TypeError):
            mask(True)

    @given(st.text())
    def test_never_reveals_more_than_four(self, value: str) -> None:
        masked = mask(value)
        assert masked.startswith("****")
        assert len(masked) in {4, 8}


class TestTextFilters:
    """upper/lower change ASCII letters only, so lengths never grow; trim strips."""

    @pytest.mark.parametrize(
        ("value", "upper", "lower"),
        [
            pytest.param("Acme 信用卡", "ACME 信用卡", "acme 信用卡", id="mixed"),
            pytest.param("straße", "STRAßE", "straße", id="sharp-s-kept"),
            pytest.param("ﬃ", "ﬃ", "ﬃ", id="ligature-kept"),
            pytest.param("İstanbul", "İSTANBUL", "İstanbul", id="dotted-i-kept"),
        ],
    )
    def test_ascii_case(self, value: str, upper: str, lower: str) -> None:
        assert ascii_upper(value) == upper
        assert ascii_lower(value) == lower

    @given(st.text())
    def test_case_filters_preserve_length(self, value: str) -> None:
        assert len(ascii_upper(value)) == len(value) == len(ascii_lower(value))

    def test_trim(self) -> None:
        assert trim("\u3000 张三 ") == "张三"

    @pytest.mark.parametrize(
        "function",
        [
            pytest.param(ascii_upper, id="upper"),
            pytest.param(ascii_lower, id="lower"),
            pytest.param(trim, id="trim"),
        ],
    )
    def test_refuse_non_text(self, function: object) -> None:
        with pytest.raises(TypeError):
            function(5)  # type: ignore[operator]
