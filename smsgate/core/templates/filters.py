"""The only filters a template may use, and what each one may be applied to.

A filter is the one place where a template can shape a value, so each is
small, total over the values the schema admits, and length-preserving or
length-bounded: the longest rendering of a template is then the rendering of
its longest sample values, which is what the segment estimate relies on.
That is why ``upper``/``lower`` change ASCII letters only (``"ß".upper()`` is
``"SS"``), why ``date`` takes a named style and never a strftime pattern (a
pattern is a tiny language of its own), and why Jinja's builtin ``default``
is absent (a missing variable must fail, not render as a fallback).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType

from smsgate.core.templates.variables import CENT, VariableType

MASK = "****"
MASK_KEEP = 4
# Reveal the tail only if at least this many characters stay hidden.
MASK_MIN_HIDDEN = 4
# The kind of value a filter returns; filters chain on it (``name|trim|upper``).
TEXT = "text"

_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


class DateStyle(StrEnum):
    """The named ways a date may be written; ``cn`` is the default."""

    CN = "cn"  # 2026年11月23日
    ISO = "iso"  # 2026-11-23
    MD = "md"  # 11月23日


def format_money(amount: Decimal | int) -> str:
    """``Decimal("1234.5")`` → ``¥1,234.50``: yuan sign, thousands separators, ROUND_HALF_UP.

    Raises ``TypeError`` for floats and bools and ``ValueError`` for negative
    or non-finite amounts: an amount owed is never negative.
    """
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money needs a Decimal or int, not {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite() or value < 0:
        raise ValueError(f"money must be a finite, non-negative amount, not {value}")
    # copy_abs() turns a negative zero into a plain zero.
    cents = value.copy_abs().quantize(CENT, rounding=ROUND_HALF_UP)
    return f"¥{cents:,.2f}"


def format_date(day: date, style: str = DateStyle.CN) -> str:
    """Write ``day`` in a named :class:`DateStyle`; raises ``ValueError`` for other styles."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"date needs a date, not {type(day).__name__}")
    chosen = DateStyle(style)
    if chosen is DateStyle.ISO:
        return day.isoformat()
    if chosen is DateStyle.MD:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def mask(value: str | int) -> str:
    """``6222020200112345678`` → ``****5678``; values of under 8 characters → ``****``."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"mask needs a string or int, not {type(value).__name__}")
    text = str(value)
    if len(text) - MASK_KEEP < MASK_MIN_HIDDEN:
        return MASK
    return MASK + text[-MASK_KEEP:]


def ascii_upper(value: str) -> str:
    """Upper-case ASCII letters only, so the length never changes."""
    return _text(value, "upper").translate(_ASCII_UPPER)


def ascii_lower(value: str) -> str:
    """Lower-case ASCII letters only, so the length never changes."""
    return _text(value, "lower").translate(_ASCII_LOWER)


def trim(value: str) -> str:
    """Strip leading and trailing whitespace."""
    return _text(value, "trim").strip()


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} needs a string, not {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class SmsFilter:
    """An allowed filter: its function, the kinds of value it takes, its optional argument."""

    name: str
    function: Callable[..., str]
    accepts: frozenset[str]
    argument_choices: frozenset[str] = frozenset()

    @property
    def takes_argument(self) -> bool:
        """Whether the filter takes one optional constant argument (from a fixed set)."""
        return bool(self.argument_choices)


_WORDS = frozenset({VariableType.STR, VariableType.ENUM, VariableType.PHONE, TEXT})

FILTERS: Mapping[str, SmsFilter] = MappingProxyType(
    {
        "money": SmsFilter("money", format_money, frozenset({VariableType.MONEY})),
        "date": SmsFilter(
            "date", format_date, frozenset({VariableType.DATE}), frozenset(DateStyle)
        ),
        "mask": SmsFilter(
            "mask",
            mask,
            frozenset({VariableType.STR, VariableType.PHONE, VariableType.INT, TEXT}),
        ),
        "upper": SmsFilter("upper", ascii_upper, _WORDS),
        "lower": SmsFilter("lower", ascii_lower, _WORDS),
        "trim": SmsFilter("trim", trim, _WORDS),
    }
)
